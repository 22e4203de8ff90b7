"""Music2Palette's networks (Hu et al., MM 2025): an AST-style encoder over the 539 x T feature
matrix and a Transformer colour decoder with a stop token.

* :class:`FeatureEncoder`: the standardised features ``[B, T, 539]`` are cut into patches of
  ``band`` features x ``span`` frames (the Audio Spectrogram Transformer's 2-d patches, here over
  the feature matrix), each projected to ``d_model``. A token's position is its band (a learned
  embedding: the 539 rows are a fixed set) plus the sinusoidal encoding of its time step (eq. 4),
  so clips of any length need no interpolation. A Transformer encoder mixes the tokens; padded
  frames (clips shorter than the batch's longest) are masked out.
* :class:`ColourDecoder`: ``max_colours`` learned slot queries cross-attend to the (noise-augmented)
  music tokens through 4 Transformer decoder layers (8 heads, dropout 0.1). Each slot gives one
  colour through a feed-forward layer with LayerNorm, a linear projection and a sigmoid scaled to
  CIELCh ranges (L in [0, 100], C in [0, ``max_chroma``], h in [0, 360)), and a stop logit: the
  palette ends at the first slot from ``min_colours`` on whose stop probability exceeds 0.5. The
  slots are decoded in parallel (no autoregression), so sampling is one pass.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

MAX_CHROMA = 130.0


def sinusoidal_encoding(positions: Tensor, dim: int) -> Tensor:
    """``[..., dim]`` sinusoidal encodings of (integer or real) positions (Vaswani et al. 2017, eq. 4 of the paper)."""
    half = torch.arange(0, dim, 2, device=positions.device, dtype=torch.float32)
    frequencies = torch.exp(-math.log(10000.0) * half / dim)
    angles = positions.float()[..., None] * frequencies
    encoding = torch.zeros(*positions.shape, dim, device=positions.device)
    encoding[..., 0::2] = torch.sin(angles)
    encoding[..., 1::2] = torch.cos(angles[..., : dim // 2])
    return encoding


class FeatureEncoder(nn.Module):
    """``[B, T, features]`` (+ frame lengths) -> tokens ``[B, bands * steps, d_model]`` and their padding mask."""

    def __init__(self, features: int = 539, band: int = 49, span: int = 16, d_model: int = 256, layers: int = 4,
                 heads: int = 4, ff: int = 512, dropout: float = 0.1) -> None:
        super().__init__()
        if features % band:
            raise ValueError(f"band = {band} must divide the {features} features")
        self.band, self.span, self.bands = band, span, features // band
        self.patch = nn.Conv2d(1, d_model, kernel_size=(band, span), stride=(band, span))
        self.band_embedding = nn.Parameter(torch.zeros(self.bands, d_model))
        layer = nn.TransformerEncoderLayer(d_model, heads, ff, dropout, batch_first=True, norm_first=True)
        self.transformer = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        nn.init.normal_(self.band_embedding, std=0.02)

    def forward(self, frames: Tensor, lengths: Tensor | None = None) -> tuple[Tensor, Tensor]:
        batch, total = frames.shape[:2]
        steps = max(1, math.ceil(total / self.span))
        padded = nn.functional.pad(frames, (0, 0, 0, steps * self.span - total))  # whole patches in time
        patches = self.patch(padded.transpose(1, 2)[:, None])  # [B, d, bands, steps]
        tokens = patches.permute(0, 2, 3, 1)  # [B, bands, steps, d]
        time = sinusoidal_encoding(torch.arange(steps, device=frames.device), tokens.shape[-1])
        tokens = tokens + time[None, None] + self.band_embedding[None, :, None]
        if lengths is None:
            lengths = torch.full((batch,), total, device=frames.device)
        valid_steps = torch.clamp(torch.div(lengths.to(frames.device) + self.span - 1, self.span,
                                            rounding_mode="floor"), min=1)
        step_padding = torch.arange(steps, device=frames.device)[None] >= valid_steps[:, None]  # [B, steps]
        padding = step_padding[:, None].expand(batch, self.bands, steps).reshape(batch, -1)
        tokens = tokens.reshape(batch, self.bands * steps, -1)
        return self.norm(self.transformer(tokens, src_key_padding_mask=padding)), padding


class ColourDecoder(nn.Module):
    """Music tokens -> ``max_colours`` LCh colours ``[B, S, 3]`` and stop logits ``[B, S]``."""

    def __init__(self, d_model: int = 256, layers: int = 4, heads: int = 8, ff: int = 1024, dropout: float = 0.1,
                 max_colours: int = 5, max_chroma: float = MAX_CHROMA) -> None:
        super().__init__()
        self.slots = nn.Parameter(torch.randn(max_colours, d_model) * 0.02)
        layer = nn.TransformerDecoderLayer(d_model, heads, ff, dropout, batch_first=True, norm_first=True)
        self.transformer = nn.TransformerDecoder(layer, layers)
        self.colour = nn.Sequential(nn.Linear(d_model, d_model), nn.LayerNorm(d_model), nn.GELU(), nn.Linear(d_model, 3))
        self.stop = nn.Linear(d_model, 1)
        self.register_buffer("scale", torch.tensor([100.0, max_chroma, 360.0]), persistent=False)

    def forward(self, memory: Tensor, memory_padding: Tensor | None = None) -> tuple[Tensor, Tensor]:
        queries = self.slots[None].expand(len(memory), -1, -1)
        hidden = self.transformer(queries, memory, memory_key_padding_mask=memory_padding)
        lch = torch.sigmoid(self.colour(hidden)) * self.scale
        return lch, self.stop(hidden)[..., 0]


def palette_lengths(stop_logits: Tensor, min_colours: int = 3) -> Tensor:
    """Colours per palette: the first slot (1-based, at least ``min_colours``) whose stop probability
    exceeds 0.5, else all slots."""
    stops = stop_logits > 0
    stops[..., : min_colours - 1] = False
    stops[..., -1] = True
    return stops.float().argmax(-1) + 1
