"""Music–image pairs scored by emotion distance, and preference pairs, as the open-pairs build needs.

Score (IMUSE, Chheda et al. 2023): S(I, M) = 1 - sqrt((I_V - M_V)^2 + (I_A - M_A)^2) with V/A
scaled to [0, 1]. It lies in [1 - sqrt(2), 1]; 1 means identical emotion.

Per image: its best-5, worst-5 and 5 random other music of the same split (IMUSE's sampling).
Preference pairs follow MPD's construction for ambiguous scores: among pairs whose score lies in
[0.4, 0.6], a query item and two candidates of the other modality, the higher-scored candidate
preferred; built in both directions (image query with two music, music query with two images).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from affectzoo.affect.similarity import affect_similarity


def imuse_score(image_va: np.ndarray, music_va: np.ndarray) -> np.ndarray:
    """S for V/A given in [-1, 1] (:func:`~affectzoo.affect.similarity.affect_similarity`, float64)."""
    return affect_similarity(np.asarray(image_va, dtype=float), np.asarray(music_va, dtype=float))


def scored_pairs(images: pd.DataFrame, music: pd.DataFrame, n_best: int = 5, n_worst: int = 5, n_random: int = 5,
                 seed: int = 0) -> pd.DataFrame:
    """Pairs of each image with its best, worst and random music (both tables: id, valence, arousal).

    Returns columns image_id, music_id, score, kind (best/worst/random); no (image, music) pair twice.
    """
    rng = np.random.default_rng(seed)
    music_va = music[["valence", "arousal"]].to_numpy(float)
    music_ids = music["id"].to_numpy()
    rows = []
    for image_id, v, a in images[["id", "valence", "arousal"]].itertuples(index=False):
        scores = imuse_score(np.array([v, a]), music_va)
        order = np.argsort(-scores, kind="stable")
        chosen: dict[int, str] = {}
        for index in order[:n_best]:
            chosen.setdefault(int(index), "best")
        for index in order[::-1][:n_worst]:
            chosen.setdefault(int(index), "worst")
        rest = np.array([i for i in range(len(music_ids)) if i not in chosen])
        for index in rng.permutation(rest)[:n_random] if len(rest) else []:
            chosen[int(index)] = "random"
        rows += [(image_id, music_ids[i], float(scores[i]), kind) for i, kind in sorted(chosen.items())]
    return pd.DataFrame(rows, columns=["image_id", "music_id", "score", "kind"])


def preference_pairs(pairs: pd.DataFrame, low: float = 0.4, high: float = 0.6, min_gap: float = 0.02,
                     per_query: int = 2, seed: int = 0) -> pd.DataFrame:
    """Preference triples from ambiguous scored pairs, in both directions.

    For each query (an image, then each music clip) with at least two ambiguous candidates, up to
    ``per_query`` candidate pairs whose scores differ by at least ``min_gap`` (so the preference
    is not noise). Columns: query_modality, query_id, preferred_id, rejected_id, preferred_score,
    rejected_score.
    """
    rng = np.random.default_rng(seed)
    ambiguous = pairs[(pairs["score"] >= low) & (pairs["score"] <= high)]
    rows = []
    for modality, query_col, cand_col in (("image", "image_id", "music_id"), ("music", "music_id", "image_id")):
        for query_id, group in ambiguous.groupby(query_col, sort=True):
            candidates = group[[cand_col, "score"]].to_numpy(object)
            options = [(i, j) for i in range(len(candidates)) for j in range(i + 1, len(candidates))
                       if abs(candidates[i][1] - candidates[j][1]) >= min_gap]
            for k in rng.permutation(len(options))[:per_query]:
                i, j = options[k]
                win, lose = (candidates[i], candidates[j]) if candidates[i][1] > candidates[j][1] else (candidates[j], candidates[i])
                rows.append((modality, query_id, win[0], lose[0], float(win[1]), float(lose[1])))
    return pd.DataFrame(rows, columns=["query_modality", "query_id", "preferred_id", "rejected_id",
                                       "preferred_score", "rejected_score"])
