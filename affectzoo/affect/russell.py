"""Russell circumplex emotion vectors: eight categories on the valence/arousal circle.

The zoo's emotion vectors use the eight categories of Music2Palette (Hu et al., ACM MM 2025), in its
order: excited, happy, content, calm, depressed, sad, afraid, angry. Music2Palette describes its
MuCED pairs as "aligned through Russell-based emotion vectors"; the text we could consult (the
abstract) does not give its valence/arousal -> vector formula, so the placement and weighting
below are our own, chosen to be the simplest reading of Russell's model:

Placement. Russell (1980), "A circumplex model of affect", J. Pers. Soc. Psych. 39(6):1161-1178,
places eight affect concepts at 45 degree steps around the circle whose horizontal axis is
pleasure (valence) and vertical axis arousal: pleasure 0, excitement 45, arousal 90, distress 135,
displeasure 180, depression 225, sleepiness 270, relaxation 315 degrees. The Music2Palette order
runs clockwise round the same circle, so each category takes one of Russell's eight axes:

    excited 45 (excitement)      happy 0 (pleasure)        content 315 (relaxation)
    calm 270 (sleepiness)        depressed 225 (depression) sad 180 (displeasure)
    afraid 135 (distress)        angry 90 (arousal)

Equal spacing gives every category the same 45 degree sector, so no category is favoured by the
layout. (Individual words scaled in Russell's study sit near but not exactly on these axes, e.g.
angry and afraid both lie between 90 and 135 degrees; an evenly spaced set keeps them apart.)

Weighting. A point (v, a) has direction theta = atan2(a, v) and intensity r = min(1, |(v, a)|)
(the square [-1, 1]^2 reaches radius sqrt(2); intensity saturates at the unit circle). Its vector is

    e_k = r * softmax_k(kappa * cos(theta - phi_k)),

a von Mises kernel over the angular distance to each category's angle phi_k. It is non-negative,
sums to the intensity r, varies smoothly with theta (no hard sector edges, so it is usable as a
training target and differentiable), and a point on a sector boundary splits evenly between the
two neighbours. With the default kappa = 4 a point on a category axis gives that category 0.60,
each 45 degree neighbour 0.19 and each 90 degree neighbour 0.01. The neutral point (0, 0) maps to
the zero vector. Cosine similarity ignores r; intensity matters to losses on the raw vectors.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor

from affectzoo.errors import InputError

CATEGORIES: tuple[str, ...] = ("excited", "happy", "content", "calm", "depressed", "sad", "afraid", "angry")
ANGLES_DEG: tuple[float, ...] = (45.0, 0.0, 315.0, 270.0, 225.0, 180.0, 135.0, 90.0)
DEFAULT_KAPPA = 4.0


def category_angles(dtype: torch.dtype = torch.float64, device: torch.device | None = None) -> Tensor:
    """The categories' angles on the valence/arousal circle, in radians, in ``CATEGORIES`` order."""
    return torch.tensor([math.radians(angle) for angle in ANGLES_DEG], dtype=dtype, device=device)


def va_to_emotion(va: Tensor | Sequence, kappa: float = DEFAULT_KAPPA) -> Tensor:
    """Valence/arousal points [..., 2] in [-1, 1] -> non-negative emotion vectors [..., 8] summing to r.

    See the module docstring for the formula. Differentiable, with a finite (zero) gradient at the
    neutral point where the direction is undefined.
    """
    va = torch.as_tensor(va)
    if not va.is_floating_point():
        va = va.to(torch.get_default_dtype())
    if va.shape[-1:] != (2,):
        raise InputError("va", f"the last dimension must hold (valence, arousal), got shape {tuple(va.shape)}")
    valence, arousal = va.unbind(-1)
    squared = valence * valence + arousal * arousal
    neutral = squared == 0
    radius = torch.sqrt(torch.where(neutral, torch.ones_like(squared), squared))
    intensity = torch.where(neutral, torch.zeros_like(radius), radius.clamp(max=1.0))
    theta = torch.atan2(torch.where(neutral, torch.zeros_like(arousal), arousal),
                        torch.where(neutral, torch.ones_like(valence), valence))
    phi = category_angles(va.dtype, va.device)
    weights = torch.softmax(kappa * torch.cos(theta.unsqueeze(-1) - phi), dim=-1)
    return intensity.unsqueeze(-1) * weights


def emotion_similarity(first: Tensor, second: Tensor, eps: float = 1e-8) -> Tensor:
    """Cosine similarity of emotion vectors along the last dimension (broadcast); 0 against a zero vector."""
    first, second = torch.broadcast_tensors(torch.as_tensor(first), torch.as_tensor(second))
    return torch.nn.functional.cosine_similarity(first, second, dim=-1, eps=eps)


def top_category(emotion: Tensor) -> str | list[str]:
    """Name of the largest component of an emotion vector [8], or a flat list of names for [..., 8]."""
    emotion = torch.as_tensor(emotion)
    if emotion.shape[-1:] != (len(CATEGORIES),):
        raise InputError("emotion", f"the last dimension must hold {len(CATEGORIES)} categories, "
                                    f"got shape {tuple(emotion.shape)}")
    names = [CATEGORIES[index] for index in emotion.reshape(-1, len(CATEGORIES)).argmax(-1).tolist()]
    return names[0] if emotion.dim() == 1 else names


__all__ = ["ANGLES_DEG", "CATEGORIES", "DEFAULT_KAPPA", "category_angles", "emotion_similarity", "top_category",
           "va_to_emotion"]
