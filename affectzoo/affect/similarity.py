"""Affect similarity: how close two emotions are, as one number (the IMUSE score).

``affect_similarity(a, b) = 1 - ||(a - b) / 2||`` for valence/arousal in [-1, 1], i.e.
``1 - sqrt(dV^2 + dA^2)`` on [0, 1] scales (Chheda et al. 2023's IMUSE score). It lies in
[1 - sqrt(2), 1]; 1 means the same emotion. It is the score of the open-pairs build, ImageMusic's
predicted similarity and MPJudge's emotion-distance prior: one function for all three.

Plain arithmetic on the last axis, so it works on NumPy arrays and torch tensors alike (and
broadcasts over leading dimensions).
"""

from __future__ import annotations

from typing import TypeVar

Values = TypeVar("Values")


def affect_similarity(first: Values, second: Values) -> Values:
    """IMUSE score of V/A pairs in [-1, 1] (last axis: valence, arousal)."""
    diff = (first - second) / 2.0
    return 1.0 - ((diff * diff).sum(-1)) ** 0.5
