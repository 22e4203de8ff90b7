"""Music-image interactions for the EMI-Adapter recommenders: the splits and the sampled candidates.

Music clips are the users and images the items (Zou et al., EMID, section 3.1). An interaction is
a listed pair whose matching score reaches ``threshold`` (IMEMNet scores lie in [0, 1], median 0.44;
0.5 is the middle of that scale: a pair at least as likely matched as not). Clips of one song share
its emotion, so every user also carries its ``group`` (the song) for the song-level factors.

Splits, all seeded:

* **cold items**: a share (``cold_fraction``) of the items whose V/A is known is taken out of
  training altogether; every interaction with them forms the cold-start evaluation, where each
  one is ranked among ``negatives`` other cold items the user never interacted with. Only a model
  that reads content can score those items.
* **leave one out** on the remaining (warm) interactions (the NCF protocol): for each user with at
  least two, one random interaction is the test item; for each user with at least two left, one
  more is the validation item. The rest (and every interaction of one-interaction users) trains.
  A held-out item is ranked among ``negatives`` warm items sampled from those the user never
  interacted with (in any split).

The candidates of a query are shuffled with the positive at a random column, so a scorer that
ties (popularity on cold items) cannot place the positive first by position.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

DEFAULT_THRESHOLD = 0.5


@dataclass
class EvalSet:
    """Queries of one evaluation: user index ``[Q]``, candidate items ``[Q, C]`` and the positive mask ``[Q, C]``."""

    users: np.ndarray
    candidates: np.ndarray
    target: np.ndarray

    def __len__(self) -> int:
        return len(self.users)

    @property
    def positives(self) -> np.ndarray:
        """The held-out item of each query ``[Q]``."""
        return self.candidates[self.target]


@dataclass
class Interactions:
    """Vocabularies, content V/A, the training pairs and the evaluation sets (see the module docstring).

    ``user_group[u]`` indexes ``groups``; ``user_va`` ``[U, 2]`` and ``item_va`` ``[I, 2]`` are in
    [-1, 1] with ``item_va_known`` saying which item V/A are labels (the others are the mean V/A of
    the music the item was paired with in training, or 0 when it has none).
    """

    users: list[str]
    groups: list[str]
    user_group: np.ndarray
    items: list[str]
    user_va: np.ndarray
    item_va: np.ndarray
    item_va_known: np.ndarray
    train: np.ndarray  # [P, 2] (user, item)
    val: EvalSet
    test: EvalSet
    cold: EvalSet
    cold_items: np.ndarray
    counts: dict = field(default_factory=dict)
    known: dict = field(default_factory=dict, repr=False)  # user -> every item it interacted with, any split

    @property
    def item_popularity(self) -> np.ndarray:
        """Training interactions per item ``[I]``."""
        return np.bincount(self.train[:, 1], minlength=len(self.items)).astype(np.float32)


def build_interactions(pairs: pd.DataFrame, user_va: dict | None = None, item_va: dict | None = None,
                       threshold: float = DEFAULT_THRESHOLD, negatives: int = 99, cold_fraction: float = 0.1,
                       seed: int = 0) -> Interactions:
    """The splits of ``pairs`` (columns ``user``, ``group``, ``item``, ``score``; see the module
    docstring). ``user_va`` / ``item_va`` map ids to (valence, arousal) in [-1, 1]."""
    user_va, item_va = user_va or {}, item_va or {}
    rng = np.random.default_rng(seed)
    positives = pairs[pairs["score"] >= threshold].drop_duplicates(["user", "item"])
    if positives.empty:
        raise ValueError(f"no pair has a score >= {threshold}")
    users = sorted(positives["user"].unique())
    items = sorted(positives["item"].unique())
    group_of = positives.drop_duplicates("user").set_index("user")["group"]
    groups = sorted(group_of.unique())
    user_index = {u: k for k, u in enumerate(users)}
    item_index = {i: k for k, i in enumerate(items)}
    group_index = {g: k for k, g in enumerate(groups)}
    ui = np.stack([positives["user"].map(user_index).to_numpy(), positives["item"].map(item_index).to_numpy()], 1)

    labelled = np.array([i in item_va for i in items])
    cold_count = int(round(cold_fraction * labelled.sum()))
    cold_items = np.sort(rng.choice(np.flatnonzero(labelled), cold_count, replace=False)) if cold_count else \
        np.empty(0, np.int64)
    is_cold = np.zeros(len(items), bool)
    is_cold[cold_items] = True
    cold_pairs, warm = ui[is_cold[ui[:, 1]]], ui[~is_cold[ui[:, 1]]]

    train, val, test = _leave_one_out(warm, len(users), rng)
    known: dict[int, set[int]] = {}
    for u, i in ui:
        known.setdefault(int(u), set()).add(int(i))
    warm_items = np.flatnonzero(~is_cold)
    data = Interactions(
        users=users, groups=groups, user_group=np.array([group_index[group_of[u]] for u in users]), items=items,
        user_va=np.array([user_va.get(u, user_va.get(group_of[u], (0.0, 0.0))) for u in users], np.float32),
        item_va=np.zeros((len(items), 2), np.float32), item_va_known=labelled,
        train=train, val=_candidates(val, warm_items, known, negatives, rng),
        test=_candidates(test, warm_items, known, negatives, rng),
        cold=_candidates(cold_pairs, cold_items, known, negatives, rng), cold_items=cold_items, known=known)
    data.item_va[:] = _item_va(items, item_va, train, data.user_va)
    data.counts = {"pairs": len(pairs), "interactions": len(ui), "users": len(users), "groups": len(groups),
                   "items": len(items), "train": len(train), "val": len(data.val), "test": len(data.test),
                   "cold_items": len(cold_items), "cold_queries": len(data.cold), "threshold": threshold,
                   "negatives": negatives, "seed": seed, "items_with_va_labels": int(labelled.sum())}
    return data


def _leave_one_out(pairs: np.ndarray, n_users: int, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train, val, test) pairs: one random test pair per user with >= 2 pairs, one val pair per user
    with >= 2 left."""
    order = rng.permutation(len(pairs))
    pairs = pairs[order]
    by_user: list[list[int]] = [[] for _ in range(n_users)]
    for row, u in enumerate(pairs[:, 0]):
        by_user[u].append(row)
    test, val, train = [], [], []
    for rows in by_user:
        if len(rows) >= 2:
            test.append(rows.pop())
        if len(rows) >= 2:
            val.append(rows.pop())
        train.extend(rows)
    take = lambda rows: pairs[np.sort(np.array(rows, np.int64))] if rows else np.empty((0, 2), np.int64)  # noqa: E731
    return take(train), take(val), take(test)


