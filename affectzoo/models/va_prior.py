"""``FrozenVAPrior``: another zoo model's predicted valence/arousal of files, cached, as a frozen input.

A pair scorer can lean on the zoo's V/A predictor the way it leans on a frozen image backbone: the
predictor's V/A of every painting and clip is computed once per file (batched, cached on disk under
the ``va-prior`` namespace, keyed by the file's content and the predictor's name and weights) and
fed to the scorer beside its other frozen features. :func:`composition_score` turns a painting's and
a clip's V/A into the V/A-distance composition ``1 - ||VA(image) - VA(music)|| / (2 sqrt 2)``, the
floor a pair scorer has to beat (``benchmarks/open_pairs_baselines.py``).

Several predictors (:class:`FrozenVAPriors`, from a list of names) give V/A ``[K, 2]`` per file and
K compositions per pair: an ensemble of priors whose errors partly cancel.

The predictor is loaded on first use (:class:`~affectzoo.models.va_client.UsesVAPredictor`), so a
scorer that carries a prior costs nothing until it meets media it has no cached V/A for.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor
from tqdm.auto import tqdm

from affectzoo.data.cache import FeatureCache
from affectzoo.models.va_client import UsesVAPredictor

#: Largest distance of two V/A points in [-1, 1]^2.
MAX_VA_DISTANCE = 2.0 * math.sqrt(2.0)
#: Files predicted per call of the predictor.
PREDICT_BATCH = 32


def composition_score(image_va: Tensor, music_va: Tensor) -> Tensor:
    """V/A-distance composition ``[B]`` of V/A ``[B, 2]`` pairs (``[B, K]`` of ``[B, K, 2]``): 1 for the
    same emotion, 0 for opposite corners."""
    return 1.0 - (image_va - music_va).norm(dim=-1) / MAX_VA_DISTANCE


class FrozenVAPrior(UsesVAPredictor):
    """Per-file V/A ``[2]`` of paintings and clips from the zoo model ``name`` (a ``va-predictor``)."""

    #: V/A per file
    shape = (2,)

    def __init__(self, name: str, precision: str | None = None) -> None:
        self.name, self.precision = name, precision
        self.cache = FeatureCache("va-prior", keep_in_memory=True)

    def _va_predictor_name(self) -> str:
        return self.name

    @property
    def revision(self) -> str:
        """The predictor's weights checksum (or name): a retrained predictor does not reuse old entries."""
        cfg = getattr(self.va_predictor, "pretrained_cfg", None)
        return str(getattr(cfg, "sha256", None) or self._va_source())

    def _lookup(self, path, kind: str) -> Tensor | None:
        return self.cache.lookup(str(path), {"kind": kind}, self.name, self.revision)

    def _predict(self, items: Sequence, kind: str, sample_rate: int | None = None) -> Tensor:
        if kind == "image":
            return self.va_predictor.predict_va(images=list(items))["image"].float()
        return self.va_predictor.predict_va(audio=list(items), sample_rate=sample_rate)["music"].float()

    def of(self, paths: Sequence, kind: str) -> Tensor:
        """V/A ``[N, 2]`` of ``paths`` (``kind`` ``"image"`` or ``"audio"``), predicting the uncached ones
        in batches and caching them."""
        if kind not in ("image", "audio"):
            raise ValueError(f"kind must be 'image' or 'audio', got {kind!r}")
        values = [self._lookup(path, kind) for path in paths]
        missing = [i for i, value in enumerate(values) if value is None]
        steps = range(0, len(missing), PREDICT_BATCH)
        if len(steps) > 1:
            steps = tqdm(steps, desc=f"V/A prior ({self.name}, {kind})", unit="batch")
        for start in steps:
            chunk = missing[start:start + PREDICT_BATCH]
            predicted = self._predict([paths[i] for i in chunk], kind)
            for i, va in zip(chunk, predicted):
                values[i] = self.cache.tensor(str(paths[i]), {"kind": kind}, lambda va=va: va.clone(),
                                              self.name, self.revision)
        return torch.stack(values) if values else torch.zeros(0, 2)

    def image(self, path) -> Tensor:
        """V/A ``[2]`` of one painting file (the loader hook of ``prior_va=True`` DataModules)."""
        return self.of([path], "image")[0]

    def audio(self, path) -> Tensor:
        """V/A ``[2]`` of one music file."""
        return self.of([path], "audio")[0]

    def media(self, items, kind: str, sample_rate: int | None = None) -> Tensor:
        """V/A ``[N, 2]`` of media as :mod:`affectzoo.media` takes them: files are cached, the rest
        (PIL images, arrays, waveforms) predicted directly."""
        from affectzoo import media

        collected = media.collect(items, kind)
        if all(media.is_path(item) for item in collected.items):
            return self.of(list(collected.items), kind)
        return self._predict(list(collected.items), kind, sample_rate)


class FrozenVAPriors:
    """Several :class:`FrozenVAPrior` side by side: per-file V/A ``[K, 2]``, one row per predictor in
    the order of ``names`` (each cached and loaded on first use like a single prior)."""

    def __init__(self, names: Sequence[str], precision: str | None = None) -> None:
        if not names:
            raise ValueError("FrozenVAPriors needs at least one V/A predictor name")
        self.names = list(names)
        self.priors = [FrozenVAPrior(name, precision) for name in self.names]
        self.shape = (len(self.priors), 2)

    @property
    def name(self) -> str:
        return " + ".join(self.names)

    def of(self, paths: Sequence, kind: str) -> Tensor:
        """V/A ``[N, K, 2]`` of ``paths``."""
        return torch.stack([prior.of(paths, kind) for prior in self.priors], dim=1)

    def image(self, path) -> Tensor:
        return self.of([path], "image")[0]

    def audio(self, path) -> Tensor:
        return self.of([path], "audio")[0]

    def media(self, items, kind: str, sample_rate: int | None = None) -> Tensor:
        return torch.stack([prior.media(items, kind, sample_rate) for prior in self.priors], dim=1)


def frozen_prior(names: str | Sequence[str] | None) -> FrozenVAPrior | FrozenVAPriors | None:
    """The frozen prior of a ``prior_model`` setting: one name, a list of names, or None."""
    if not names:
        return None
    return FrozenVAPrior(names) if isinstance(names, str) else FrozenVAPriors(names)
