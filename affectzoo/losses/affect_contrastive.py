"""The affect-contrastive loss of Mozart's projection head (Yilma & Leiva, RecSys 2025, eqs. 3-6).

Items of two modalities (music, paintings) are projected into one space; two items should lie
close when their valence/arousal agree and at least a margin apart when they do not:

* ``d_ij = ||v_i - v_j||``: the distance of the items' V/A (eq. 3);
* ``S_ij = exp(-d_ij^2 / (2 sigma^2))``: their affective similarity in (0, 1] (eq. 4);
* ``L_ij = S_ij ||z_i - z_j||^2 + (1 - S_ij) max(0, m - ||z_i - z_j||)^2`` (eq. 5): similar items
  are pulled together, dissimilar ones pushed apart up to the margin ``m``;
* each pair is weighted by ``lambda_i lambda_j`` (eq. 6) with ``lambda = N_p / (N_m + N_p)`` for
  music items and ``N_m / (N_m + N_p)`` for paintings, ``N_m``/``N_p`` counting the batch's music
  and painting items, so the rarer modality is not drowned by the commoner one.

Which pairs: every unordered pair ``i < j`` of the batch, cross-modal (music-painting) and
within-modal (music-music, painting-painting) alike, as eq. 6 sums over all ``i, j`` of the batch;
the loss is the weighted sum divided by the number of pairs, so batch size does not rescale the
learning rate. ``sigma = 0.5`` and ``m = 0.5`` are the paper's.
"""

from __future__ import annotations

import torch
from torch import Tensor

MUSIC, PAINTING = 0, 1


def affect_contrastive_loss(z: Tensor, va: Tensor, modality: Tensor, sigma: float = 0.5,
                            margin: float = 0.5) -> Tensor:
    """The loss of projections ``z`` ``[B, D]`` given V/A ``va`` ``[B, 2]`` and ``modality`` ``[B]``
    (0 music, 1 painting). Zero for a batch of fewer than two items."""
    if z.shape[0] != va.shape[0] or z.shape[0] != modality.shape[0]:
        raise ValueError(f"z, va and modality disagree on the batch size: {z.shape[0]}, {va.shape[0]}, "
                         f"{modality.shape[0]}")
    n = z.shape[0]
    if n < 2:
        return z.sum() * 0.0
    n_music = (modality == MUSIC).sum().float()
    n_painting = (modality == PAINTING).sum().float()
    total = n_music + n_painting
    weight = torch.where(modality == MUSIC, n_painting / total, n_music / total).to(z.dtype)
    i, j = torch.triu_indices(n, n, offset=1, device=z.device)
    affect_distance = (va[i] - va[j]).norm(dim=-1)
    similarity = torch.exp(-affect_distance.square() / (2 * sigma ** 2))
    squared = (z[i] - z[j]).square().sum(-1)
    distance = squared.clamp(min=1e-12).sqrt()
    pair = similarity * squared + (1 - similarity) * torch.clamp(margin - distance, min=0).square()
    return (weight[i] * weight[j] * pair).mean()
