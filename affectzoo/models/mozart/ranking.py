"""Ranking paintings by a user's music ratings (Yilma & Leiva, Algorithm 2, eqs. 7-8).

A user rates music clips on 1-5; the ratings become weights ``w_i = r_i / sum(r)`` (eq. 8), and a
painting's distance to the user's taste is the weighted sum of its Euclidean distances to the
rated clips, ``d(p) = sum_i w_i ||z_i - z_p||`` (eq. 7), in whichever space the engine works in
(Mozart's joint space, Haydn's V/A plane). The paintings with the smallest ``d`` are recommended.
"""

from __future__ import annotations

import numpy as np

RATING_RANGE = (1.0, 5.0)


def rating_weights(ratings, attention_checks=None) -> np.ndarray:
    """``w_i = r_i / sum(r)`` of ratings on 1-5; items flagged in ``attention_checks`` weigh 0."""
    r = np.asarray(ratings, dtype=np.float64)
    if r.ndim != 1 or len(r) == 0:
        raise ValueError("ratings must be a non-empty list of numbers")
    low, high = RATING_RANGE
    if np.isnan(r).any() or (r < low).any() or (r > high).any():
        raise ValueError(f"ratings must lie in [{low:g}, {high:g}], got {r.tolist()}")
    if attention_checks is not None:
        r = np.where(np.asarray(attention_checks, dtype=bool), 0.0, r)
    if r.sum() <= 0:
        raise ValueError("no rated item is left once attention checks are excluded")
    return r / r.sum()
