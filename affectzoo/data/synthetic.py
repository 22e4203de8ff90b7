"""Synthetic image/feature/score data for the test suite and smoke runs (no files, deterministic).

Each item pairs a small random image with a random "audio" feature vector; its ``score`` in
[0, 1] is a fixed smooth function of both, so a model can actually learn it.
"""

from __future__ import annotations

import torch
from torch.utils.data import Dataset

from affectzoo.data.base import ZooDataModule
from affectzoo.data.registry import register_datamodule


class SyntheticPairs(Dataset):
    """``n`` items of ``{"image": 3xSxS, "audio": F, "score": scalar}`` from a seeded generator."""

    def __init__(self, n: int, image_size: int = 16, audio_features: int = 16, seed: int = 0) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.images = torch.rand(n, 3, image_size, image_size, generator=generator)
        self.audio = torch.randn(n, audio_features, generator=generator)
        weights = torch.linspace(-1.0, 1.0, audio_features)
        logit = 4.0 * (self.images.mean(dim=(1, 2, 3)) - 0.5) + 0.5 * (self.audio @ weights) / audio_features**0.5
        self.scores = torch.sigmoid(logit)

    def __len__(self) -> int:
        return len(self.scores)

    def __getitem__(self, index: int) -> dict:
        return {"image": self.images[index], "audio": self.audio[index], "score": self.scores[index], "id": index}


@register_datamodule("synthetic-pairs")
class SyntheticPairsDataModule(ZooDataModule):
    """Train/val/test splits of :class:`SyntheticPairs` with distinct seeds."""

    def __init__(self, num_train: int = 64, num_val: int = 11, num_test: int = 11, image_size: int = 16,
                 audio_features: int = 16, batch_size: int = 8, num_workers: int = 0, seed: int = 0) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers)
        self.save_hyperparameters()

    def setup(self, stage: str | None = None) -> None:
        h = self.hparams
        make = lambda n, offset: SyntheticPairs(n, h.image_size, h.audio_features, h.seed + offset)  # noqa: E731
        self.train_set, self.val_set, self.test_set = make(h.num_train, 0), make(h.num_val, 1), make(h.num_test, 2)

    def train_dataloader(self):
        return self._train_loader(self.train_set)

    def val_dataloader(self):
        return self._eval_loader(self.val_set)

    def test_dataloader(self):
        return self._eval_loader(self.test_set)

    def predict_dataloader(self):
        return self._eval_loader(self.test_set)
