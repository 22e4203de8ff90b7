"""The Visual baseline of Yilma & Leiva (RecSys 2025): paintings like the paintings a user rated.

No music and no affect: a painting's score is the rating-weighted mean cosine similarity of its
frozen image features to the paintings the user rated, ``sum_i w_i cos(p, r_i)`` with ``w_i =
r_i / sum(r)`` (eq. 8). That sum is one dot product of the unit-normalised painting with
``sum_i w_i r_i / |r_i|``, so a catalogue of unit vectors answers it with one search.
"""

from __future__ import annotations

import numpy as np
import torch

from affectzoo.backbones.named import ALL_VIEWS, build_encoder
from affectzoo.catalog import Catalog, Recommendation, encode_catalogue, existing_catalogue
from affectzoo.models.mozart.ranking import read_ratings, rating_weights


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


class Visual:
    """Cosine similarity of ``encoder`` features (views averaged) to the rated paintings (higher first)."""

    def __init__(self, encoder: str = "tf_efficientnet_lite2", views: tuple[str, ...] = ALL_VIEWS) -> None:
        self.encoder_name = encoder
        self.encoder = build_encoder(encoder, views=tuple(views))

    def features(self, path: str) -> np.ndarray:
        """Unit-normalised features of one picture file (from the feature cache when there)."""
        value = self.encoder.cached(str(path))
        return _unit((value.mean(0) if value.ndim == 2 else value).double().numpy())

    def index(self, items, on_error: str = "raise") -> Catalog:
        """An image catalogue of unit-normalised features (a Catalog or its file is returned as it is)."""
        existing = existing_catalogue(items)
        if existing is not None:
            return existing
        kept, values = encode_catalogue(items, "image", self.features, on_error)
        return Catalog(kept, np.stack(values).astype(np.float32), model=f"visual ({self.encoder_name})", kind="image")

    def recommend(self, ratings, catalogue, k: int = 10, on_error: str = "raise",
                  exclude_rated: bool = True) -> list[Recommendation]:
        """The ``k`` paintings most like the rated ones: ``(painting id, weighted cosine)``, best
        first. ``ratings``: ``{painting path: rating 1-5}``, pairs, or a CSV with ``image_path`` and
        ``rating`` columns; rated paintings in the catalogue are left out unless ``exclude_rated`` is False."""
        paths, values = read_ratings(ratings, path_column="image_path")
        query = rating_weights(values) @ np.stack([self.features(p) for p in paths])
        catalogue = self.index(catalogue, on_error)
        rated = {str(p) for p in paths} if exclude_rated else set()
        found = catalogue.top(torch.from_numpy(query).float(), k + len(rated), metric="dot")
        return [Recommendation(item, score) for item, score in found if item not in rated][:k]
