"""The recommender simulation on the leaderboard: seeded simulated users rate held-out music, a
rating recommender returns pictures, and the labels say how well the list fits the music.

An offline proxy of Yilma & Leiva's user study (not the study): the catalogue is the ``test``
split of the labelled pictures (OASIS, BASS), the songs the ``test`` split of the music with a V/A
position (VGMIDI, DEAM, Emotify). Each of :data:`USERS` users has a hidden taste point ``t``
(uniform in [-1, 1]^2) and rates :data:`RATED` songs ``clip(round(5 - 2 |va - t|), 1, 5)``. Metrics
over the users' top-:data:`K` (``benchmarks/recommender_simulation.py`` runs the engines side by
side with overlap and energy checks):

* ``affective_distance``: V/A distance (labels) of each recommended picture to the rating-weighted
  V/A of the user's songs, mean (lower is better);
* ``taste_distance``: the same to the hidden taste point (lower is better);
* ``valence_tracking`` / ``arousal_tracking``: Spearman correlation over users of the rating-weighted
  song valence (arousal) with the mean labelled valence (arousal) of the recommended pictures;
* ``intra_list_diversity``: mean pairwise V/A distance within a list; ``coverage``: share of the
  catalogue recommended to at least one user.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr

from affectzoo.leaderboard.rows import Measurement

USERS, RATED, K, SEED = 200, 11, 10, 0


def held_out_items(root: str) -> tuple:
    """(pictures, songs): the test splits with labelled V/A positions, clean variants."""
    from affectzoo.data.va_items import image_items, music_items

    pictures = image_items(root)
    pictures = pictures[(pictures["split"] == "test") & (pictures["variant"] == "clean")].reset_index(drop=True)
    songs = music_items(root)
    songs = songs[(songs["split"] == "test") & (songs["variant"] == "clean") & (songs["label_type"] != "binary")]
    return pictures, songs.reset_index(drop=True)


def rate(va: np.ndarray, taste: np.ndarray) -> np.ndarray:
    """Simulated 1-5 ratings of items at ``va`` by a user whose taste point is ``taste``."""
    return np.clip(np.round(5 - 2 * np.linalg.norm(va - taste, axis=1)), 1, 5)


def applies(cfg) -> list[str]:
    from affectzoo.leaderboard.open_pairs import RATING_RECOMMENDERS

    return ["recommender"] if "recommender" in cfg.tasks and cfg.family in RATING_RECOMMENDERS else []


def evaluate(model, cfg, root: str, split: str = "test") -> list[Measurement]:
    if split != "test":
        raise ValueError(f"the recommender simulation uses the test items, not {split!r}")
    pictures, songs = held_out_items(root)
    picture_va = pictures[["valence", "arousal"]].to_numpy(float)
    song_va = songs[["valence", "arousal"]].to_numpy(float)
    row_of = {path: i for i, path in enumerate(pictures["image_path"])}
    catalogue = model.index(pictures["image_path"].tolist())
    rng = np.random.default_rng(SEED)
    affective, taste_gap, diversity, targets, means, seen = [], [], [], [], [], set()
    for _ in range(USERS):
        taste = rng.uniform(-1, 1, 2)
        chosen = rng.choice(len(songs), RATED, replace=False)
        ratings = rate(song_va[chosen], taste)
        found = [r.item for r in model.recommend(dict(zip(songs["audio_path"].iloc[chosen], ratings)), catalogue, k=K)]
        va = picture_va[[row_of[p] for p in found]]
        target = (ratings / ratings.sum()) @ song_va[chosen]
        affective.append(np.linalg.norm(va - target, axis=1).mean())
        taste_gap.append(np.linalg.norm(va - taste, axis=1).mean())
        diversity.append(np.linalg.norm(va[:, None] - va[None], axis=-1)[np.triu_indices(len(va), 1)].mean())
        targets.append(target)
        means.append(va.mean(0))
        seen.update(found)
    targets, means = np.array(targets), np.array(means)
    figures = {"affective_distance": np.mean(affective), "taste_distance": np.mean(taste_gap),
               "valence_tracking": spearmanr(targets[:, 0], means[:, 0]).statistic,
               "arousal_tracking": spearmanr(targets[:, 1], means[:, 1]).statistic,
               "intra_list_diversity": np.mean(diversity), "coverage": len(seen) / len(pictures)}
    return [Measurement(split, metric, float(value), USERS, "recommender") for metric, value in figures.items()]
