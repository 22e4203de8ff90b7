"""open-pairs on the leaderboard: every model that can score an (image, music) pair, on the same pairs.

How each task scores a pair of the split:

* ``pair-scorer``: its ``score(images, clip)`` (one call per clip);
* ``va-predictor``: the V/A-distance composition ``1 - ||VA(image) - VA(music)|| / (2 sqrt 2)`` of its
  predicted V/A (the floor a pair scorer must beat);
* ``recommender`` (those that take music ratings: :data:`RATING_RECOMMENDERS`): the catalogue of
  the split's paintings, the clip rated 5/5 as the query, minus the recommender's distance.

Metrics: SRCC and PLCC against the pair scores; MAE and ACC (same side of 0.5) where the output is
a score in [0, 1] (pair scorers, compositions); MAP@1..10 of the ranking of each image's music
(relevant: the image's best-5 music, as ImageMusic's metric); preference accuracy on the split's
preference pairs (the preferred pair scored higher).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.stats import pearsonr, spearmanr

from affectzoo.leaderboard.rows import Measurement

#: Recommender families whose query is a user's music ratings and whose catalogue holds paintings.
RATING_RECOMMENDERS = ("mozart", "salieri", "haydn")
SQRT8 = 2 * np.sqrt(2)


def _pairs(root: str, split: str):
    from affectzoo.data.builds import build, load_build
    from affectzoo.data.datamodules import with_queries

    build("open-pairs", root)
    tables = load_build("open-pairs")
    pairs = with_queries(tables["pairs"])
    prefs = tables["preferences"]
    return pairs[pairs["split"] == split].reset_index(drop=True), prefs[prefs["split"] == split].reset_index(drop=True)


def pair_scores(model, task: str, pairs) -> tuple[np.ndarray, bool]:
    """Scores of every pair by ``model`` acting as ``task``; True when they are scores in [0, 1]."""
    clips = sorted(set(pairs["audio_path"]))
    images = sorted(set(pairs["image_path"]))
    if task == "pair-scorer":
        out = np.zeros(len(pairs))
        for clip, group in pairs.groupby("audio_path"):
            out[group.index.to_numpy()] = np.asarray(model.score(group["image_path"].tolist(), clip), dtype=float)
        return out, True
    if task == "va-predictor":
        image_va = dict(zip(images, model.predict_va(images=images)["image"].numpy()))
        music_va = dict(zip(clips, model.predict_va(audio=clips)["music"].numpy()))
        distance = [np.linalg.norm(image_va[i] - music_va[m]) for i, m in zip(pairs["image_path"], pairs["audio_path"])]
        return 1.0 - np.asarray(distance) / SQRT8, True
    catalogue = model.index(images)
    out = np.zeros(len(pairs))
    for clip, group in pairs.groupby("audio_path"):
        distance = {item: score for item, score in model.recommend({clip: 5}, catalogue, k=len(images))}
        out[group.index.to_numpy()] = [-distance[path] for path in group["image_path"]]
    return out, False


def map_curve(scores: np.ndarray, pairs) -> dict[str, float]:
    """MAP@1..10 of each image's ranking of its music (a K with no image of K candidates is left out)."""
    from affectzoo.metrics import MAPCurve

    metric = MAPCurve(10)
    metric.update(torch.tensor(scores, dtype=torch.float32), torch.tensor(pairs["relevant"].to_numpy()).long(),
                  torch.tensor(pairs["query"].to_numpy()).long())
    return {f"map_at_{k}": float(v) for k, v in enumerate(metric.compute().tolist(), start=1) if not np.isnan(v)}


def preference_accuracy(scores: np.ndarray, pairs, prefs) -> float:
    """Share of preference pairs whose preferred pair got the higher score (ties count half)."""
    lookup = dict(zip(zip(pairs["image_id"], pairs["music_id"]), scores))

    def of(query, other, modality):
        return lookup[(query, other) if modality == "image" else (other, query)]

    wins = []
    for row in prefs.itertuples():
        good, bad = of(row.query_id, row.preferred_id, row.query_modality), of(row.query_id, row.rejected_id,
                                                                                 row.query_modality)
        wins.append(1.0 if good > bad else 0.5 if good == bad else 0.0)
    return float(np.mean(wins))


def applies(cfg) -> list[str]:
    """The tasks of ``cfg`` under which open-pairs can evaluate it."""
    tasks = [t for t in ("pair-scorer", "va-predictor") if t in cfg.tasks]
    if "recommender" in cfg.tasks and cfg.family in RATING_RECOMMENDERS:
        tasks.append("recommender")
    return tasks


def evaluate(model, cfg, root: str, split: str = "test") -> list[Measurement]:
    pairs, prefs = _pairs(root, split)
    target = pairs["score"].to_numpy()
    out = []
    for task in applies(cfg):
        scores, bounded = pair_scores(model, task, pairs)
        figures = {"srcc": spearmanr(scores, target)[0], "plcc": pearsonr(scores, target)[0]}
        if bounded:
            figures.update(mae=np.abs(scores - target).mean(), acc=((scores >= 0.5) == (target >= 0.5)).mean())
        figures.update(map_curve(scores, pairs))
        out += [Measurement(split, metric, float(value), len(pairs), task) for metric, value in figures.items()]
        out.append(Measurement(split, "pref_acc", preference_accuracy(scores, pairs, prefs), len(prefs), task))
    return out
