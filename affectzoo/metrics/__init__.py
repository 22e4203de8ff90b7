"""Torchmetrics-based metrics of the zoo (correlation, regression, retrieval)."""

from affectzoo.metrics.correlation import KRCC, PLCC, SRCC
from affectzoo.metrics.regression import MAE, RMSE, ThresholdAccuracy
from affectzoo.metrics.retrieval import HitRateAtK, MAPAtK, MAPCurve, NDCGAtK

__all__ = ["KRCC", "PLCC", "SRCC", "MAE", "RMSE", "ThresholdAccuracy", "HitRateAtK", "MAPAtK", "MAPCurve", "NDCGAtK"]
