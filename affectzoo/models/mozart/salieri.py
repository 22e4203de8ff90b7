"""Salieri (Yilma & Leiva, RecSys 2025): Mozart with a text description of every item.

Each item's description (:mod:`~affectzoo.models.mozart.descriptions`: the user's own, else a
template of V/A words) is embedded by a frozen sentence encoder (the packaged all-MiniLM-L6-v2 in
place of the paper's BERT, :class:`~affectzoo.backbones.sentence.SentenceEncoder`) and concatenated
with the item's standardised modality features; that joint vector is what each modality's
autoencoder compresses to 256-d. Everything after that is Mozart's: min-max scaling, V/A
concatenation, the shared projection head trained by the affect-contrastive loss, and the ranking
of paintings by the rating-weighted distance to the rated clips (eq. 11 has eq. 7's form on
Salieri's joint space).

The sentence encoder's weights are not part of Salieri's checkpoint (they are the package's, read
offline on first use); the checkpoint records the encoder's name and width.
"""

from __future__ import annotations

import torch
from torch import Tensor

from affectzoo.backbones.sentence import DEFAULT_SENTENCE_MODEL, SentenceEncoder
from affectzoo.models.mozart.descriptions import describe
from affectzoo.models.mozart.lightning_model import Mozart


class Salieri(Mozart):
    """Mozart whose autoencoders read ``[features, sentence embedding of the description]``.

    ``text_encoder``: a sentence-transformers model name or folder (see
    :func:`~affectzoo.backbones.sentence.resolve_sentence_model`); ``text_dim``: its width. Other
    arguments are :class:`~affectzoo.models.mozart.Mozart`'s.
    """

    def __init__(self, text_encoder: str = DEFAULT_SENTENCE_MODEL, text_dim: int = 384, **kwargs) -> None:
        self._text_dim = text_dim
        super().__init__(**kwargs)
        self.save_hyperparameters()

    def _description_width(self) -> int:
        return self._text_dim

    @property
    def sentence_encoder(self) -> SentenceEncoder:
        """The frozen sentence encoder (loaded on first use; not a submodule, so not in the checkpoint)."""
        encoder = self.__dict__.get("_sentence_encoder")
        if encoder is None:
            encoder = SentenceEncoder(self.hparams.text_encoder)
            if encoder.dim != self.hparams.text_dim:
                raise ValueError(f"sentence encoder {self.hparams.text_encoder!r} gives {encoder.dim}-d embeddings; "
                                 f"this Salieri was built for {self.hparams.text_dim}")
            self.__dict__["_sentence_encoder"] = encoder
        return encoder

    def descriptions(self, side: str, va: Tensor, texts=None) -> list[str]:
        """The description of each item: ``texts[i]`` where given, else the V/A template of ``va[i]``."""
        given = list(texts) if texts is not None else [None] * len(va)
        if len(given) != len(va):
            raise ValueError(f"{len(given)} descriptions for {len(va)} items")
        return [text if text else describe(side, float(v), float(a)) for text, (v, a) in zip(given, va.tolist())]

    def autoencoder_input(self, side: str, vectors: Tensor, va: Tensor, texts=None) -> Tensor:
        """``[standardised features, sentence embedding of the description]``."""
        standardized = self.standardize[side](vectors)
        text = self.sentence_encoder(self.descriptions(side, va, texts)).to(standardized)
        return torch.cat([standardized, text], dim=-1)
