"""``rank`` of the ``pair-scorer`` task for a model whose ``score`` pairs one clip with many images.

Both ImageMusic models rank a clip's images by their pair scores; MPJudge has its own ``rank``
because it encodes the music once and batches the paintings.
"""

from __future__ import annotations

import torch
from torch import Tensor

from affectzoo import media


class RankByScore:
    """Mixin: :meth:`rank` from the model's ``score(images, audio, sample_rate)``."""

    def rank(self, audio, images, k: int = 10, sample_rate: int | None = None) -> tuple[Tensor, Tensor]:
        """The ``k`` images whose pairing with one clip scores highest: (indices, scores), best first
        (a list of clips: its first)."""
        if k < 1:
            raise ValueError(f"k must be positive, got {k}")
        scores = self.score(images, audio if media.is_single(audio) else audio[:1], sample_rate)
        top = torch.topk(scores, min(k, len(scores)))
        return top.indices, top.values
