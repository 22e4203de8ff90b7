"""The colour-emotion model as a fixed-size lookup table that travels inside Music2Palette's weights.

:class:`~affectzoo.affect.color_emotion.ColorEmotionModel` (fitted to BCP-37 ratings and Bottini
picks) gives a colour's eight-category emotion vector as a kernel mixture over a few hundred support
colours, whose count depends on the data. Music2Palette needs it in its emotion-consistency loss
and in the ES/JS metrics, also when it is tested from its own checkpoint. So the fitted model is
tabulated once on a regular CIELab grid (L every 5, a and b every 5 over [-130, 130]) and read by
trilinear interpolation, which stays differentiable in the colour. Interpolated vectors are convex
combinations of tabulated ones, so they still sum to 1. Until :meth:`ColourEmotionGrid.fit` is
called the table is uniform (every category 1/8).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from affectzoo.affect.russell import CATEGORIES

L_STEPS = torch.arange(0.0, 100.0 + 1e-9, 5.0)
AB_STEPS = torch.arange(-130.0, 130.0 + 1e-9, 5.0)


class ColourEmotionGrid(nn.Module):
    """CIELab ``[..., 3]`` -> emotion probabilities ``[..., 8]`` (:data:`CATEGORIES` order) by table lookup."""

    def __init__(self) -> None:
        super().__init__()
        shape = (len(CATEGORIES), len(L_STEPS), len(AB_STEPS), len(AB_STEPS))
        self.register_buffer("table", torch.full(shape, 1.0 / len(CATEGORIES)))
        self.register_buffer("fitted", torch.zeros((), dtype=torch.bool))

    @torch.no_grad()
    def fit(self, model, chunk: int = 8192) -> "ColourEmotionGrid":
        """Tabulate a fitted :class:`~affectzoo.affect.color_emotion.ColorEmotionModel`."""
        grid = torch.stack(torch.meshgrid(L_STEPS, AB_STEPS, AB_STEPS, indexing="ij"), dim=-1).reshape(-1, 3)
        values = torch.cat([model.predict_colors(part.double()).float() for part in grid.split(chunk)])
        self.table.copy_(values.reshape(*self.table.shape[1:], -1).permute(3, 0, 1, 2))
        self.fitted.fill_(True)
        return self

    def forward(self, lab: Tensor) -> Tensor:
        shape = lab.shape[:-1]
        points = lab.reshape(-1, 3).float()
        normalised = torch.stack([
            (points[:, 2] - AB_STEPS[0]) / (AB_STEPS[-1] - AB_STEPS[0]),  # x: b (the table's last axis)
            (points[:, 1] - AB_STEPS[0]) / (AB_STEPS[-1] - AB_STEPS[0]),  # y: a
            (points[:, 0] - L_STEPS[0]) / (L_STEPS[-1] - L_STEPS[0]),  # z: L
        ], dim=-1).clamp(0, 1) * 2 - 1
        sampled = F.grid_sample(self.table[None], normalised[None, :, None, None], mode="bilinear",
                                padding_mode="border", align_corners=True)  # [1, 8, N, 1, 1]
        return sampled[0, :, :, 0, 0].T.reshape(*shape, len(CATEGORIES)).to(lab.dtype)

    def palette_emotion(self, lab: Tensor, mask: Tensor | None = None) -> Tensor:
        """Mean emotion vector of each palette (``lab`` ``[B, S, 3]``; ``mask`` ``[B, S]`` of the colours that count)."""
        colours = self(lab)
        if mask is None:
            return colours.mean(-2)
        weights = mask.to(colours.dtype)[..., None]
        return (colours * weights).sum(-2) / weights.sum(-2).clamp(min=1)
