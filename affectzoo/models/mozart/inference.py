"""The ``recommender`` API of Mozart: joint-space codes of files, painting catalogues, recommendations.

Every item needs its valence/arousal beside its content code (eq. 2). A user's paintings and songs
carry no labels, so their V/A come from a V/A predictor: the zoo's (``va_predictor``, default
``imagemusic``, loaded on first use) or one given with :meth:`use_va_predictor`. The catalogue
records which one (``va_source``). Its features come from the same feature cache as Mozart's own,
so a file is encoded once for both.
"""

from __future__ import annotations

import torch
from torch import Tensor

from affectzoo import media
from affectzoo.catalog import Catalog, Recommendation, encode_catalogue, existing_catalogue
from affectzoo.models.mozart.descriptions import description_lookup
from affectzoo.models.mozart.ranking import read_ratings, recommend_by_ratings
from affectzoo.models.va_client import UsesVAPredictor

_SIDE_INPUT = {"image": "images", "music": "audio"}


class MozartInference(UsesVAPredictor):
    """Mixin of :class:`~affectzoo.models.mozart.Mozart` (see the module docstring)."""

    def _item_texts(self, side: str, items, descriptions) -> list[str | None] | None:
        """Each item's description from ``descriptions`` (a dict, CSV or
        :class:`~affectzoo.models.mozart.descriptions.DescriptionLookup`), matched by path as given or resolved; ``None`` where there is none (and with no descriptions)."""
        if descriptions is None:
            return None
        if not self.reads_descriptions:
            raise ValueError(f"{type(self).__name__} reads no descriptions (Salieri does)")
        lookup = description_lookup(descriptions)
        return [lookup.get(item) if media.is_path(item) else None
                for item in media.collect(items, "image" if side == "image" else "audio").items]

    def embed(self, side: str, items, sample_rate: int | None = None,
              descriptions=None) -> tuple[Tensor, Tensor]:
        """(joint-space codes ``[N, joint_dim]``, predicted V/A ``[N, 2]``) of images or music (files,
        folders, arrays). ``descriptions`` (Salieri): ``{path: text}`` or a CSV of them; items
        without one are described from their predicted V/A."""
        if side not in _SIDE_INPUT:
            raise ValueError(f"side must be 'image' or 'music', got {side!r}")
        texts = self._item_texts(side, items, descriptions)
        va = self.va_predictor.predict_va(**{_SIDE_INPUT[side]: items}, sample_rate=sample_rate)[side].float()
        with self._inference():
            vectors = torch.cat(list(self.side_vectors(side, items, sample_rate)))
            z = self.embed_vectors(side, vectors, va.to(self.device), texts).float().cpu()
        return z, va.cpu()

    def index(self, items, on_error: str = "raise", descriptions=None) -> Catalog:
        """A painting :class:`~affectzoo.catalog.Catalog` (embeddings: joint-space codes; V/A: predicted)
        of a folder, files or a table with an ``image_path`` column; a Catalog or its saved file is
        returned as it is. Unreadable files raise, or with ``on_error="skip"`` are left out.
        ``descriptions``: see :meth:`embed`."""
        existing = existing_catalogue(items)
        if existing is not None:
            return existing
        descriptions = description_lookup(descriptions)  # a CSV is read once for the whole catalogue
        kept, encoded = encode_catalogue(items, "image", lambda path: self.embed("image", path, descriptions=descriptions),
                                           on_error)
        name = self.pretrained_cfg.name or type(self).__name__
        return Catalog(kept, torch.cat([z for z, _ in encoded]).numpy(), torch.cat([va for _, va in encoded]).numpy(),
                       model=name, va_source=self._va_source(), kind="image")

    def recommend(self, query, catalogue, k: int = 10, on_error: str = "raise",
                  attention_checks=None, curate: bool = False, descriptions=None) -> list[Recommendation]:
        """Algorithm 2: the ``k`` paintings nearest (eq. 7) to the rated clips in the joint space,
        ``(painting id, distance)`` nearest first. ``query``: the user's ratings, ``{clip: 1-5}``,
        ``(clip, rating)`` pairs or a CSV with ``audio_path`` and ``rating`` columns. ``catalogue``: a
        Catalog, its file, or what :meth:`index` takes (indexed now, with ``on_error``). ``curate``:
        the user study's V/A filter on both sides (:func:`~affectzoo.models.mozart.ranking.curated`).
        ``descriptions`` (Salieri): texts of clips and paintings, see :meth:`embed`."""
        clips, ratings = read_ratings(query)
        descriptions = description_lookup(descriptions)
        music_z, music_va = self.embed("music", clips, descriptions=descriptions)
        return recommend_by_ratings(music_z.numpy(), ratings, self.index(catalogue, on_error, descriptions), k,
                                    attention_checks, music_va.numpy(), curate)
