"""Tiny models for the test suite and smoke runs (like timm's ``test_*`` models).

``test_regressor`` is a real, trainable image + audio-feature -> score regressor of a few hundred
parameters. It exercises the zoo's plumbing (registry, save/load, export, CLI, DDP metrics) in
seconds; it is not a model of any paper and ships no weights.
"""

from __future__ import annotations

import torch
from torch import nn
from torchmetrics import MetricCollection, SumMetric

from affectzoo._registry import register_model
from affectzoo.metrics import MAE, PLCC, RMSE, SRCC
from affectzoo.models.base import ZooModule


class TinyRegressor(ZooModule):
    """Conv image branch + linear audio branch, concatenated, to a sigmoid score in [0, 1]."""

    def __init__(self, audio_features: int = 16, hidden: int = 8, lr: float = 1e-2) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.image_branch = nn.Sequential(
            nn.Conv2d(3, hidden, 3, stride=2, padding=1), nn.BatchNorm2d(hidden), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.audio_branch = nn.Sequential(nn.Linear(audio_features, hidden), nn.ReLU())
        self.head = nn.Linear(2 * hidden, 1)
        metrics = MetricCollection({"srcc": SRCC(), "plcc": PLCC(), "mae": MAE(), "rmse": RMSE()})
        self.val_metrics = metrics.clone(prefix="val/")
        self.test_metrics = metrics.clone(prefix="test/")
        # items seen, summed over processes: proves evaluation counts each item exactly once
        self.val_count, self.test_count = SumMetric(), SumMetric()

    def example_batch(self, batch_size: int = 2) -> dict:
        """Random pairs: 16 x 16 pictures, audio feature vectors, scores."""
        return {"image": torch.randn(batch_size, 3, 16, 16),
                "audio": torch.randn(batch_size, self.hparams.audio_features), "score": torch.rand(batch_size)}

    def default_preprocess(self) -> dict:
        return {"image_size": 16, "audio_features": self.hparams.audio_features}

    def forward(self, image: torch.Tensor, audio: torch.Tensor) -> torch.Tensor:
        features = torch.cat([self.image_branch(image), self.audio_branch(audio)], dim=1)
        return torch.sigmoid(self.head(features)).squeeze(-1)

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        loss = nn.functional.mse_loss(self(batch["image"], batch["audio"]), batch["score"])
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def _evaluate(self, batch: dict, metrics: MetricCollection, count: SumMetric, prefix: str) -> None:
        preds = self(batch["image"], batch["audio"])
        metrics.update(preds, batch["score"])
        count.update(torch.ones_like(preds))
        self.log_dict(metrics, on_step=False, on_epoch=True, batch_size=len(preds))
        self.log(f"{prefix}count", count, on_step=False, on_epoch=True, batch_size=len(preds))

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch, self.val_metrics, self.val_count, "val/")

    def test_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch, self.test_metrics, self.test_count, "test/")

    def predict_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        return self(batch["image"], batch["audio"])

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


@register_model(cfgs={
    "synthetic": {
        "description": "tiny test-only regressor (synthetic data); exercises the zoo's plumbing",
        "output_names": ["score"],
        "output_range": [0.0, 1.0],
    },
    "wide": {"model_args": {"hidden": 16}, "description": "wider test-only regressor"},
})
def test_regressor(**kwargs) -> TinyRegressor:
    """Tiny image + audio-feature regressor used by the tests (not a paper model)."""
    return TinyRegressor(**kwargs)
