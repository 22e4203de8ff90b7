"""Direct preference optimisation (DPO) for scalar scorers, as MPJudge trains on ambiguous pairs.

For a preferred input ``+`` and a rejected input ``-`` (a music query with two paintings, or a
painting query with two music clips), a scorer ``f`` and a frozen reference scorer ``f_ref``:

    DPO = -log sigmoid(beta * [(f(+) - f(-)) - (f_ref(+) - f_ref(-))])

The reference margin is subtracted, so the loss rewards widening the margin *relative to where
preference training started* and, through ``beta``, limits how far the scorer is pushed per pair.
At the start (``f == f_ref``) every pair costs ``log 2``.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

REDUCTIONS = ("mean", "sum", "none")


def dpo_loss(policy_pos: Tensor, policy_neg: Tensor, reference_pos: Tensor, reference_neg: Tensor,
             beta: float = 1.0, reduction: str = "mean") -> Tensor:
    """DPO loss of scores ``[P]`` of preferred (``pos``) and rejected (``neg``) inputs.

    ``reference_*`` are the frozen reference scorer's outputs (no gradient flows into them);
    ``reduction`` is ``"mean"`` (default), ``"sum"`` or ``"none"`` (per pair, ``[P]``).
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    shapes = {tuple(t.shape) for t in (policy_pos, policy_neg, reference_pos, reference_neg)}
    if len(shapes) != 1:
        raise ValueError(f"policy and reference scores must have one shape, got {sorted(shapes)}")
    margin = (policy_pos - policy_neg) - (reference_pos - reference_neg).detach()
    losses = -F.logsigmoid(beta * margin)
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()
