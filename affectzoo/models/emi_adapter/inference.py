"""The ``recommender`` API of the EMI-Adapter models: images for a piece of music.

``recommend(query, catalogue=None, k=10)`` -> ``[(image_id, score), ...]``, best first, scores in
(0, 1) (the sigmoid of the logit). The query is a music clip id the model was trained on; the
content adapter also takes music it never saw, as V/A (a ``(valence, arousal)`` pair or a dict
with those keys) or as an audio file (V/A from the zoo's V/A predictor). An ID adapter asked for an
unknown clip raises an :class:`~affectzoo.errors.InputError` that points to ``emi_content``.

The catalogue defaults to the model's own images: those seen in training (ID adapters) or every
image with V/A (content adapter). :meth:`index` makes one from image ids the model knows or, for
the content adapter, from image files (V/A from the V/A predictor); a catalogue's embeddings are
its items' V/A. Items the query clip interacted with in training are left out unless
``exclude_seen=False``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

from affectzoo import media
from affectzoo.catalog import Catalog, Recommendation, existing_catalogue
from affectzoo.errors import InputError
from affectzoo.models.va_client import UsesVAPredictor


class EMIInference(UsesVAPredictor):
    """Mixin of :class:`~affectzoo.models.emi_adapter.EMIAdapter` (see the module docstring)."""

    @property
    def reads_content(self) -> bool:
        return self.hparams.kind == "content"

    def _name(self) -> str:
        return self.pretrained_cfg.name or f"emi_{self.hparams.kind}"

    # ------------------------------------------------------------------------------ queries

    def _query_va(self, query) -> Tensor | None:
        """The query's V/A ``[2]`` when it is given as content (a pair, a dict or an audio file)."""
        if isinstance(query, Mapping) and {"valence", "arousal"} <= set(query):
            return torch.tensor([float(query["valence"]), float(query["arousal"])])
        if isinstance(query, (Sequence, np.ndarray, Tensor)) and not isinstance(query, str) and len(query) == 2 \
                and all(np.isscalar(v) or (hasattr(v, "ndim") and v.ndim == 0) for v in query):
            return torch.tensor([float(v) for v in query])
        if media.is_path(query) and media.media_kind(query) == "audio":
            return self.va_predictor.predict_va(audio=query)["music"][0].float()
        return None

    def _unknown(self, query) -> InputError:
        if self.reads_content:
            return InputError(query, f"not a music clip {self._name()} was trained on, nor V/A "
                                     "((valence, arousal) or a dict) nor an audio file")
        return InputError(query, f"not one of the {len(self.user_ids)} music clips {self._name()} was trained on; "
                                 "an ID adapter cannot score new music: use the content variant "
                                 "(affectzoo.load('emi_content'), which takes V/A or an audio file)")

    def _user_vector_scores(self, query, items: Tensor, item_va: Tensor) -> tuple[Tensor, int | None]:
        """(logits ``[N]`` of ``query`` against item indices ``items`` (``-1``: not known, scored
        from ``item_va`` by the content adapter), the query's user index or None)."""
        user = self._user_index.get(query) if isinstance(query, str) else None
        with torch.no_grad():
            if self.reads_content:
                va = self.user_va[user] if user is not None else self._query_va(query)
                if va is None:
                    raise self._unknown(query)
                vectors = self.scorer.item_vectors(item_va.to(self.user_va))
                return self.scorer.scores_from_vectors(self.scorer.user_tower(va.to(self.user_va)), vectors), user
            if user is None:
                raise self._unknown(query)
            if (items < 0).any():
                raise InputError("catalogue", f"{int((items < 0).sum())} images are not known to {self._name()}; "
                                              "an ID adapter scores only the images it was trained on (emi_content "
                                              "scores any image with V/A)")
            u = torch.tensor([user], device=self.user_va.device)
            return self.scores(u, self.user_group[u], items.view(1, -1).to(u)).view(-1), user

    # ------------------------------------------------------------------------------ catalogues

    def _default_items(self) -> Tensor:
        usable = self.item_popularity > 0
        if self.reads_content:
            usable |= self.item_va_known
        return torch.nonzero(usable).view(-1)

    def index(self, items=None, on_error: str = "raise") -> Catalog:
        """A :class:`~affectzoo.catalog.Catalog` of images: the model's own (``None``), image ids it
        knows, or (content adapter) image files with V/A from the V/A predictor; a Catalog or its
        saved file is returned as it is."""
        existing = existing_catalogue(items)
        if existing is not None:
            return existing
        if items is None:
            chosen = self._default_items()
            ids = [self.item_ids[int(k)] for k in chosen]
            va = self.item_va[chosen].cpu().numpy()
            source = "labels"
        elif isinstance(items, (list, tuple)) and all(isinstance(i, str) and i in self._item_index for i in items):
            ids = list(items)
            va = self.item_va[torch.tensor([self._item_index[i] for i in ids])].cpu().numpy()
            source = "labels"
        else:
            if not self.reads_content:
                raise InputError(str(items)[:200], f"{self._name()} indexes only image ids it was trained on; "
                                                   "emi_content indexes image files")
            collected = media.collect(items, "image", on_error)
            ids = collected.items
            va = self.va_predictor.predict_va(images=ids)["image"].float().cpu().numpy()
            source = self._va_source()
        return Catalog(ids, va, va, model=self._name(), va_source=source, kind="image")

    def recommend(self, query, catalogue=None, k: int = 10, on_error: str = "raise",
                  exclude_seen: bool = True) -> list[Recommendation]:
        """The ``k`` best images for ``query`` (see the module docstring), ``(image id, score)`` best first."""
        if k < 1:
            raise ValueError(f"k must be positive, got {k}")
        catalogue = self.index(catalogue, on_error)
        items = torch.tensor([self._item_index.get(i, -1) for i in catalogue.ids], dtype=torch.long)
        item_va = torch.as_tensor(np.asarray(catalogue.va if catalogue.va is not None else catalogue.embeddings,
                                             dtype=np.float32))
        logits, user = self._user_vector_scores(query, items, item_va)
        scores = torch.sigmoid(logits.float()).cpu()
        if exclude_seen and user is not None:
            seen = set(self.train_pairs[self.train_pairs[:, 0] == user, 1].tolist())
            scores[torch.tensor([int(i) in seen for i in items], dtype=torch.bool)] = -1.0
        order = torch.argsort(scores, descending=True, stable=True)[:k]
        return [Recommendation(catalogue.ids[int(j)], float(scores[j])) for j in order if scores[j] >= 0]

    def all_item_scores(self, users: Tensor, block: int = 64) -> Tensor:
        """Logits ``[B, I]`` of known users ``[B]`` against every item (full-ranking evaluation)."""
        every = torch.arange(len(self.item_ids), device=self.user_va.device)
        rows = []
        with torch.no_grad():
            for start in range(0, len(users), block):
                user = users[start:start + block].to(every)
                rows.append(self.scores(user, self.user_group[user], every.expand(len(user), -1)))
        return torch.cat(rows)
