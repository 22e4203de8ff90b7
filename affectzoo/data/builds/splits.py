"""Deterministic, seeded splits that keep every group (song, piece, item) on one side."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

SPLITS = ("train", "val", "test")


def split_groups(groups: Sequence, fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0,
                 names: Sequence[str] = SPLITS) -> list[str]:
    """The split name of each row; rows of one group share a split.

    Unique groups are sorted (so input order does not matter), shuffled with ``seed`` and cut by
    cumulative ``fractions`` (rounded, at least one group per non-empty fraction when possible).
    """
    if len(fractions) != len(names) or abs(sum(fractions) - 1.0) > 1e-9 or min(fractions) < 0:
        raise ValueError(f"fractions {fractions} must be non-negative, sum to 1 and match {names}")
    unique = sorted(set(groups), key=str)
    order = np.random.default_rng(seed).permutation(len(unique))
    bounds = np.round(np.cumsum(fractions) * len(unique)).astype(int)
    assignment = {}
    for rank, index in enumerate(order):
        split = int(np.searchsorted(bounds, rank, side="right"))
        assignment[unique[index]] = names[min(split, len(names) - 1)]
    return [assignment[g] for g in groups]


def by_split(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The rows of each split (by the table's ``split`` column), in ``SPLITS`` order."""
    return {split: table[table["split"] == split] for split in SPLITS}


def split_counts(table: pd.DataFrame) -> dict:
    """Rows per source and split, ``{source: {split: n}}``, for build cards."""
    return table.groupby(["source", "split"]).size().unstack(fill_value=0).to_dict(orient="index")
