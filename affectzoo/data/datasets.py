"""Datasets over manifest tables: each row's media is decoded with the model's preprocessing.

A sample is a dict (DESIGN.md): ``image`` (3xHxW float), ``audio`` (mono waveform) or ``mel``
(``[frames, n_mels]``), the row's labels (``valence``, ``arousal``, ``score``) and ``id``.

``MediaLoader`` turns paths into tensors from a ``preprocess`` dict (a model's
``pretrained_cfg.preprocess``): images through ``ImageCfg``; audio as a ``clip_seconds`` window
(random offset when training, the start otherwise) or, when the cfg has a ``mel`` entry, as a
cached log-mel of the first ``clip_seconds``.
"""

from __future__ import annotations

import random
from typing import Sequence

import pandas as pd
import torch
from torch.utils.data import Dataset

from affectzoo.data.audio import AudioCfg, audio_duration
from affectzoo.data.image import ImageCfg, load_image
from affectzoo.layers.mel import MelFrontEnd, cached_mel


class MediaLoader:
    """Decode image and audio paths as the model's ``preprocess`` cfg says."""

    def __init__(self, preprocess: dict | None = None, train: bool = False) -> None:
        preprocess = dict(preprocess or {})
        self.image_cfg = ImageCfg.resolve(preprocess)
        self.audio_cfg = AudioCfg.from_preprocess(preprocess)
        self.mel = MelFrontEnd.from_cfg({"sample_rate": self.audio_cfg.sample_rate, **preprocess["mel"]}) \
            if preprocess.get("mel") else None
        self.train = train

    def image(self, path: str) -> torch.Tensor:
        return self.image_cfg(load_image(path))

    def audio(self, path: str) -> dict[str, torch.Tensor]:
        seconds = self.audio_cfg.clip_seconds
        if self.mel is not None:
            options = {"duration_s": seconds, "pad": True} if seconds else {}
            return {"mel": cached_mel(path, self.mel, **options)}
        offset = 0.0
        if self.train and seconds:
            offset = random.uniform(0.0, max(0.0, audio_duration(path) - seconds))
        return {"audio": self.audio_cfg.load(path, offset_s=offset, pad=True)}


class TableDataset(Dataset):
    """Rows of a table with ``image_path`` and/or ``audio_path`` columns plus label columns."""

    def __init__(self, table: pd.DataFrame, loader: MediaLoader, labels: Sequence[str] = ("valence", "arousal"),
                 media: Sequence[str] = ("image",)) -> None:
        self.table = table.reset_index(drop=True)
        self.loader, self.labels, self.media = loader, tuple(labels), tuple(media)

    def __len__(self) -> int:
        return len(self.table)

    def __getitem__(self, index: int) -> dict:
        row = self.table.iloc[index]
        sample = {"id": str(row.get("id", index))}
        if "image" in self.media:
            sample["image"] = self.loader.image(row["image_path"])
        if "audio" in self.media:
            sample.update(self.loader.audio(row["audio_path"]))
        for label in self.labels:
            sample[label] = torch.tensor(float(row[label]))
        return sample
