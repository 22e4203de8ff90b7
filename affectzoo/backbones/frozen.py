"""``FrozenEncoder``: a pretrained encoder that never trains, with its preprocessing and its feature cache.

Every frozen encoder of the zoo (ImageNet image backbones, musicnn) derives from this class, which
owns three things so that nothing else has to:

* **freezing**: no gradients, and eval mode even when a parent model calls ``.train()``, so its
  BatchNorm statistics never move;
* **preprocessing** (:attr:`preprocess`): how an input is prepared for it (image size, mean/std,
  crop; sample rate, clip length), used by :meth:`prepare` through :mod:`affectzoo.media`;
* **the feature cache** (:meth:`cached`): features of a file are computed once and kept on disk
  (and in memory for the process), keyed by the file's content, :attr:`cache_cfg` and the
  encoder's name, in the namespace :attr:`cache_namespace`. Audio encoders also cache seeded
  augmented variants of a file (``cached(path, augment=seed)``, :mod:`affectzoo.data.augment`).

Models hold their frozen encoders as submodules (so checkpoints carry their weights and load them
strictly) and list them in ``frozen_encoders()``; DataModules ask those encoders for cached
features and never build a model. Subclasses implement :meth:`encode_batch`, which turns
prepared inputs into features, and :meth:`feature_name`.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class FrozenEncoder(nn.Module):
    """Base class of frozen pretrained encoders (see the module docstring).

    Subclasses set ``modality`` (``"image"`` or ``"audio"``), fill :attr:`cfg` (at least ``name``
    and ``weights``) and :attr:`preprocess`, and implement :meth:`encode_batch`.
    """

    modality: str = ""
    #: Keys of :attr:`preprocess` the encoder applies itself to a prepared input (musicnn's patch
    #: budget), which :meth:`prepare` does not read.
    encoder_side_keys: tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__()
        self.cfg: dict[str, Any] = {}
        self.preprocess: dict[str, Any] = {}
        self.frozen = False

    def freeze(self, frozen: bool = True) -> "FrozenEncoder":
        """Stop (or allow) gradients; a frozen encoder stays in eval mode."""
        self.frozen = frozen
        self.requires_grad_(not frozen)
        return self.train(self.training and not frozen)

    def train(self, mode: bool = True) -> "FrozenEncoder":
        """Switch mode; a frozen encoder always stays in eval mode."""
        return super().train(mode and not self.frozen)

    @property
    def device(self) -> torch.device:
        tensor = next(iter(self.parameters()), None)
        return tensor.device if tensor is not None else torch.device("cpu")

    # ------------------------------------------------------------------------ what subclasses give

    def encode_batch(self, batch: Tensor) -> Tensor:
        """Features of prepared inputs (a batch of what :meth:`prepare` returns, stacked)."""
        raise NotImplementedError

    def feature_name(self) -> str:
        """What the features are, for the cache namespace (e.g. ``"tokens"``, ``"pooled"``)."""
        raise NotImplementedError

    # ------------------------------------------------------------------------ shared behaviour

    def prepare(self, item: Any, sample_rate: int | None = None, augment: int | None = None) -> Tensor:
        """One input (path, PIL image, array, waveform) prepared as :attr:`preprocess` says; audio
        with ``augment`` gets the seeded augmentation of :func:`~affectzoo.data.augment.augment_waveform`."""
        from affectzoo import media

        if self.modality == "image":
            if augment is not None:
                raise ValueError("augment is for audio encoders")
            return media.image_tensor(item, self.preprocess)
        wave = media.waveform(item, self.preprocess, sample_rate)
        if augment is not None:
            from affectzoo.data.augment import augment_waveform

            wave = augment_waveform(wave, self.preprocess["sample_rate"], augment)
        return wave

    def decoding_key(self) -> str:
        """What :meth:`prepare` depends on: encoders with equal keys can share one decoded input."""
        return repr(sorted((k, v) for k, v in self.preprocess.items() if k not in self.encoder_side_keys))

    def encode(self, item: Any, sample_rate: int | None = None, augment: int | None = None) -> Tensor:
        """Features (CPU) of one input, computed now (no cache)."""
        prepared = self.prepare(item, sample_rate, augment).to(self.device)
        with torch.no_grad():
            return self.encode_batch(prepared[None])[0].cpu()

    @property
    def cache_cfg(self) -> dict:
        """Everything a file's features depend on besides the file: weights, preprocessing, output."""
        return {"encoder": self.cfg.get("name"), "weights": self.cfg.get("weights"), "features": self.feature_name(),
                "preprocess": {k: v for k, v in sorted(self.preprocess.items())}}

    @property
    def cache_namespace(self) -> str:
        return f"frozen-{self.cfg.get('name', type(self).__name__)}-{self.feature_name()}"

    def cached(self, path, augment: int | None = None, prepared=None) -> Tensor:
        """Features (CPU) of the file ``path`` (audio: of its ``augment``-seeded variant), from the
        feature cache (computed on a miss).

        ``prepared`` (a function returning this file's prepared input, called only on a miss) lets
        several encoders with the same preprocessing share one decode of a file. Bad files raise
        :class:`~affectzoo.errors.InputError` naming them, and nothing is cached.
        """
        from affectzoo.data.cache import FeatureCache

        def compute() -> Tensor:
            if prepared is None:
                return self.encode(path, augment=augment)
            with torch.no_grad():
                return self.encode_batch(prepared().to(self.device)[None])[0].cpu()

        cfg = self.cache_cfg if augment is None else {**self.cache_cfg, "augment": int(augment)}
        cache = FeatureCache(self.cache_namespace, keep_in_memory=True)
        return cache.tensor(path, cfg, compute, encoder=str(self.cfg.get("name")))
