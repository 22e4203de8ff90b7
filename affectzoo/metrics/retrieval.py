"""Ranking metrics with query ids: MAP@K, HR@K, NDCG@K, and the MAP@1..K curve.

Built on torchmetrics' ``Metric`` (states are gathered across processes) and its functional
retrieval kernels, with the pitfalls of torchmetrics' own ``Retrieval*`` classes handled here:

* Since torchmetrics 1.7.4 the AP kernel treats predictions ``<= 0`` as not relevant, which breaks
  cosine similarities and logits. Scores are shifted per query, order-preservingly, to ``>= 1``
  (in float64) before any kernel sees them.
* ``top_k`` is validated here (positive int), since RetrievalMAP's own check is broken.
* A query with fewer candidates than ``top_k`` raises an error instead of silently scoring a
  shorter list (pass ``top_k=None`` to rank the whole list of each query).
* ``empty_target_action`` (a query without relevant items) has no default: say ``"error"``,
  ``"skip"``, ``"neg"`` (counts 0) or ``"pos"`` (counts 1).
* Query ids may be any integers (sparse, negative, unsorted); they are remapped to ``0..Q-1``
  over the whole epoch at ``compute``, never per batch.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor
from torchmetrics import Metric
from torchmetrics.functional.retrieval import (
    retrieval_average_precision,
    retrieval_hit_rate,
    retrieval_normalized_dcg,
)

EMPTY_TARGET_ACTIONS = ("error", "skip", "neg", "pos")


class _RetrievalAtK(Metric):
    """Mean over queries of a per-query ranking score at cut-off ``top_k``."""

    higher_is_better = True
    full_state_update = False
    _kernel: Callable[..., Tensor]
    _binary_target = True

    def __init__(self, top_k: int | None, *, empty_target_action: str, **kwargs) -> None:
        super().__init__(**kwargs)
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k <= 0):
            raise ValueError(f"top_k must be a positive integer or None, got {top_k!r}")
        if empty_target_action not in EMPTY_TARGET_ACTIONS:
            raise ValueError(f"empty_target_action must be one of {EMPTY_TARGET_ACTIONS}, got {empty_target_action!r}")
        self.top_k = top_k
        self.empty_target_action = empty_target_action
        self.add_state("preds", default=[], dist_reduce_fx="cat")
        self.add_state("target", default=[], dist_reduce_fx="cat")
        self.add_state("indexes", default=[], dist_reduce_fx="cat")

    def update(self, preds: Tensor, target: Tensor, indexes: Tensor) -> None:
        preds, target, indexes = preds.reshape(-1), target.reshape(-1), indexes.reshape(-1)
        if not (preds.shape == target.shape == indexes.shape):
            raise ValueError(f"preds, target and indexes differ in size: {tuple(preds.shape)}, "
                             f"{tuple(target.shape)}, {tuple(indexes.shape)}")
        if indexes.is_floating_point():
            raise ValueError("indexes (query ids) must be integers")
        if (target < 0).any():
            raise ValueError("target relevance must be non-negative")
        if self._binary_target and not ((target == 0) | (target == 1)).all():
            raise ValueError(f"{type(self).__name__} needs binary relevance (0/1) targets")
        self.preds.append(preds.float())
        self.target.append(target.float())
        self.indexes.append(indexes.long())

    def compute(self) -> Tensor:
        if not self.preds:
            raise ValueError(f"{type(self).__name__}.compute() called before any update")
        preds = torch.cat(self.preds) if isinstance(self.preds, list) else self.preds
        target = torch.cat(self.target) if isinstance(self.target, list) else self.target
        indexes = torch.cat(self.indexes) if isinstance(self.indexes, list) else self.indexes
        query_ids, dense = torch.unique(indexes, return_inverse=True)  # remap to 0..Q-1
        order = torch.argsort(dense, stable=True)
        counts = torch.bincount(dense, minlength=len(query_ids)).tolist()
        scores = []
        for query, group_preds, group_target in zip(query_ids.tolist(), preds[order].split(counts),
                                                    target[order].split(counts)):
            if self.top_k is not None and len(group_preds) < self.top_k:
                raise ValueError(f"query {query} has {len(group_preds)} candidates, fewer than top_k={self.top_k}; "
                                 "score longer candidate lists or lower top_k")
            if group_target.sum() == 0:
                if self.empty_target_action == "error":
                    raise ValueError(f"query {query} has no relevant item (empty_target_action='error')")
                if self.empty_target_action != "skip":
                    scores.append(torch.tensor(1.0 if self.empty_target_action == "pos" else 0.0))
                continue
            shifted = group_preds.double() - group_preds.double().min() + 1.0  # order kept, all >= 1
            scores.append(type(self)._kernel(shifted, group_target.double(), top_k=self.top_k).float())
        if not scores:
            return torch.tensor(float("nan"))
        return torch.stack(scores).mean()


class MAPAtK(_RetrievalAtK):
    """Mean average precision at K (AP over the relevant items found in each query's top K)."""

    _kernel = staticmethod(retrieval_average_precision)


class HitRateAtK(_RetrievalAtK):
    """HR@K: share of queries with at least one relevant item in their top K."""

    _kernel = staticmethod(retrieval_hit_rate)


class NDCGAtK(_RetrievalAtK):
    """NDCG@K with graded (non-negative) relevance; ties in predictions are averaged."""

    _kernel = staticmethod(retrieval_normalized_dcg)
    _binary_target = False


class MAPCurve(Metric):
    """MAP@1 .. MAP@``max_k`` of per-query rankings over an epoch (:class:`MAPAtK` at each cut-off).

    ``update(preds, target, indexes)`` as MAPAtK (target 0/1, indexes = query ids). A query with
    fewer than k candidates is left out of MAP@k (rather than scoring a shorter list); queries
    without a relevant candidate are skipped. ``compute()`` -> ``[max_k]`` (NaN where no query counts).
    """

    full_state_update = False

    def __init__(self, max_k: int = 10, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_k = max_k
        for name in ("preds", "target", "indexes"):
            self.add_state(name, default=[], dist_reduce_fx="cat")

    def update(self, preds: Tensor, target: Tensor, indexes: Tensor) -> None:
        self.preds.append(preds.reshape(-1).float())
        self.target.append(target.reshape(-1).float())
        self.indexes.append(indexes.reshape(-1).long())

    def compute(self) -> Tensor:
        from torchmetrics.utilities import dim_zero_cat

        preds, target, indexes = (dim_zero_cat(x) for x in (self.preds, self.target, self.indexes))
        _, inverse, counts = torch.unique(indexes, return_inverse=True, return_counts=True)
        candidates = counts[inverse]
        curve = []
        for k in range(1, self.max_k + 1):
            keep = candidates >= k
            metric = MAPAtK(top_k=k, empty_target_action="skip")
            if keep.any():
                metric.update(preds[keep].cpu(), target[keep].cpu(), indexes[keep].cpu())
                curve.append(metric.compute())
            else:
                curve.append(torch.tensor(float("nan")))
        return torch.stack(curve)
