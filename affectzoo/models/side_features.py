"""Frozen encoders per side (image, music) and one feature vector per item: shared by every model
that learns on top of cached encoder features of both modalities (ImageMusic's V/A model, Mozart).

A model mixes in :class:`SideFeatures`, calls :meth:`SideFeatures._build_side_encoders` in its
constructor, and gets:

* ``image_encoders`` / ``music_encoders`` (``nn.ModuleDict`` of :class:`~affectzoo.backbones.FrozenEncoder`),
  ``frozen_encoders()`` for the DataModules and ``default_preprocess()`` for the cfg;
* :meth:`side_vector`: a batch of encoder outputs -> ``[B, D]``: image views averaged, musicnn patches
  pooled by mean and standard deviation over each clip's valid patches (in training optionally
  over a random run of at least ``min_crop_patches``), everything concatenated;
* :meth:`side_vectors`: files, folders or arrays -> those vectors in batches, each file decoded at
  most once for all encoders that share its preprocessing and read from the feature cache when it is there;
* :class:`Standardizer`: a side's vector standardised with statistics of the training features.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pad_sequence

from affectzoo import media
from affectzoo.backbones.musicnn import FEATURE_DIM as MUSICNN_FEATURES
from affectzoo.backbones.musicnn import Musicnn
from affectzoo.backbones.named import build_encoder, encoder_modality
from affectzoo.errors import InputError

SIDES = ("image", "music")


class Standardizer(nn.Module):
    """``(x - mean) / std`` with statistics fitted once on training features and saved as buffers."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))
        self.register_buffer("fitted", torch.zeros((), dtype=torch.bool))

    def fit(self, features: Tensor) -> None:
        self.set(features.mean(0), features.std(0))

    def set(self, mean: Tensor, std: Tensor) -> None:
        """Take statistics computed elsewhere (e.g. accumulated over more rows than fit in memory)."""
        self.mean.copy_(mean)
        self.std.copy_(std.clamp(min=1e-4))
        self.fitted.fill_(True)

    def forward(self, x: Tensor) -> Tensor:
        return (x - self.mean) / self.std



