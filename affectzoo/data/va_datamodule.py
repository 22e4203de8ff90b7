"""``open-va``: every labelled picture and clip of the open data, as frozen-encoder features, for V/A models.

Items come from :mod:`affectzoo.data.va_items` (OASIS and BASS pictures; EMOPIA, VGMIDI, DEAM and
Emotify music, with augmented and re-instrumented variants). Features come from the attached
model's frozen encoders (``attach_model``, which ``affectzoo fit`` calls), read from the feature
cache; the DataModule never builds a model.

Splits: training uses the ``train`` split of every source not in ``hold_out``, all variants;
validation the ``val`` split of those sources (clean variants); testing the ``test`` split, or, when
sources are held out, every item of the held-out sources (clean): leave-one-source-out transfer.

Training batches are ``{"image": part, "music": part}`` (one loader per modality, cycled to the
longer), drawn with replacement so that a source's share of the draws is proportional to
``n_source ** balance_power`` (0: every source alike, 1: as many as it has items), times its
``source_weights`` entry (default 1; e.g. ``{"bass": 0.25}`` to let shapes inform photos less). Evaluation
loaders yield ``{side: part}`` one modality at a time. A part: ``features`` (encoder name ->
``[B, ...]``, musicnn patches padded with ``<name>_lengths``), ``valence``, ``arousal``,
``label_type`` and ``source`` (integer codes of :data:`LABEL_TYPES` and :data:`SOURCES`), ``id``.
"""

from __future__ import annotations

import pandas as pd
import torch
from torch.utils.data import DataLoader, Dataset, WeightedRandomSampler

from affectzoo.data.base import ZooDataModule
from affectzoo.data.collate import collate_padded
from affectzoo.data.registry import register_datamodule
from affectzoo.data.va_items import IMAGE_SOURCES, MUSIC_SOURCES, image_items, music_items
from affectzoo.losses.va import LABEL_TYPES

SOURCES = MUSIC_SOURCES + IMAGE_SOURCES
SIDE_OF = {"image": "image", "audio": "music"}


class FeatureItems(Dataset):
    """Rows of a V/A item table as samples of their encoders' cached features and their labels."""

    def __init__(self, table: pd.DataFrame, encoders: dict, path_column: str) -> None:
        self.table = table.reset_index(drop=True)
        self.encoders, self.path_column = encoders, path_column

    def __len__(self) -> int:
        return len(self.table)

    def __getitem__(self, index: int) -> dict:
        row = self.table.iloc[index]
        augment = None if pd.isna(row["augment"]) else int(row["augment"])
        features = {name: encoder.cached(row[self.path_column], augment=augment)
                    for name, encoder in self.encoders.items()}
        return {"features": features, "valence": float(row["valence"]), "arousal": float(row["arousal"]),
                "label_type": LABEL_TYPES.index(row["label_type"]), "source": SOURCES.index(row["source"]),
                "id": str(row["id"])}


def _wrapped(side: str):
    return lambda items: {side: collate_padded(items)}


@register_datamodule("open-va")
class OpenVADataModule(ZooDataModule):
    """Labelled pictures and music as encoder features (see the module docstring)."""

    def __init__(self, root: str = "../shared/data", seed: int = 0, modalities: tuple[str, ...] = ("image", "music"),
                 hold_out: tuple[str, ...] = (), augments: int = 2, programs: str = "none",
                 balance_power: float = 0.5, source_weights: dict[str, float] | None = None, batch_size: int = 64,
                 num_workers: int = 0) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers)
        unknown = set(hold_out) - set(SOURCES)
        if unknown:
            raise ValueError(f"unknown sources to hold out {sorted(unknown)}; sources are {SOURCES}")
        self.root, self.seed, self.modalities, self.hold_out = root, seed, tuple(modalities), tuple(hold_out)
        self.augments, self.programs, self.balance_power = augments, programs, balance_power
        self.source_weights = dict(source_weights or {})
        unknown = set(self.source_weights) - set(SOURCES)
        if unknown:
            raise ValueError(f"unknown sources in source_weights {sorted(unknown)}; sources are {SOURCES}")
        self.encoders: dict = {}
        self.tables: dict[str, pd.DataFrame] = {}

    def attach_model(self, model) -> None:
        """Read features from ``model``'s frozen encoders."""
        self.encoders = dict(model.frozen_encoders())

    def _side_encoders(self, side: str) -> dict:
        return {name: encoder for name, encoder in self.encoders.items() if SIDE_OF[encoder.modality] == side}

    def setup(self, stage: str | None = None) -> None:
        if not self.encoders:
            raise ValueError("open-va reads features from a model's frozen encoders: call attach_model(model) "
                             "(affectzoo fit does it for recipes)")
        self.tables = {}
        if "music" in self.modalities:
            self.tables["music"] = music_items(self.root, self.seed, self.augments, self.programs)
        if "image" in self.modalities:
            self.tables["image"] = image_items(self.root, self.seed)
        self.datasets = {stage_name: {side: FeatureItems(rows, self._side_encoders(side),
                                                          "audio_path" if side == "music" else "image_path")
                                      for side, rows in self._rows(stage_name).items() if len(rows)}
                         for stage_name in ("train", "val", "test")}

    def _rows(self, stage: str) -> dict[str, pd.DataFrame]:
        out = {}
        for side, table in self.tables.items():
            kept = table[~table["source"].isin(self.hold_out)]
            if stage == "train":
                out[side] = kept[kept["split"] == "train"]
                continue
            clean = table[table["variant"] == "clean"]
            if stage == "val":
                out[side] = clean[~clean["source"].isin(self.hold_out) & (clean["split"] == "val")]
            elif self.hold_out:
                out[side] = clean[clean["source"].isin(self.hold_out)]
            else:
                out[side] = clean[clean["split"] == "test"]
        return out

    def _weights(self, table: pd.DataFrame) -> torch.Tensor:
        counts = table["source"].map(table["source"].value_counts())
        extra = table["source"].map(lambda source: self.source_weights.get(source, 1.0))
        return torch.tensor((extra * counts ** (self.balance_power - 1.0)).to_numpy(), dtype=torch.double)

    def train_dataloader(self):
        loaders = {}
        for side, dataset in self.datasets["train"].items():
            sampler = WeightedRandomSampler(self._weights(dataset.table), num_samples=len(dataset), replacement=True)
            loaders[side] = DataLoader(dataset, batch_size=self.batch_size, sampler=sampler, collate_fn=collate_padded,
                                       num_workers=self.num_workers)
        return loaders

    def _eval_loaders(self, stage: str) -> list:
        return [self._eval_loader(dataset, _wrapped(side)) for side, dataset in self.datasets[stage].items()]

    def val_dataloader(self):
        return self._eval_loaders("val")

    def test_dataloader(self):
        return self._eval_loaders("test")

    def predict_dataloader(self):
        return self._eval_loaders("test")

    def statistics_batches(self, sides=None):
        """Every training row of ``sides`` (default: all) once, in order, as ``{side: part}`` batches
        (for fitting what a model fits once on its training features)."""
        for side, dataset in self.datasets["train"].items():
            if sides is not None and side not in sides:
                continue
            yield from DataLoader(dataset, batch_size=256, shuffle=False, collate_fn=_wrapped(side))
