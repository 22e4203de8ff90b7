"""Music2Palette's losses (Hu et al., MM 2025, eqs. 6-10), per palette so callers can weight or mask them.

* :func:`matched_delta_e` (eq. 6): mean CIEDE2000 between the predicted colours and a target
  palette under the optimal one-to-one assignment (Hungarian on the detached dE00 matrix, then the
  differentiable dE00 of the matched pairs), for each of several candidate targets per music item
  (the top matches of ``open-palettes``). :func:`combine_candidates` turns those into one loss:
  ``"soft"`` weighs them by rank (``2^-rank``, normalised: the best match counts most, the others
  still pull), ``"min"`` takes the nearest (a multiple-choice loss; it lets a model answer every
  song with the one palette that happens to be among all their candidates).
* :func:`hue_diversity` (eq. 7): minus the mean pairwise circular hue distance, in units of
  180 degrees (so in [-1, 0]); lower when the colours spread round the hue circle.
* :func:`emotion_consistency` (eq. 8): ``2 - cos(E_m, E_p) - cos(E_p, E_g)`` with the
  eight-category emotion vectors of the music, the predicted palette and the target palette.
* :func:`stop_loss` (eq. 9): binary cross-entropy of each slot's stop logit against "the palette
  ends here" (1 at the last colour of the target, 0 before it; slots after it are not scored).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from affectzoo.affect.color import delta_e_2000


def matched_delta_e(predicted: Tensor, targets: Tensor) -> Tensor:
    """Matched mean dE00 to each candidate ``[B, K]``. ``predicted``: CIELab ``[B, S, 3]``;
    ``targets``: CIELab ``[B, K, N, 3]`` (K candidates, best first) or ``[B, N, 3]`` (K = 1)."""
    if targets.dim() == 3:
        targets = targets[:, None]
    batch, candidates, colours = targets.shape[:3]
    pairwise = delta_e_2000(predicted[:, None, :, None, :].expand(-1, candidates, -1, colours, -1),
                            targets[:, :, None, :, :].expand(-1, -1, predicted.shape[1], -1, -1))  # [B, K, S, N]
    costs = pairwise.detach().cpu().numpy()
    losses = torch.empty(batch, candidates, dtype=pairwise.dtype, device=pairwise.device)
    for b in range(batch):
        for k in range(candidates):
            rows, cols = linear_sum_assignment(costs[b, k])
            losses[b, k] = pairwise[b, k, torch.as_tensor(rows), torch.as_tensor(cols)].mean()
    return losses


def candidate_weights(losses: Tensor, mode: str = "soft") -> Tensor:
    """Weights ``[B, K]`` (rows sum to 1) of the candidates in the loss: by rank (``"soft"``) or
    one-hot on the nearest (``"min"``)."""
    if mode == "soft":
        rank = torch.arange(losses.shape[1], device=losses.device, dtype=losses.dtype)
        weights = torch.pow(2.0, -rank)
        return (weights / weights.sum()).expand_as(losses)
    if mode == "min":
        return torch.nn.functional.one_hot(losses.detach().argmin(1), losses.shape[1]).to(losses)
    raise ValueError(f"candidate weighting must be 'soft' or 'min', got {mode!r}")


def hue_diversity(lch: Tensor, mask: Tensor | None = None) -> Tensor:
    """Minus the mean pairwise circular hue distance of each palette (``lch`` ``[B, S, 3]``), /180."""
    hue = lch[..., 2]
    difference = (hue[:, :, None] - hue[:, None, :]).abs() % 360.0
    circular = torch.minimum(difference, 360.0 - difference) / 180.0
    pair_mask = torch.ones_like(circular, dtype=torch.bool).triu(1)
    if mask is not None:
        pair_mask = pair_mask & mask[:, :, None] & mask[:, None, :]
    counted = pair_mask.float()
    return -(circular * counted).sum((1, 2)) / counted.sum((1, 2)).clamp(min=1)


def emotion_consistency(music: Tensor, predicted: Tensor, target: Tensor) -> Tensor:
    """``2 - cos(E_m, E_p) - cos(E_p, E_g)`` per item (vectors ``[B, 8]``)."""
    return 2 - F.cosine_similarity(music, predicted, dim=-1, eps=1e-8) - F.cosine_similarity(predicted, target, dim=-1,
                                                                                             eps=1e-8)


def stop_loss(stop_logits: Tensor, lengths: Tensor) -> Tensor:
    """Mean BCE per palette of the stop logits ``[B, S]`` against target lengths ``[B]`` (slots up to the length)."""
    slots = torch.arange(stop_logits.shape[1], device=stop_logits.device)[None]
    target = (slots == (lengths[:, None] - 1)).float()
    scored = (slots < lengths[:, None]).float()
    bce = F.binary_cross_entropy_with_logits(stop_logits, target, reduction="none")
    return (bce * scored).sum(1) / scored.sum(1)