def _candidates(pairs: np.ndarray, pool: np.ndarray, known: dict[int, set[int]], negatives: int, rng) -> EvalSet:
    """Each pair's item among ``negatives`` items of ``pool`` its user never interacted with, shuffled."""
    columns = negatives + 1
    candidates = np.empty((len(pairs), columns), np.int64)
    target = np.zeros((len(pairs), columns), bool)
    pool_set = set(pool.tolist())
    for row, (u, i) in enumerate(pairs):
        seen = known[int(u)]
        available = len(pool_set) - len(pool_set & seen)
        if available < negatives:
            raise ValueError(f"user {int(u)} has fewer than {negatives} items to sample negatives from "
                             f"({available}); lower negatives")
        drawn: list[int] = []
        while len(drawn) < negatives:
            for j in rng.choice(pool, size=2 * negatives, replace=True).tolist():
                if j not in seen and j not in drawn:
                    drawn.append(j)
                    if len(drawn) == negatives:
                        break
        place = int(rng.integers(columns))
        candidates[row] = np.insert(np.array(drawn), place, i)
        target[row, place] = True
    return EvalSet(pairs[:, 0].astype(np.int64), candidates, target)


def _item_va(items: list[str], labels: dict, train: np.ndarray, user_va: np.ndarray) -> np.ndarray:
    """Item V/A: the label where known, else the mean V/A of its training music (0 without any)."""
    va = np.zeros((len(items), 2), np.float32)
    sums = np.zeros((len(items), 2))
    np.add.at(sums, train[:, 1], user_va[train[:, 0]])
    count = np.bincount(train[:, 1], minlength=len(items))[:, None]
    va[:] = np.where(count > 0, sums / np.maximum(count, 1), 0.0)
    for k, item in enumerate(items):
        if item in labels:
            va[k] = labels[item]
    return va
