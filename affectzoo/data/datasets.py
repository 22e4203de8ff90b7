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

    def __init__(self, preprocess: dict | None = None, train: bool = False, image_tokens=None,
                 music_features=None, prior_va=None) -> None:
        """``image_tokens(path) -> Tensor``, when given, replaces pixels by a frozen image encoder's
        (cached) features: samples then carry ``image_tokens`` instead of ``image``. Likewise
        ``music_features(path) -> Tensor`` replaces the audio (or mel) by a frozen music encoder's
        (cached) features: samples then carry ``music_features``. Both are
        :meth:`~affectzoo.backbones.frozen.FrozenEncoder.cached` of the model's encoders.
        ``prior_va``, a model's frozen V/A prior (:class:`~affectzoo.models.va_prior.FrozenVAPrior`),
        adds its cached V/A ``[2]`` of each file: ``image_prior_va`` beside a painting (suffixed like
        its key), ``music_prior_va`` beside the music."""
        preprocess = dict(preprocess or {})
        self.image_tokens, self.music_features, self.prior_va = image_tokens, music_features, prior_va
        self.image_cfg = ImageCfg.resolve(preprocess)
        self.audio_cfg = AudioCfg.from_preprocess(preprocess)
        mel_cfg = preprocess.get("mel", preprocess)  # nested {"mel": {...}} or flat n_fft/hop_length/n_mels keys
        self.mel = MelFrontEnd.from_cfg({"sample_rate": self.audio_cfg.sample_rate, **mel_cfg}) \
            if "n_mels" in mel_cfg else None
        self.train = train

    def image(self, path: str) -> torch.Tensor:
        return self.image_cfg(load_image(path))

    def painting(self, path: str, key: str = "image") -> dict[str, torch.Tensor]:
        """``{key: pixels}``, or ``{key with image -> image_tokens: tokens}`` when tokens are configured
        (and ``{key with image -> image_prior_va: V/A}`` with a prior)."""
        if self.image_tokens is None:
            sample = {key: self.image(path)}
        else:
            sample = {key.replace("image", "image_tokens"): self.image_tokens(path)}
        if self.prior_va is not None:
            sample[key.replace("image", "image_prior_va")] = self.prior_va.image(path)
        return sample

    def audio(self, path: str) -> dict[str, torch.Tensor]:
        """The music of ``path`` as configured (features, mel or waveform), plus ``music_prior_va`` with a prior."""
        sample = self._music(path)
        if self.prior_va is not None:
            sample["music_prior_va"] = self.prior_va.audio(path)
        return sample

    def _music(self, path: str) -> dict[str, torch.Tensor]:
        if self.music_features is not None:
            return {"music_features": self.music_features(path)}
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
            sample.update(self.loader.painting(row["image_path"]))
        if "audio" in self.media:
            sample.update(self.loader.audio(row["audio_path"]))
        for label in self.labels:
            sample[label] = torch.tensor(float(row[label]))
        return sample


class PairsWithPreferences(Dataset):
    """Scored music-image pairs, each returned with one preference sample under ``"pref"``.

    ``preferences`` rows (``query_modality``, ``query_id``, ``preferred_id``, ``rejected_id``) are
    cycled so every pair carries one; the sample has ``image_pos``/``image_neg``/``mel_pos``/
    ``mel_neg`` (the query repeated on its own side) and ``query_modality``, the layout
    ``MPJudge`` trains DPO on. Paths of the ids come from the pairs table, unless
    ``ids_are_paths`` (MPD's preference file names its files directly).
    """

    def __init__(self, pairs: TableDataset, preferences: pd.DataFrame, ids_are_paths: bool = False) -> None:
        self.pairs, self.preferences = pairs, preferences.reset_index(drop=True)
        table = pairs.table
        if ids_are_paths:
            ids = self.preferences[["query_id", "preferred_id", "rejected_id"]].to_numpy().ravel()
            self.image_paths = self.audio_paths = {i: i for i in ids}
        else:
            self.image_paths = dict(zip(table["image_id"], table["image_path"]))
            self.audio_paths = dict(zip(table["music_id"], table["audio_path"]))

    def __len__(self) -> int:
        return len(self.pairs)

    def _music(self, music_id: str, suffix: str) -> dict[str, torch.Tensor]:
        """``{mel<suffix>: music}`` (whatever form the loader gives) and, with a prior, ``music_prior_va<suffix>``."""
        sample = self.pairs.loader.audio(self.audio_paths[music_id])
        prior = sample.pop("music_prior_va", None)
        music = {f"mel{suffix}": next(iter(sample.values()))}
        return music if prior is None else {**music, f"music_prior_va{suffix}": prior}

    def __getitem__(self, index: int) -> dict:
        sample = self.pairs[index]
        if len(self.preferences):
            row = self.preferences.iloc[index % len(self.preferences)]
            painting = self.pairs.loader.painting
            if row["query_modality"] == "image":
                query = self.image_paths[row["query_id"]]
                pref = {**painting(query, "image_pos"), **painting(query, "image_neg"),
                        **self._music(row["preferred_id"], "_pos"), **self._music(row["rejected_id"], "_neg")}
            else:
                pref = {**painting(self.image_paths[row["preferred_id"]], "image_pos"),
                        **painting(self.image_paths[row["rejected_id"]], "image_neg"),
                        **self._music(row["query_id"], "_pos"), **self._music(row["query_id"], "_neg")}
            sample["pref"] = {**pref, "query_modality": row["query_modality"]}
        return sample


class WithTargets(Dataset):
    """A TableDataset whose samples also carry per-id tensors (``targets[name][id]``).

    Used for palette targets: ``candidates`` [K, 5, 3] Lab palettes, and ``palette`` = the first.
    """

    def __init__(self, dataset: TableDataset, targets: dict[str, dict[str, torch.Tensor]]) -> None:
        self.dataset, self.targets = dataset, targets

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> dict:
        sample = self.dataset[index]
        for name, by_id in self.targets.items():
            sample[name] = by_id[sample["id"]]
        if "candidates" in sample:
            sample["palette"] = sample["candidates"][0]
        return sample
