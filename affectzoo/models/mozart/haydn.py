"""Haydn (Yilma & Leiva, RecSys 2025): paintings recommended by valence/arousal alone.

Haydn has nothing of its own to train: every item is placed on the V/A plane by the zoo's V/A
predictor (the ``va-predictor`` task; default ``imagemusic``), and paintings are ranked by eq. 7
on that plane, the rated clips weighted by their ratings (eq. 8). It is the affect-only baseline
Mozart adds content codes to.
"""

from __future__ import annotations

import torch

from affectzoo.catalog import Catalog, Recommendation, encode_catalogue, existing_catalogue
from affectzoo.models.mozart.ranking import read_ratings, recommend_by_ratings
from affectzoo.models.va_client import UsesVAPredictor


class Haydn(UsesVAPredictor):
    """Eq. 7 on the V/A plane of ``predictor`` (any model with ``predict_va``; default: the zoo's
    V/A predictor, loaded on first use)."""

    precision = None  # of the V/A predictor Haydn loads (affectzoo.precision); None: its default

    def __init__(self, predictor=None) -> None:
        if predictor is not None:
            self.use_va_predictor(predictor)

    def _va_predictor_name(self) -> str:
        from affectzoo._factory import default_model

        return default_model("va-predictor")

    @property
    def predictor(self):
        """The V/A predictor Haydn ranks with (:attr:`va_predictor`)."""
        return self.va_predictor

    def index(self, items, on_error: str = "raise") -> Catalog:
        """An image :class:`~affectzoo.catalog.Catalog` of paintings (folder, files or a table with an
        ``image_path`` column) whose embeddings and V/A are the predicted V/A; a Catalog or its
        saved file is returned as it is."""
        existing = existing_catalogue(items)
        if existing is not None:
            return existing
        kept, va = encode_catalogue(items, "image", lambda path: self.predictor.predict_va(images=path)["image"][0],
                                    on_error)
        values = torch.stack(va).numpy()
        return Catalog(kept, values, values, model=f"haydn ({self._va_source()})", va_source=self._va_source(), kind="image")

    def recommend(self, ratings, catalogue, k: int = 10, on_error: str = "raise",
                  attention_checks=None, curate: bool = False) -> list[Recommendation]:
        """The ``k`` paintings nearest (eq. 7) to the rated clips' V/A: ``(painting id, distance)``,
        nearest first. ``ratings``: ``{clip path: rating 1-5}``, pairs, or a CSV (see
        :func:`~affectzoo.models.mozart.ranking.read_ratings`)."""
        clips, values = read_ratings(ratings)
        music_va = self.predictor.predict_va(audio=clips)["music"].numpy()
        return recommend_by_ratings(music_va, values, self.index(catalogue, on_error), k, attention_checks,
                                    music_va, curate)
