"""Mozart's networks (Yilma & Leiva, RecSys 2025, section 3.2) as plain modules.

* :class:`Autoencoder`: one per modality, encoder ``[input, 1024, 512, 256]`` with ReLU between
  layers and a mirrored decoder, trained by reconstruction (MSE); its 256-d code is the item's
  content summary.
* :class:`MinMaxScaler`: maps each code dimension to [-1, 1] with the minimum and maximum of the
  training codes, saved as buffers so inference scales exactly as training did.
* :class:`ProjectionHead`: an MLP ``[258, 256, 128]`` from the scaled code concatenated with the
  item's valence/arousal (eq. 2) into the joint music-painting space.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

CODE_DIM = 256
JOINT_DIM = 128
ENCODER_WIDTHS = (1024, 512, CODE_DIM)


def _mlp(widths: tuple[int, ...]) -> nn.Sequential:
    """Linear layers through ``widths`` with ReLU between them (none after the last)."""
    layers: list[nn.Module] = []
    for k, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(a, b))
        if k < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """``encode``: ``[B, input]`` -> ``[B, 256]``; ``forward``: the reconstruction ``[B, input]``."""

    def __init__(self, input_dim: int, widths: tuple[int, ...] = ENCODER_WIDTHS) -> None:
        super().__init__()
        self.encoder = _mlp((input_dim, *widths))
        self.decoder = _mlp((*reversed(widths), input_dim))

    def encode(self, x: Tensor) -> Tensor:
        return self.encoder(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.decoder(self.encoder(x))


class MinMaxScaler(nn.Module):
    """Per-dimension min-max scaling to [-1, 1], fitted once on training codes (values outside the
    training range map outside [-1, 1]; they are not clipped, so order is kept)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.register_buffer("low", torch.zeros(dim))
        self.register_buffer("high", torch.ones(dim))
        self.register_buffer("fitted", torch.zeros((), dtype=torch.bool))

    def fit(self, codes: Tensor) -> None:
        self.low.copy_(codes.amin(0))
        self.high.copy_(codes.amax(0))
        self.fitted.fill_(True)

    def forward(self, codes: Tensor) -> Tensor:
        span = (self.high - self.low).clamp(min=1e-6)
        return 2 * (codes - self.low) / span - 1


class ProjectionHead(nn.Module):
    """``[B, 256 + 2]`` (scaled code, V/A) -> ``[B, 128]`` in the joint space."""

    def __init__(self, code_dim: int = CODE_DIM, hidden: int = 256, out: int = JOINT_DIM) -> None:
        super().__init__()
        self.net = _mlp((code_dim + 2, hidden, out))

    def forward(self, code: Tensor, va: Tensor) -> Tensor:
        return self.net(torch.cat([code, va.to(code.dtype)], dim=-1))
