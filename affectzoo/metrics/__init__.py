"""Torchmetrics-based metrics of the zoo (correlation, regression, retrieval, colour palettes)."""

from affectzoo.metrics.correlation import KRCC, PLCC, SRCC
from affectzoo.metrics.palette import (
    ConvexHullOverlap,
    EmotionJensenShannon,
    EmotionSimilarity,
    PaletteBhattacharyya,
    PaletteDiversity,
    PaletteMultiplicity,
    palette_distance,
)
from affectzoo.metrics.regression import MAE, RMSE, ThresholdAccuracy
from affectzoo.metrics.retrieval import HitRateAtK, MAPAtK, MAPCurve, NDCGAtK

__all__ = ["KRCC", "PLCC", "SRCC", "MAE", "RMSE", "ThresholdAccuracy", "HitRateAtK", "MAPAtK", "MAPCurve", "NDCGAtK",
           "PaletteDiversity", "PaletteMultiplicity", "ConvexHullOverlap", "PaletteBhattacharyya", "EmotionSimilarity",
           "EmotionJensenShannon", "palette_distance"]
