"""Baseline C of Music2Palette (Hu et al., MM 2025): the palette of the image closest in emotion.

The image-driven baseline goes from music to colour through images instead of a learned decoder:
the music's valence/arousal (predicted or annotated, in [-1, 1]) picks the labelled image whose
valence/arousal is nearest (Euclidean distance in the V/A plane), and that image's 5-colour k-means
palette in CIELab (:func:`~affectzoo.affect.palette_extract.extract_palette`) is the answer. In
the open data the labelled images are OASIS (Kurdi et al., 2017) with its ratings rescaled to
[-1, 1]. It tests how far "an image that feels the same" already carries the right colours.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from affectzoo.affect.palette_extract import extract_palette
from affectzoo.errors import InputError

COLUMNS = ("image_path", "valence", "arousal")


class ImagePaletteBaseline:
    """Music V/A -> nearest labelled image in V/A -> its ``k``-colour k-means palette in CIELab.

    ``images`` is a table (pandas DataFrame) with columns ``image_path``, ``valence`` and
    ``arousal`` (V/A in [-1, 1]); ``k`` and ``seed`` go to
    :func:`~affectzoo.affect.palette_extract.extract_palette`. Palettes are extracted on first
    use and cached per image path, so an image picked again costs nothing.

    Ties: when several images are equally near, the first of them in the table's row order is
    taken. An image with fewer than ``k`` distinct colours gives a palette of that many colours.
    """

    def __init__(self, images: Any, k: int = 5, seed: int = 0) -> None:
        missing = [column for column in COLUMNS if column not in getattr(images, "columns", ())]
        if missing:
            raise InputError("images table", f"missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
        if len(images) == 0:
            raise InputError("images table", "has no rows")
        va = np.asarray(images[["valence", "arousal"]], dtype=np.float64)
        if not np.isfinite(va).all():
            raise InputError("images table", "valence/arousal contain NaN or infinite values")
        if np.abs(va).max() > 1.0:
            raise InputError("images table", f"valence/arousal must lie in [-1, 1], got values up to "
                                             f"{np.abs(va).max():.3g} (rescale the ratings first)")
        self.image_paths = [str(path) for path in images["image_path"]]
        self.va = torch.tensor(va, dtype=torch.float64)
        self.k = int(k)
        self.seed = int(seed)
        self._cache: dict[str, Tensor] = {}

    def nearest(self, va: Any) -> int:
        """Row index of the labelled image nearest to ``va`` ``[2]`` (first row on ties)."""
        query = torch.as_tensor(va, dtype=torch.float64).reshape(-1)
        if query.shape != (2,) or not torch.isfinite(query).all():
            raise InputError("va", f"expected finite (valence, arousal) of shape [2], got {tuple(query.shape)}")
        distances = torch.linalg.vector_norm(self.va - query, dim=1)
        return int(torch.nonzero(distances == distances.min())[0, 0])

    def palette_of(self, index: int) -> Tensor:
        """CIELab palette ``[k, 3]`` of the image in row ``index`` (cached per image path)."""
        path = self.image_paths[index]
        if path not in self._cache:
            self._cache[path], _ = extract_palette(path, k=self.k, seed=self.seed)
        return self._cache[path].clone()

    def palette_for_va(self, va: Any) -> Tensor:
        """CIELab palette ``[k, 3]`` for one (valence, arousal) ``[2]``: the nearest image's palette."""
        return self.palette_of(self.nearest(va))

    def palettes_for_va(self, va: Any) -> list[Tensor]:
        """One CIELab palette ``[k, 3]`` per row of ``va`` ``[B, 2]``."""
        batch = torch.as_tensor(va, dtype=torch.float64)
        if batch.ndim != 2 or batch.shape[1] != 2:
            raise InputError("va", f"expected (valence, arousal) rows [B, 2], got shape {tuple(batch.shape)}")
        return [self.palette_for_va(row) for row in batch]


__all__ = ["ImagePaletteBaseline"]
