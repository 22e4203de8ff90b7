"""The inference API of :class:`~affectzoo.models.imagemusic.ImageMusicVA`: V/A, pair scores, music catalogues.

* ``va-predictor``: :meth:`predict_va`. Each file is decoded once for all of a side's encoders
  that share its preprocessing, and its features come from the feature cache when they are there
  (so a folder predicted twice is decoded once).
* ``pair-scorer``: :meth:`score`, :meth:`rank`: the affect similarity (IMUSE score) of the two
  sides' predicted V/A, ImageMusic's recommendation principle.
* ``recommender``: :meth:`index` makes a music :class:`~affectzoo.catalog.Catalog` whose
  embeddings are the clips' predicted V/A; :meth:`recommend` gives the clips closest in V/A to an
  image (score = affect similarity, best first).
"""

from __future__ import annotations


import numpy as np
import torch
from torch import Tensor

from affectzoo.affect.similarity import affect_similarity
from affectzoo.catalog import Catalog, Recommendation, encode_catalogue, existing_catalogue
from affectzoo.errors import InputError
from affectzoo.models.rank_by_score import RankByScore


class ImageMusicVAInference(RankByScore):
    """V/A prediction, pair scores and recommendation (see the module docstring)."""

    def _side_va(self, side: str, items, sample_rate: int | None = None, batch_size: int = 64) -> Tensor:
        """V/A ``[N, 2]`` of the items of one side (files, folders, arrays)."""
        if side not in self.heads:
            raise InputError(side, f"this model has no {side} head (it was built without {side} encoders)")
        with self._inference():
            return torch.cat([self.va_of(side, vectors).float().cpu()
                              for vectors in self.side_vectors(side, items, sample_rate, batch_size)])

    def predict_va(self, images=None, audio=None, sample_rate: int | None = None) -> dict[str, Tensor]:
        """Valence and arousal in [-1, 1]: ``{"image": [N, 2], "music": [M, 2]}`` (each side only when given).

        ``images`` and ``audio``: one input or a list (files, folders in sorted order, PIL images,
        numpy/torch images, waveforms at ``sample_rate``).
        """
        out = {}
        if images is not None:
            out["image"] = self._side_va("image", images)
        if audio is not None:
            out["music"] = self._side_va("music", audio, sample_rate)
        return out

    def score(self, images, audio, sample_rate: int | None = None) -> Tensor:
        """Affect similarity ``[N]`` of the pairs ``(images[i], audio[i])``; a single image or clip is
        paired with every item of the other side."""
        image_va = self._side_va("image", images)
        music_va = self._side_va("music", audio, sample_rate)
        if 1 not in (len(image_va), len(music_va)) and len(image_va) != len(music_va):
            raise InputError("audio", f"{len(music_va)} music inputs for {len(image_va)} images: give one per image "
                                      "or a single one on either side")
        count = max(len(image_va), len(music_va))
        return affect_similarity(image_va.expand(count, -1), music_va.expand(count, -1))

    def index(self, items, on_error: str = "raise") -> Catalog:
        """A music :class:`~affectzoo.catalog.Catalog` (embeddings and V/A: the clips' predicted V/A) of a
        folder, files, or a ``.csv``/``.tsv`` table with an ``audio_path`` column; a saved catalogue
        file or a Catalog is returned as it is. Unreadable files raise, or with ``on_error="skip"``
        are left out with a warning."""
        existing = existing_catalogue(items)
        if existing is not None:
            return existing
        kept, va = encode_catalogue(items, "audio", lambda path: self._side_va("music", path)[0], on_error)
        name = self.pretrained_cfg.name or type(self).__name__
        values = torch.stack(va).numpy()
        return Catalog(kept, values, values, model=name, va_source=name, kind="music")

    def recommend(self, query, catalogue, k: int = 10, on_error: str = "raise") -> list[Recommendation]:
        """The ``k`` catalogue clips whose predicted V/A is closest to the image ``query``'s, best first
        (score: affect similarity). ``catalogue``: a Catalog, its file, or what :meth:`index` takes."""
        if k < 1:
            raise ValueError(f"k must be positive, got {k}")
        catalogue = self.index(catalogue, on_error)
        if catalogue.va is None:
            raise InputError(catalogue.model or "catalogue", "has no V/A to recommend by")
        image_va = self._side_va("image", query)
        if len(image_va) != 1:
            raise InputError("image", f"recommend takes one image, got {len(image_va)}")
        found = catalogue.top(image_va.numpy().astype(np.float32), k, metric="l2", space="va")
        return [Recommendation(item, 1.0 - distance / 2.0) for item, distance in found]

