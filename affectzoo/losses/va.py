"""Valence/arousal losses for labels of three kinds, so every labelled source can train one model.

* ``continuous`` ratings (VGMIDI, DEAM, OASIS, BASS): mean squared error, plus ``rank_weight`` x
  the ranking loss below within each source: what transfers to new collections is the order of
  items, and sources rate on scales that need not agree (MIDI renders vs recordings);
* ``proxy`` values (Emotify's GEMS-derived V/A): they order tracks but are not ratings on the V/A
  scale, so the loss is a pairwise ranking loss among the proxy items of one source in the batch
  (logistic loss on the score difference of every pair whose proxies differ by more than
  ``min_gap``), plus ``proxy_mse`` x the squared error as a weak anchor of the scale.
* ``binary`` signs (EMOPIA's quadrants, +1 or -1 per axis): logistic loss on ``scale`` x the
  prediction times the sign (the prediction should have the sign, with a margin).

Predictions and labels are ``[B, 2]`` (valence, arousal) in [-1, 1]; ``label_type`` and ``source``
are ``[B]`` integer codes (:data:`LABEL_TYPES`, any source numbering). Each kind's loss is a mean
over its items and axes; kinds absent from the batch contribute nothing.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

LABEL_TYPES = ("continuous", "proxy", "binary")


def ranking_loss(pred: Tensor, target: Tensor, groups: Tensor, min_gap: float = 0.05, scale: float = 5.0) -> Tensor:
    """Logistic pairwise ranking loss over the pairs of one group whose targets differ by more than ``min_gap``.

    ``pred``, ``target``: ``[N]``; ``groups``: ``[N]``. Zero when no pair qualifies.
    """
    diff_target = target[:, None] - target[None, :]
    same = groups[:, None] == groups[None, :]
    ordered = same & (diff_target > min_gap)
    if not ordered.any():
        return pred.new_zeros(())
    diff_pred = pred[:, None] - pred[None, :]
    return F.softplus(-scale * diff_pred[ordered]).mean()


def va_losses(pred: Tensor, target: Tensor, label_type: Tensor, source: Tensor, proxy_mse: float = 0.25,
              binary_scale: float = 4.0, rank_weight: float = 1.0) -> dict[str, Tensor]:
    """``{"continuous": ..., "proxy": ..., "binary": ...}`` for the kinds present in the batch."""
    losses = {}
    continuous = label_type == LABEL_TYPES.index("continuous")
    if continuous.any():
        losses["continuous"] = F.mse_loss(pred[continuous], target[continuous])
        if rank_weight:
            ranks = [ranking_loss(pred[continuous, axis], target[continuous, axis], source[continuous])
                     for axis in range(2)]
            losses["continuous"] = losses["continuous"] + rank_weight * sum(ranks) / 2
    proxy = label_type == LABEL_TYPES.index("proxy")
    if proxy.any():
        ranks = [ranking_loss(pred[proxy, axis], target[proxy, axis], source[proxy]) for axis in range(2)]
        losses["proxy"] = sum(ranks) / 2 + proxy_mse * F.mse_loss(pred[proxy], target[proxy])
    binary = label_type == LABEL_TYPES.index("binary")
    if binary.any():
        losses["binary"] = F.softplus(-binary_scale * pred[binary] * torch.sign(target[binary])).mean()
    return losses
