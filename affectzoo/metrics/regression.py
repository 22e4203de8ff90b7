"""Error and agreement metrics for scalar predictions: MAE, RMSE, ACC at a threshold."""

from __future__ import annotations

import torch
from torch import Tensor
from torchmetrics import Metric
from torchmetrics.regression import MeanAbsoluteError, MeanSquaredError


class MAE(MeanAbsoluteError):
    """Mean absolute error."""

    def update(self, preds: Tensor, target: Tensor) -> None:
        super().update(preds.reshape(-1).float(), target.reshape(-1).float())


class RMSE(MeanSquaredError):
    """Root mean squared error."""

    def __init__(self, **kwargs) -> None:
        super().__init__(squared=False, **kwargs)

    def update(self, preds: Tensor, target: Tensor) -> None:
        super().update(preds.reshape(-1).float(), target.reshape(-1).float())


class ThresholdAccuracy(Metric):
    """Share of items on the same side of ``threshold`` in prediction and target.

    ``pred >= threshold`` and ``target >= threshold`` are each read as "positive" (e.g. a score of
    at least 0.5 means "matches"); ACC is the fraction of items whose two readings agree.
    """

    higher_is_better = True
    full_state_update = False

    def __init__(self, threshold: float = 0.5, **kwargs) -> None:
        super().__init__(**kwargs)
        self.threshold = float(threshold)
        self.add_state("agree", default=torch.tensor(0), dist_reduce_fx="sum")
        self.add_state("total", default=torch.tensor(0), dist_reduce_fx="sum")

    def update(self, preds: Tensor, target: Tensor) -> None:
        preds, target = preds.reshape(-1), target.reshape(-1)
        if preds.shape != target.shape:
            raise ValueError(f"preds and target differ in size: {tuple(preds.shape)} vs {tuple(target.shape)}")
        self.agree += ((preds >= self.threshold) == (target >= self.threshold)).sum()
        self.total += target.numel()

    def compute(self) -> Tensor:
        return self.agree.float() / self.total.clamp(min=1)
