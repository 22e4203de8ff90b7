"""Modality-adaptive normalisation (MAN): a conditioning vector sets the scale and shift of normalised tokens.

MPJudge (Jiang et al., AAAI 2026) fuses music into its painting encoder with

    MAN(x, y) = gamma(y) * (x - mu(x)) / (sigma(x) + eps) + beta(y)

where ``x`` holds the image tokens ``[B, N, d]``, ``mu`` and ``sigma`` are taken per sample and
channel over the ``N`` tokens (instance normalisation over the token sequence), and ``gamma``,
``beta`` are linear maps of the music vector ``y`` ``[B, d_y]``. As in the authors' public code
(``AdaIN`` in ``model_adain.py``) ``sigma`` is the Bessel-corrected standard deviation and ``eps``
is added to it, not under the square root; the two Linear layers are named ``scale`` (gamma) and
``bias`` (beta) so the reference weights load without renaming.

The layer also returns the *modulation intensity* of the paper's eq. 4: per token, the norm over
channels of the change MAN makes, ``||MAN(x, y) - x||`` (L1 in the paper; the reference code's
visualisation uses L2, hence ``ord``). The mean over tokens is the layer's intensity, and the
per-token values laid out on the patch grid are the modulation map.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

INITS = ("identity", "default")


class MAN(nn.Module):
    """``MAN(x, y)`` with ``gamma`` and ``beta`` linear in ``y``; returns ``(output, intensity)``.

    Args:
        dim: channels ``d`` of the tokens.
        cond_dim: size of the conditioning vector ``y`` (default ``dim``).
        eps: added to the standard deviation.
        init: ``"identity"`` starts near a plain instance normalisation: ``gamma(y) ~ 1`` and
            ``beta(y) ~ 0`` (biases 1 and 0, weights drawn with std 0.02). The weights are small
            rather than zero so the music encoder gets a gradient from the first step (a zero weight
            would block it until the first update). ``"default"`` keeps PyTorch's Linear init, as
            the reference code does.
    """

    def __init__(self, dim: int, cond_dim: int | None = None, eps: float = 1e-5, init: str = "identity") -> None:
        super().__init__()
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {init!r}")
        cond_dim = dim if cond_dim is None else cond_dim
        self.eps = eps
        self.scale = nn.Linear(cond_dim, dim)
        self.bias = nn.Linear(cond_dim, dim)
        if init == "identity":
            nn.init.normal_(self.scale.weight, std=0.02)
            nn.init.ones_(self.scale.bias)
            nn.init.normal_(self.bias.weight, std=0.02)
            nn.init.zeros_(self.bias.bias)

    def forward(self, x: Tensor, y: Tensor, ord: float = 1.0) -> tuple[Tensor, Tensor]:
        """``x`` ``[B, N, d]``, ``y`` ``[B, d_y]`` -> (``MAN(x, y)`` ``[B, N, d]``, intensity ``[B, N]``).

        The intensity of token ``n`` is ``||MAN(x, y)[:, n] - x[:, n]||_ord`` over channels.
        """
        mu = x.mean(dim=1, keepdim=True)
        sigma = x.std(dim=1, keepdim=True)
        out = self.scale(y).unsqueeze(1) * (x - mu) / (sigma + self.eps) + self.bias(y).unsqueeze(1)
        intensity = torch.linalg.vector_norm(out - x, ord=ord, dim=-1)
        return out, intensity
