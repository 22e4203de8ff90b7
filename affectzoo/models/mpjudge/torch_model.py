"""MPJudge networks as plain ``nn.Module`` s (no Lightning): the paper's encoders and the judge network.

* :class:`MelEncoder`: log-mel ``[B, 1, T, F]`` through four Conv2d(k=3, stride 2) -> BatchNorm2d
  -> SiLU blocks (the paper gives block types, not kernel, stride or channels: kernel 3 and the
  reference code's widths are our choice), projected to the model width: tokens and their mean ``y``.
* :class:`FeatureMusicEncoder`: the same interface over a frozen encoder's per-patch features.
* :class:`PaintingEncoder`: a pre-norm ViT whose blocks (:class:`PaintingBlock`) take the music in
  after self-attention as ``fusion`` says (``none``, ``concat``, ``cross_attention``, ``man``).
* :class:`MPJudgeNet`: music encoder + painting encoder (+ the optional auxiliary V/A heads and the
  emotion-distance prior).
"""

from __future__ import annotations

import math

from typing import Sequence

import torch
from torch import Tensor, nn

from affectzoo.affect.similarity import affect_similarity
from affectzoo.layers.man import MAN
from affectzoo.models.mpjudge.official import OfficialMusicEncoder, OfficialPaintingEncoder

class MelEncoder(nn.Module):
    """Paper music encoder: log-mel ``[B, 1, T, F]`` -> tokens ``[B, T'F', d]`` and their mean ``y`` ``[B, d]``.

    ``pool`` (time, frequency) average-pools the mel before the first conv; ``(1, 1)`` (the paper)
    leaves it as it is, ``(2, 1)`` halves the frames and with them the cost of every conv block.
    """

    def __init__(self, width: int, channels: Sequence[int] = (64, 128, 256, 512), kernel: int = 3,
                 pool: Sequence[int] = (1, 1)) -> None:
        super().__init__()
        self.pool = nn.AvgPool2d(tuple(pool)) if tuple(pool) != (1, 1) else nn.Identity()
        layers: list[nn.Module] = []
        in_channels = 1
        for out_channels in channels:
            layers += [nn.Conv2d(in_channels, out_channels, kernel, stride=2, padding=kernel // 2),
                       nn.BatchNorm2d(out_channels), nn.SiLU()]
            in_channels = out_channels
        self.convs = nn.Sequential(*layers)
        self.proj = nn.Linear(in_channels, width)

    def forward(self, mel: Tensor) -> tuple[Tensor, Tensor]:
        tokens = self.proj(self.convs(self.pool(mel)).flatten(2).transpose(1, 2))
        return tokens, tokens.mean(dim=1)


class FeatureMusicEncoder(nn.Module):
    """Music encoder over a frozen encoder's per-patch features ``[B, P, C]`` (musicnn: 3-s patches,
    C = 250): a two-layer MLP per patch -> tokens ``[B, P, d]``, and their mean ``y`` ``[B, d]``."""

    def __init__(self, in_features: int, width: int) -> None:
        super().__init__()
        self.proj = nn.Sequential(nn.LayerNorm(in_features), nn.Linear(in_features, width), nn.GELU(),
                                  nn.Linear(width, width))

    def forward(self, features: Tensor) -> tuple[Tensor, Tensor]:
        tokens = self.proj(features)
        return tokens, tokens.mean(dim=1)


class PaintingBlock(nn.Module):
    """Pre-norm Transformer block; the music enters after self-attention as ``fusion`` says."""

    def __init__(self, width: int, heads: int, mlp_ratio: float, fusion: str) -> None:
        super().__init__()
        self.fusion = fusion
        self.norm1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        if fusion == "man":
            self.man = MAN(width)
        elif fusion == "cross_attention":
            self.norm_cross = nn.LayerNorm(width)
            self.cross_attn = nn.MultiheadAttention(width, heads, batch_first=True)
        hidden = int(width * mlp_ratio)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, hidden), nn.GELU(), nn.Linear(hidden, width))

    def forward(self, x: Tensor, music_tokens: Tensor | None, y: Tensor | None,
                ord: float) -> tuple[Tensor, Tensor | None]:
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        intensity = None
        if self.fusion == "man":
            x, intensity = self.man(x, y, ord)
        elif self.fusion == "cross_attention":
            h = self.norm_cross(x)
            x = x + self.cross_attn(h, music_tokens, music_tokens, need_weights=False)[0]
        x = x + self.mlp(self.norm2(x))
        return x, intensity