class SideFeatures:
    """Mixin for an ``nn.Module`` (see the module docstring)."""

    image_encoders: nn.ModuleDict
    music_encoders: nn.ModuleDict

    def _build_side_encoders(self, image_encoders, image_views, music_encoders, clip_seconds: float,
                             music_patches: int | None, music_precision: str) -> dict[str, int]:
        """Build both sides' encoders; returns each side's vector width (0 for a side without encoders)."""
        for name in image_encoders:
            if encoder_modality(name) != "image":
                raise ValueError(f"{name!r} is not an image encoder")
        for name in music_encoders:
            if encoder_modality(name) != "audio":
                raise ValueError(f"{name!r} is not a music encoder")
        self.image_encoders = nn.ModuleDict({
            _key(name): build_encoder(name, views=tuple(image_views)) for name in image_encoders})
        self.music_encoders = nn.ModuleDict({
            _key(name): build_encoder(name, clip_seconds=clip_seconds, patches=music_patches, precision=music_precision)
            for name in music_encoders})
        return {side: sum(self._width(encoder) for encoder in self._encoders(side).values()) for side in SIDES}

    def _encoders(self, side: str) -> nn.ModuleDict:
        return self.image_encoders if side == "image" else self.music_encoders

    @staticmethod
    def _width(encoder) -> int:
        """Width of an encoder's contribution: musicnn patches pooled by mean and std, else its features."""
        return 2 * MUSICNN_FEATURES if isinstance(encoder, Musicnn) else encoder.num_features

    def frozen_encoders(self) -> dict:
        """The DataModule reads each encoder's cached features (``open-va`` feeds them all)."""
        return {name: encoder for side in SIDES for name, encoder in self._encoders(side).items()}

    def default_preprocess(self) -> dict:
        first_image = next(iter(self.image_encoders.values()), None)
        first_music = next(iter(self.music_encoders.values()), None)
        return {**(first_image.preprocess if first_image is not None else {}),
                **(first_music.preprocess if first_music is not None else {})}

    # ------------------------------------------------------------------------------ batches of encoder outputs

    def side_vector(self, side: str, features: dict, crop: bool = False) -> Tensor:
        """Concatenated features ``[B, D]`` of one side from the encoders' outputs (``features[name]``)."""
        parts = []
        for name in self._encoders(side):
            if name not in features:
                raise InputError("batch", f"lacks the features of encoder {name!r} ({side} side)")
            x = features[name].float().to(self.device)
            if side == "image" and x.ndim == 3:  # views of a timm encoder
                x = x.mean(dim=1)
            elif side == "music" and x.ndim == 3:  # musicnn patches
                x = self._pool_patches(x, features.get(f"{name}_lengths"), crop)
            parts.append(x)
        return torch.cat(parts, dim=-1)

    def _pool_patches(self, patches: Tensor, lengths: Tensor | None, crop: bool) -> Tensor:
        """Mean and standard deviation over each clip's valid patches (in training: over a random run)."""
        batch, total = patches.shape[:2]
        lengths = lengths.to(self.device) if lengths is not None else torch.full((batch,), total, device=self.device)
        start = torch.zeros_like(lengths)
        stop = lengths.clone()
        if crop:
            low = torch.clamp(lengths, max=self.hparams.min_crop_patches)
            size = low + (torch.rand(len(lengths), device=self.device) * (lengths - low + 1)).long().clamp(min=0)
            size = torch.minimum(size, lengths)
            start = (torch.rand(len(lengths), device=self.device) * (lengths - size + 1)).long()
            stop = start + size
        index = torch.arange(total, device=self.device)[None]
        mask = ((index >= start[:, None]) & (index < stop[:, None])).float()[..., None]
        n = mask.sum(1).clamp(min=1)
        mean = (patches * mask).sum(1) / n
        var = ((patches - mean[:, None]) ** 2 * mask).sum(1) / n
        return torch.cat([mean, var.sqrt()], dim=-1)

    def example_features(self, side: str, batch_size: int) -> dict[str, Tensor]:
        """Random encoder outputs of one side in the shapes the DataModule gives (for ``example_batch``)."""
        features = {}
        for name, encoder in self._encoders(side).items():
            if side == "image" and hasattr(encoder, "views") and len(encoder.views) > 1:
                features[name] = torch.rand(batch_size, len(encoder.views), encoder.num_features)
            elif isinstance(encoder, Musicnn):
                features[name] = torch.rand(batch_size, 4, MUSICNN_FEATURES)
            else:
                features[name] = torch.rand(batch_size, encoder.num_features)
        return features

    def training_vectors(self, sides) -> dict[str, dict[str, Tensor]]:
        """Every training row of ``sides`` once, from the attached DataModule's ``statistics_batches``:
        ``{side: {"vector": [N, D], "valence", "arousal", "label_type", "source": [N]}}`` (for what a
        model fits once on its training features: standardisation, scaling, a tag vote)."""
        keys = ("valence", "arousal", "label_type", "source")
        collected = {side: {key: [] for key in ("vector", *keys)} for side in sides}
        with torch.no_grad():
            for batch in self.trainer.datamodule.statistics_batches(set(sides)):
                for side, part in batch.items():
                    collected[side]["vector"].append(self.side_vector(side, part["features"]))
                    for key in keys:
                        collected[side][key].append(part[key])
        return {side: {key: torch.cat(values).to(self.device) for key, values in parts.items()}
                for side, parts in collected.items() if parts["vector"]}

    # ------------------------------------------------------------------------------ inputs

    def side_vectors(self, side: str, items, sample_rate: int | None = None, batch_size: int = 64):
        """Yield :meth:`side_vector` ``[<=batch_size, D]`` of the items of ``side`` (files, folders, arrays), in order."""
        collected = media.collect(items, "image" if side == "image" else "audio")
        if not collected.items:
            raise InputError(side, "no input given")
        for start in range(0, len(collected.items), batch_size):
            chunk = [self._item_features(side, item, sample_rate) for item in collected.items[start:start + batch_size]]
            yield self.side_vector(side, _stack(chunk))

    def _item_features(self, side: str, item, sample_rate: int | None) -> dict[str, Tensor]:
        """Every encoder's features of one item of ``side``; a file is decoded at most once per preprocessing."""
        decoded: dict[str, Tensor] = {}

        def prepare(encoder):
            key = encoder.decoding_key()
            if key not in decoded:
                decoded[key] = encoder.prepare(item, sample_rate)
            return decoded[key]

        features = {}
        for name, encoder in self._encoders(side).items():
            if media.is_path(item):
                features[name] = encoder.cached(str(item), prepared=lambda encoder=encoder: prepare(encoder))
            else:
                with torch.no_grad():
                    features[name] = encoder.encode_batch(prepare(encoder).to(self.device)[None])[0].cpu()
        return features


def _stack(items: list[dict[str, Tensor]]) -> dict[str, Tensor]:
    """Features of several items as a batch: equal shapes stacked, musicnn patches padded with ``<name>_lengths``."""
    batch = {}
    for name in items[0]:
        values = [item[name] for item in items]
        if all(v.shape == values[0].shape for v in values):
            batch[name] = torch.stack(values)
        else:
            batch[name] = pad_sequence(values, batch_first=True)
            batch[f"{name}_lengths"] = torch.tensor([len(v) for v in values])
    return batch


def _key(name: str) -> str:
    """A ModuleDict key for an encoder name (no dots)."""
    return name.replace(".", "_")
