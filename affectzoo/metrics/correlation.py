"""Correlation metrics (SRCC, PLCC, KRCC) for perceptual scores.

The sign is always kept: a model that ranks backwards scores -1, never +1 (some IQA code reports
``abs(srcc)``; we do not). Correlations are undefined (NaN) on constant predictions, so they are
logged per epoch over the whole split, never per batch.
"""

from __future__ import annotations

import warnings

from torch import Tensor
from torchmetrics.regression import KendallRankCorrCoef, PearsonCorrCoef, SpearmanCorrCoef


class _Flattened:
    """Accept predictions shaped [N] or [N, 1] (a regression head's output).

    These metrics must keep every prediction to rank them (that is what they are); torchmetrics'
    warning about it on every construction is silenced.
    """

    def __init__(self, **kwargs) -> None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*will save all targets and predictions.*")
            super().__init__(**kwargs)

    def update(self, preds: Tensor, target: Tensor) -> None:
        super().update(preds.reshape(-1).float(), target.reshape(-1).float())


class SRCC(_Flattened, SpearmanCorrCoef):
    """Spearman rank-order correlation coefficient (sign kept)."""


class PLCC(_Flattened, PearsonCorrCoef):
    """Pearson linear correlation coefficient (sign kept; no logistic fitting)."""


class KRCC(_Flattened, KendallRankCorrCoef):
    """Kendall rank correlation coefficient, tau-b (handles ties; sign kept)."""