class PaintingEncoder(nn.Module):
    """Paper painting encoder: ViT over ``[B, 3, S, S]`` with music fusion -> (score ``[B]`` in [0, 1], intensities).

    With ``token_channels`` the input is instead one feature vector per patch, ``[B, N, C]`` with
    ``N = (image_size / patch_size)^2`` (a frozen backbone's feature map), and ``patch_embed`` is a
    Linear ``C -> width``: the same linear patch embedding, applied to features instead of pixels.
    """

    def __init__(self, image_size: int, patch_size: int, width: int, depth: int, heads: int, mlp_ratio: float,
                 fusion: str, token_channels: int | None = None) -> None:
        super().__init__()
        self.fusion = fusion
        self.patch_embed = (nn.Linear(token_channels, width) if token_channels
                            else nn.Conv2d(3, width, kernel_size=patch_size, stride=patch_size))
        self.pos_embed = nn.Parameter(torch.zeros(1, (image_size // patch_size) ** 2, width))
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        self.blocks = nn.ModuleList(PaintingBlock(width, heads, mlp_ratio, fusion) for _ in range(depth))
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(2 * width if fusion == "concat" else width, 1)

    def forward(self, image: Tensor, music_tokens: Tensor | None, y: Tensor | None,
                ord: float = 1.0) -> tuple[Tensor, Tensor | None]:
        """-> (score ``[B]``, per-layer per-token modulation intensity ``[B, L, N]`` or None without MAN)."""
        x = self.patch_embed(image) if image.ndim == 3 else self.patch_embed(image).flatten(2).transpose(1, 2)
        x = x + self.pos_embed
        intensities = []
        for block in self.blocks:
            x, intensity = block(x, music_tokens, y, ord)
            intensities.append(intensity)
        pooled = self.norm(x).mean(dim=1)
        if self.fusion == "concat":
            pooled = torch.cat([pooled, y], dim=-1)
        score = torch.sigmoid(self.head(pooled)).squeeze(-1)
        return score, torch.stack(intensities, dim=1) if self.fusion == "man" else None


class MPJudgeNet(nn.Module):
    """Music encoder + painting encoder; ``forward(image, music) -> [B]``. Inputs are already shape-checked.

    ``image`` is what the painting encoder reads: pixels ``[B, 3, S, S]``, or for the lite0 variant
    the frozen backbone's tokens ``[B, N, token_channels]`` (the backbone itself lives in
    :class:`MPJudge`, outside this trainable network and its DPO reference copy).
    """

    def __init__(self, variant: str, image_size: int, patch_size: int, width: int, depth: int, heads: int,
                 mlp_ratio: float, fusion: str, music_channels: Sequence[int], music_kernel: int,
                 music_pool: Sequence[int] = (1, 1), token_channels: int | None = None,
                 music_features: int | None = None, va_heads: bool = False, va_prior: bool = False,
                 composition_prior: tuple[int, ...] | None = None) -> None:
        super().__init__()
        self.music: nn.Module | None
        if variant == "official":
            self.music = OfficialMusicEncoder(width)
            self.painting = OfficialPaintingEncoder(image_size, patch_size, width, depth, heads)
        else:
            music = (FeatureMusicEncoder(music_features, width) if music_features
                     else MelEncoder(width, music_channels, music_kernel, music_pool))
            self.music = music if fusion != "none" or va_heads else None
            self.painting = PaintingEncoder(image_size, patch_size, width, depth, heads, mlp_ratio, fusion,
                                            token_channels if variant == "lite0" else None)
        # auxiliary heads: each side's own valence/arousal from its embedding (deep supervision)
        # (LayerNorm first: raw patch embeddings are large enough to saturate the tanh)
        self.va_image = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, 2)) if va_heads else None
        self.va_music = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, 2)) if va_heads else None
        self.prior_weight = nn.Parameter(torch.ones(())) if va_prior else None
        # one weight per frozen composition (a scalar for one prior), together starting at their mean logit
        self.composition_weight = (None if composition_prior is None else
                                   nn.Parameter(torch.full(tuple(composition_prior), 1.0 / math.prod(composition_prior))))
        if self.composition_weight is not None and variant != "official":
            # with a frozen prior the network starts as that prior and learns a correction: the head's
            # logit and the auxiliary heads' prior start at zero (their gradients do not: both move
            # from the first step), so an untrained correction adds no noise to the prior's ranking
            nn.init.zeros_(self.painting.head.weight)
            nn.init.zeros_(self.painting.head.bias)
            if self.prior_weight is not None:
                nn.init.zeros_(self.prior_weight)

    def predict_va(self, image: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        """(image V/A ``[B, 2]``, music V/A ``[B, 2]``) in [-1, 1] from the auxiliary heads: the image's
        from the mean of its patch embeddings, the music's from its vector ``y``."""
        embed = self.painting.patch_embed(image)
        pooled = embed.mean(dim=1) if image.ndim == 3 else embed.flatten(2).mean(dim=2)
        return torch.tanh(self.va_image(pooled)), torch.tanh(self.va_music(y))

    def encode_music(self, music: Tensor) -> tuple[Tensor | None, Tensor | None]:
        """-> (music tokens ``[B, M, d]``, music vector ``y`` ``[B, d]``); (None, None) for the painting-only model."""
        if self.music is None:
            return None, None
        return self.music(music)

    def judge(self, image: Tensor, music_tokens: Tensor | None, y: Tensor | None,
              ord: float = 1.0, composition: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        """Score encoded music against paintings -> (scores ``[B]``, intensities ``[B, L, N]`` or None).

        With ``va_prior`` the head's logit is added to ``prior_weight`` x the logit of the emotion
        distance score of the auxiliary heads' V/A (:func:`~affectzoo.affect.similarity.affect_similarity`).
        With ``composition_prior`` (the shape of one pair's compositions: ``()`` for one prior, ``(K,)``
        for K) it is also added to ``composition_weight`` x the logit of ``composition`` ``[B]`` (or the
        sum over K of ``[B, K]``), frozen V/A predictors' V/A-distance scores of each pair (required then).
        """
        score, intensity = self.painting(image, music_tokens, y, ord)
        logit = torch.logit(score, eps=1e-6)
        if self.prior_weight is not None:
            prior = affect_similarity(*self.predict_va(image, y)).clamp(1e-4, 1 - 1e-4)
            logit = logit + self.prior_weight * torch.logit(prior)
        if self.composition_weight is not None:
            if composition is None:
                raise ValueError("this network adds a frozen V/A composition prior: pass composition [B]")
            weighted = self.composition_weight * torch.logit(composition.to(logit.dtype).clamp(1e-4, 1 - 1e-4))
            logit = logit + weighted.reshape(len(logit), -1).sum(dim=-1)
        if self.prior_weight is not None or self.composition_weight is not None:
            score = torch.sigmoid(logit)
        return score, intensity

    def forward(self, image: Tensor, music: Tensor, composition: Tensor | None = None) -> Tensor:
        return self.judge(image, *self.encode_music(music), composition=composition)[0]


