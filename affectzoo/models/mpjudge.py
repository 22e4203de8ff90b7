"""MPJudge (Jiang et al., AAAI 2026): does a painting perceptually match the music that induced it?

A music-conditioned Vision Transformer scores a (painting, music) pair in [0, 1]. Four registered
architectures, one LightningModule (:class:`MPJudge`):

``mpjudge`` (paper configuration)
    Music encoder (:class:`MelEncoder`): the log-mel spectrogram (16 kHz, n_fft 1024, hop 512, 128
    mels; 15 s -> 469 x 128) as a one-channel image through four blocks Conv2d(k=3, stride 2,
    padding 1) -> BatchNorm2d -> SiLU with 64, 128, 256, 512 channels. Each block halves time and
    frequency (469 x 128 -> 30 x 8), so the feature map [512, 30, 8] becomes 240 tokens, projected
    linearly to the model width d; their mean is the music vector ``y`` [B, d]. The paper gives the
    block types but not kernel, stride or channels: kernel 3 (the smallest odd, centred kernel) with
    stride 2 and the reference code's channel widths are our choice.
    Painting encoder (:class:`PaintingEncoder`): 256 x 256 RGB, patch 16 (256 tokens), 12 pre-norm
    Transformer blocks, 8 heads, width 512, learned position embedding, mean pooling, final
    LayerNorm, Linear head and a sigmoid. With ``fusion="man"`` every block applies
    ``MAN(x, y)`` (:mod:`affectzoo.layers.man`) right after its self-attention residual, as the
    paper describes (the MAN output replaces the token stream; the MLP residual follows).
    ``fusion`` makes the ablations of the paper's Table 3 variants of one model: ``"none"``
    (painting-only baseline, no music encoder), ``"concat"`` (pooled painting and music vectors
    concatenated before the head), ``"cross_attention"`` (after each self-attention, a residual
    cross-attention from image tokens to the music tokens) and ``"man"``.

``mpjudge_small``
    The same model at a CPU-trainable shape (128 px, width 192, depth 4, 3 heads, music channels
    32-192): ~2.5 M parameters and under 1 GFLOP per pair. No weights yet.

``mpjudge_lite0`` (tag ``open_pairs``: CPU training on open data; no weights yet)
    The paper design with the painting ViT's patch pixels replaced by ImageNet features. The frozen,
    pretrained EfficientNet-Lite0 (:func:`affectzoo.backbones.efficientnet_lite0`: no gradient,
    always in eval mode, so its BatchNorm statistics never move) turns a 192 x 192 painting into its
    last feature map [1280, 6, 6]: 36 tokens, one per 32 x 32 px cell. ``patch_embed`` (Linear
    1280 -> 128) plus a learned position embedding feed 3 trainable :class:`PaintingBlock` s (4
    heads, MLP 4x) with the chosen fusion, then mean pooling, LayerNorm, head and sigmoid as above.
    Music: :class:`MelEncoder` with 16, 32, 64, 128 channels after a (4, 2) average pooling of the
    mel (469 x 128 -> 117 x 64 -> 8 x 4 = 32 tokens). 0.98 M trainable parameters, 4.35 M with the
    backbone. The backbone is :attr:`MPJudge.backbone`, outside :attr:`MPJudge.net`: the optimiser
    and the DPO reference copy never hold it, and the state dict holds it once (``backbone.model.*``,
    13 MB), saved and loaded strictly with the rest.
    Costs (``torch.utils.flop_counter``; times on this project's 2-core CPU, shared, so +-20%): the
    backbone costs 0.56 GFLOP (~40 ms) per painting, 10x the trainable model's 0.056 GFLOP per pair,
    so a training pipeline computes each painting's tokens once (:meth:`MPJudge.image_tokens`,
    :meth:`MPJudge.cached_image_tokens`; open-pairs' 1,333 paintings take about a minute and 184 KB
    each) and its batches carry ``image_tokens`` instead of pixels. Input size: backbone and
    painting side grow with the pixels: 160 px (5 x 5 tokens) costs 0.39 GFLOP per painting and
    0.043 GFLOP per pair, 224 px (7 x 7) 0.77 and 0.070; 192 px sits between them and keeps a 6 x 6
    modulation map. Mel pooling: the music side costs 0.059 GFLOP per clip with the suggested (2, 1)
    pooling, 0.029 with (2, 2) and 0.015 with (4, 2); one training step on tokens (32 scored pairs +
    32 preference samples with DPO: 96 pairs trained, 64 scored by the reference) took 0.85-1.45 s,
    0.58-0.73 s and 0.38-0.55 s. (4, 2) is kept: 128 ms frames and 64 mel bands are still finer than
    the 168 training clips of open-pairs can teach. At 0.5 s a step, one epoch of open-pairs (15,990
    scored pairs, batch 32) takes ~4 min.

``mpjudge_official``
    Exactly the authors' public code (``model_adain.py``: ``MyModel`` + ``Music``), which differs
    from the paper; see :class:`OfficialPaintingEncoder` and :class:`OfficialMusicEncoder`. Its
    music input is the mel spectrogram rendered as a 3-channel 256 x 256 image normalised with
    mean = std = 0.5, and its forward returns the raw head output (no sigmoid; the reference code
    regresses scores in [0, 1] with an L1 loss). :func:`convert_official_state_dict` and
    :func:`load_official_checkpoint` load the reference code's two saved files.

Batch format (what a DataModule yields; every tensor already preprocessed as the model's
``pretrained_cfg.preprocess`` says)::

    {
      "image": [B, 3, S, S]  paintings, normalised with the cfg's mean / std,
      "image_tokens": [B, N, C]  lite0 only, instead of "image" (wins if both are given): the frozen
                             backbone's tokens of the paintings (MPJudge.image_tokens; N = 36, C = 1280),
      "mel":   [B, T, n_mels] or [B, 1, T, n_mels] log-mel (official: [B, 3, H, W] spectrogram image),
      "score": [B]           perceptual-coherence score of each pair, in [0, 1],
      "pref": {              optional, P preference samples (ambiguous pairs), both directions:
        "image_pos": [P, 3, S, S], "mel_pos": [P, ...],   the preferred pair
        "image_neg": [P, 3, S, S], "mel_neg": [P, ...],   the rejected pair
        (lite0: "image_tokens_pos" / "image_tokens_neg" [P, N, C] instead of image_pos / image_neg)
        "query_modality": P strings, "music" (one clip, two paintings: mel_pos == mel_neg) or
                          "image" (one painting, two clips: image_pos == image_neg),
      },
    }

All music inputs of one batch share one length T. Either part may be missing: a batch of only
scored pairs trains regression; one of only preferences trains DPO.

Training: ``loss = lambda_reg * MSE(f(x, y), score) + lambda_dpo * DPO`` (defaults 1 and 0.5) with
the DPO of :mod:`affectzoo.losses.dpo` on the preference samples, against a frozen reference model:
a copy of the model taken at the first preference batch (kept in Lightning checkpoints, so a resumed
run keeps its reference) or, with ``reference_checkpoint``, a loaded MPJudge. ``f`` is the model's
output (the sigmoid score; the official variant's raw head output). ``use_dpo=False`` or
``lambda_dpo=0`` is the "w/o DPO" variant (preference samples are then ignored). The reference
runs in eval mode (BatchNorm running statistics) while the model trains in train mode, so the first
DPO step costs exactly ``log 2`` only for a model without BatchNorm (the painting-only baseline).
``dpo_beta`` defaults to 1: the issue does not state
the paper's value, and with scores in [0, 1] a beta of 1 gives DPO gradients of the same order as
the MSE ones. Optimiser: Adam, lr 1e-5, weight decay 0.05 (paper; configurable).

Metrics (torchmetrics collections, logged per epoch as ``val/...`` and ``test/...``): ``srcc``,
``plcc``, ``mae`` and ``acc`` on scored pairs, where ACC counts a pair as correct when prediction
and target fall on the same side of ``acc_threshold`` (0.5: "matches" if the score is >= 0.5);
on preference samples ``pref_acc`` (share with f(pos) > f(neg); ties count as wrong), also split by
query modality (``pref_acc_music_query``, ``pref_acc_image_query``).

Inference: :meth:`MPJudge.score` and :meth:`MPJudge.rank` (music encoded once) take tensors, file
paths, PIL images or waveforms (decoded as ``pretrained_cfg.preprocess`` says);
:meth:`MPJudge.modulation_maps` (paper eq. 4) and :meth:`MPJudge.explain` (the ``--explain`` PNG)
take tensors.
"""

from __future__ import annotations

import copy
import math
import os
from pathlib import Path
from typing import Callable, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchmetrics import MeanMetric, MetricCollection

from affectzoo._registry import register_model
from affectzoo.backbones.musicnn import FEATURE_DIM as MUSICNN_FEATURE_DIM
from affectzoo.backbones.musicnn import MusicnnMTT, cached_musicnn_features, load_clip
from affectzoo.data.cache import FeatureCache
from affectzoo.errors import CheckpointError, InputError
from affectzoo.layers.man import MAN
from affectzoo.losses.dpo import dpo_loss
from affectzoo.metrics import MAE, PLCC, SRCC, ThresholdAccuracy
from affectzoo.models.base import ZooModule

FUSIONS = ("none", "concat", "cross_attention", "man")
VARIANTS = ("paper", "official", "lite0")
MUSIC_ENCODERS = ("mel", "musicnn")
#: Labels of the auxiliary valence/arousal heads (``va_heads``), in [-1, 1]: image V, A, music V, A.
VA_LABELS = ("image_valence", "image_arousal", "music_valence", "music_arousal")
QUERY_MODALITIES = ("music", "image")
#: Total stride of EfficientNet-Lite0: one token per 32 x 32 px cell of the painting.
LITE0_STRIDE = 32
#: Batch key of paintings -> key of their precomputed backbone tokens (lite0), which wins when both are given.
TOKEN_KEYS = {"image": "image_tokens", "image_pos": "image_tokens_pos", "image_neg": "image_tokens_neg"}
PAPER = ('Jiang et al., "MPJudge: Towards Perceptual Assessment of Music-Induced Paintings", AAAI 2026 '
         "(arXiv:2511.07137); reference code github.com/Erinqi/MPJudge")


# --------------------------------------------------------------------------------------------- paper


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


# ------------------------------------------------------------------------------------ reference code


class OfficialMusicEncoder(nn.Module):
    """The reference ``Music``: spectrogram image ``[B, 3, H, W]`` -> ``y`` ``[B, d]`` (also returned as one token).

    Four Conv2d(k=4, s=2, p=1) 3 -> 64 -> 128 -> 256 -> 512, each followed by BatchNorm2d and ReLU
    (``encoder.0/1, 3/4, 6/7, 9/10``), adaptive average pooling (``encoder.12``), ``proj`` 512 -> d.
    """

    CHANNELS = (64, 128, 256, 512)

    def __init__(self, width: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        in_channels = 3
        for out_channels in self.CHANNELS:
            layers += [nn.Conv2d(in_channels, out_channels, kernel_size=4, stride=2, padding=1),
                       nn.BatchNorm2d(out_channels), nn.ReLU()]
            in_channels = out_channels
        layers.append(nn.AdaptiveAvgPool2d((1, 1)))
        self.encoder = nn.Sequential(*layers)
        self.proj = nn.Linear(in_channels, width)

    def forward(self, image: Tensor) -> tuple[Tensor, Tensor]:
        y = self.proj(self.encoder(image).flatten(1))
        return y.unsqueeze(1), y


class OfficialBlock(nn.Module):
    """The reference ``Block``: LayerNorm replaces x, self-attention residual, AdaIN (no residual), FFN residual."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.cross_attn = nn.MultiheadAttention(width, heads, batch_first=True)  # self-attention, despite the name
        self.adain1 = nn.LayerNorm(width)
        self.adain2 = MAN(width, init="default")
        self.ffn = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x: Tensor, music_tokens: Tensor | None, y: Tensor,
                ord: float) -> tuple[Tensor, Tensor]:
        x = self.adain1(x)
        x = x + self.cross_attn(x, x, x, need_weights=False)[0]
        x, intensity = self.adain2(x, y, ord)
        return x + self.ffn(x), intensity


class OfficialPaintingEncoder(nn.Module):
    """The reference ``MyModel``: ``patch_embed``, ``pos_embed`` (randn), ``blocks``, mean pool, ``head`` (no sigmoid)."""

    def __init__(self, image_size: int, patch_size: int, width: int, depth: int, heads: int) -> None:
        super().__init__()
        self.patch_embed = nn.Conv2d(3, width, kernel_size=patch_size, stride=patch_size)
        self.pos_embed = nn.Parameter(torch.randn(1, (image_size // patch_size) ** 2, width))
        self.blocks = nn.ModuleList(OfficialBlock(width, heads) for _ in range(depth))
        self.head = nn.Linear(width, 1)

    def forward(self, image: Tensor, music_tokens: Tensor | None, y: Tensor,
                ord: float = 1.0) -> tuple[Tensor, Tensor]:
        x = self.patch_embed(image).flatten(2).transpose(1, 2) + self.pos_embed
        intensities = []
        for block in self.blocks:
            x, intensity = block(x, music_tokens, y, ord)
            intensities.append(intensity)
        return self.head(x.mean(dim=1)).squeeze(-1), torch.stack(intensities, dim=1)


# ------------------------------------------------------------------------------------------ network


def va_match(image_va: Tensor, music_va: Tensor) -> Tensor:
    """The IMUSE emotion-distance score ``1 - ||(image_va - music_va) / 2||`` of V/A in [-1, 1]."""
    return 1 - torch.linalg.vector_norm((image_va - music_va) / 2, dim=-1)


class MPJudgeNet(nn.Module):
    """Music encoder + painting encoder; ``forward(image, music) -> [B]``. Inputs are already shape-checked.

    ``image`` is what the painting encoder reads: pixels ``[B, 3, S, S]``, or for the lite0 variant
    the frozen backbone's tokens ``[B, N, token_channels]`` (the backbone itself lives in
    :class:`MPJudge`, outside this trainable network and its DPO reference copy).
    """

    def __init__(self, variant: str, image_size: int, patch_size: int, width: int, depth: int, heads: int,
                 mlp_ratio: float, fusion: str, music_channels: Sequence[int], music_kernel: int,
                 music_pool: Sequence[int] = (1, 1), token_channels: int | None = None,
                 music_features: int | None = None, va_heads: bool = False, va_prior: bool = False) -> None:
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
              ord: float = 1.0) -> tuple[Tensor, Tensor | None]:
        """Score encoded music against paintings -> (scores ``[B]``, intensities ``[B, L, N]`` or None).

        With ``va_prior`` the head's logit is added to ``prior_weight`` x the logit of the emotion
        distance score of the auxiliary heads' V/A (:func:`va_match`).
        """
        score, intensity = self.painting(image, music_tokens, y, ord)
        if self.prior_weight is not None:
            prior = va_match(*self.predict_va(image, y)).clamp(1e-4, 1 - 1e-4)
            score = torch.sigmoid(torch.logit(score, eps=1e-6) + self.prior_weight * torch.logit(prior))
        return score, intensity

    def forward(self, image: Tensor, music: Tensor) -> Tensor:
        return self.judge(image, *self.encode_music(music))[0]


# ----------------------------------------------------------------------------------- LightningModule


class MPJudge(ZooModule):
    """MPJudge scorer, trainer and explainer (see the module docstring for the batch format).

    Architecture args: ``variant`` (one of :data:`VARIANTS`), ``image_size``, ``patch_size`` (lite0:
    the backbone's stride, 32), ``width``, ``depth``, ``heads``, ``mlp_ratio``, ``fusion`` (one of
    :data:`FUSIONS`; the official variant has only ``"man"``, its AdaIN), ``n_mels`` (checked on
    input), ``music_channels``, ``music_kernel`` and ``music_pool`` (paper music encoder; ``music_pool``
    is the (time, frequency) average pooling of the mel before the first conv). The official variant
    ignores ``mlp_ratio``, ``n_mels``, ``music_channels``, ``music_kernel`` and ``music_pool`` (its
    shapes are fixed by the reference code).

    The lite0 variant also holds :attr:`backbone`, the frozen ImageNet EfficientNet-Lite0: outside
    :attr:`net`, so the optimiser and the DPO reference copy never see it, and once in
    ``state_dict()`` (``backbone.model.*``), so checkpoints carry it and load it strictly.

    ``music_encoder="musicnn"`` (not for the official variant) replaces the mel encoder by a small
    MLP over the frozen musicnn MagnaTagATune tagger's per-patch features (:attr:`music_backbone`,
    held like the lite0 backbone; inputs are then ``[B, P, 250]`` features, or audio it encodes).
    ``va_heads=True`` adds two linear heads predicting each side's own valence/arousal (image: mean
    patch embedding; music: ``y``), trained with ``lambda_va`` x MSE when the batch has
    :data:`VA_LABELS`: deep supervision that tells the encoders which direction in their
    features carries emotion when the pair scores alone are too few to find it. ``va_prior=True``
    (needs ``va_heads``) adds ``prior_weight`` (learned, starts at 1) x the logit of those heads'
    emotion-distance score (:func:`va_match`) to the head's logit: the MAN network then learns a
    correction to an emotion-distance prior instead of the whole score.

    Training args: ``lr``, ``weight_decay`` (Adam), ``lambda_reg``, ``lambda_dpo``, ``use_dpo``,
    ``dpo_beta``, ``reference_checkpoint`` (a saved MPJudge of the same variant to use as the DPO
    reference instead of a copy of this model), ``lambda_va`` and ``acc_threshold`` (of the ACC metric).
    """

    def __init__(self, variant: str = "paper", image_size: int = 256, patch_size: int = 16, width: int = 512,
                 depth: int = 12, heads: int = 8, mlp_ratio: float = 4.0, fusion: str = "man", n_mels: int = 128,
                 music_channels: tuple[int, ...] = (64, 128, 256, 512), music_kernel: int = 3,
                 music_pool: tuple[int, int] = (1, 1), music_encoder: str = "mel", va_heads: bool = False,
                 va_prior: bool = False,
                 lr: float = 1e-5, weight_decay: float = 0.05, lambda_reg: float = 1.0, lambda_dpo: float = 0.5,
                 use_dpo: bool = True, dpo_beta: float = 1.0, reference_checkpoint: str | None = None,
                 lambda_va: float = 1.0, acc_threshold: float = 0.5) -> None:
        super().__init__()
        self.save_hyperparameters()
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        if fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {FUSIONS}, got {fusion!r}")
        if variant == "official" and fusion != "man":
            raise ValueError("the official variant fuses music only by its AdaIN: use fusion='man'")
        if variant == "lite0" and patch_size != LITE0_STRIDE:
            raise ValueError(f"the lite0 variant's patches are the {LITE0_STRIDE}-px cells of its backbone's "
                             f"feature map: use patch_size={LITE0_STRIDE}")
        if image_size % patch_size:
            raise ValueError(f"image_size {image_size} is not a multiple of patch_size {patch_size}")
        if width % heads:
            raise ValueError(f"width {width} is not divisible by heads {heads}")
        if not music_channels:
            raise ValueError("music_channels needs at least one conv block")
        if len(music_pool) != 2 or min(music_pool) < 1:
            raise ValueError(f"music_pool must be two positive integers (time, frequency), got {music_pool!r}")
        if music_encoder not in MUSIC_ENCODERS:
            raise ValueError(f"music_encoder must be one of {MUSIC_ENCODERS}, got {music_encoder!r}")
        if variant == "official" and (music_encoder != "mel" or va_heads):
            raise ValueError("the official variant has its own music encoder and no V/A heads")
        if va_prior and not va_heads:
            raise ValueError("va_prior reads the auxiliary V/A heads: set va_heads=True")
        self.backbone = _lite0_backbone() if variant == "lite0" else None
        self.music_backbone = MusicnnMTT.from_checkpoint(frozen=True) if music_encoder == "musicnn" else None
        self.net = MPJudgeNet(variant, image_size, patch_size, width, depth, heads, mlp_ratio, fusion,
                              tuple(music_channels), music_kernel, tuple(music_pool),
                              None if self.backbone is None else self.backbone.num_features,
                              MUSICNN_FEATURE_DIM if music_encoder == "musicnn" else None, va_heads, va_prior)
        scored = MetricCollection({"srcc": SRCC(), "plcc": PLCC(), "mae": MAE(),
                                   "acc": ThresholdAccuracy(acc_threshold)})
        preference = MetricCollection({"pref_acc": MeanMetric(), "pref_acc_music_query": MeanMetric(),
                                       "pref_acc_image_query": MeanMetric()}, compute_groups=False)
        self.val_metrics, self.test_metrics = scored.clone(prefix="val/"), scored.clone(prefix="test/")
        self.val_pref_metrics, self.test_pref_metrics = preference.clone(prefix="val/"), preference.clone(prefix="test/")
        # the frozen DPO reference is not a submodule: no optimiser, no state_dict, no device moves
        object.__setattr__(self, "_reference", None)

    # ------------------------------------------------------------------------------ inputs

    @property
    def grid(self) -> int:
        """Patches per side of the painting (lite0: cells per side of the backbone's feature map)."""
        return self.hparams.image_size // self.hparams.patch_size

    def _require_backbone(self, what: str) -> nn.Module:
        if self.backbone is None:
            raise ValueError(f"{what} needs the lite0 variant's backbone; this model is {self.hparams.variant!r}")
        return self.backbone

    @property
    def token_shape(self) -> tuple[int, int]:
        """Shape ``(N, C)`` of one painting's backbone tokens (lite0 only)."""
        return self.grid ** 2, self._require_backbone("token_shape").num_features

    @property
    def has_modulation(self) -> bool:
        """True when the model fuses by MAN/AdaIN, i.e. has modulation maps."""
        return self.hparams.fusion == "man"

    def _check_image(self, image, name: str = "image") -> Tensor:
        size = self.hparams.image_size
        if not isinstance(image, Tensor) or image.ndim != 4 or tuple(image.shape[1:]) != (3, size, size):
            got = tuple(image.shape) if isinstance(image, Tensor) else type(image).__name__
            raise InputError(name, f"expected paintings as a tensor [B, 3, {size}, {size}], got {got}")
        return image

    def _are_tokens(self, paintings) -> bool:
        return (self.backbone is not None and isinstance(paintings, Tensor) and paintings.ndim == 3
                and tuple(paintings.shape[1:]) == self.token_shape)

    def _check_paintings(self, paintings, name: str = "image") -> Tensor:
        """Paintings as pixels ``[B, 3, S, S]`` or, for the lite0 variant, as backbone tokens ``[B, N, C]``."""
        if self._are_tokens(paintings):
            return paintings
        if self.backbone is None or isinstance(paintings, Tensor) and paintings.ndim == 4:
            return self._check_image(paintings, name)
        size, (n, c) = self.hparams.image_size, self.token_shape
        got = tuple(paintings.shape) if isinstance(paintings, Tensor) else type(paintings).__name__
        raise InputError(name, f"expected paintings as a tensor [B, 3, {size}, {size}] or backbone tokens "
                               f"[B, {n}, {c}], got {got}")

    def _painting_batch(self, paintings, name: str = "images") -> Tensor:
        """Like :meth:`_check_paintings`, also accepting one painting (``[3, S, S]``; lite0 tokens ``[N, C]``)."""
        if isinstance(paintings, Tensor) and (paintings.ndim == 3 and not self._are_tokens(paintings)
                                              or paintings.ndim == 2 and self.backbone is not None):
            paintings = paintings.unsqueeze(0)
        return self._check_paintings(paintings, name)

    def _encode_paintings(self, paintings: Tensor) -> Tensor:
        """What the network reads from checked paintings: the pixels, or (lite0) their backbone tokens."""
        return self.image_tokens(paintings) if self.backbone is not None and paintings.ndim == 4 else paintings

    def image_tokens(self, images: Tensor) -> Tensor:
        """The frozen backbone's tokens ``[B, N, C]`` of paintings ``[B, 3, S, S]`` (lite0; no gradient).

        Token ``i * grid + j`` is the feature vector of the painting's cell (row i, column j). A data
        pipeline may compute them once per painting (:meth:`cached_image_tokens`) and pass them as
        ``image_tokens``; they are returned on the model's device.
        """
        backbone = self._require_backbone("image_tokens")
        images = self._check_image(images, "images")
        with torch.no_grad():
            return backbone(images.to(self.device)).flatten(2).transpose(1, 2)

    @property
    def image_tokens_cfg(self) -> dict:
        """Everything a painting's tokens depend on besides its file: the feature cache key's cfg."""
        backbone, preprocess = self._require_backbone("image_tokens_cfg"), self.pretrained_cfg.preprocess
        return {"backbone": backbone.cfg["name"], "weights": backbone.cfg["weights"],
                "image_size": self.hparams.image_size,
                **{k: preprocess[k] for k in ("mean", "std", "crop_pct", "interpolation") if k in preprocess}}

    def cached_image_tokens(self, path: str | os.PathLike, load: Callable[[], Tensor]) -> Tensor:
        """Tokens ``[N, C]`` (CPU) of the painting file ``path``, from the feature cache.

        ``load()`` returns the painting's preprocessed pixels ``[3, S, S]``; it is called only on a
        cache miss. The entry is keyed by the file's content hash, :attr:`image_tokens_cfg` and the
        backbone name, in the cache namespace ``emb-<backbone>-tokens``, and kept in memory for the process.
        """
        cfg = self.image_tokens_cfg
        return FeatureCache(f"emb-{cfg['backbone']}-tokens", keep_in_memory=True).tensor(
            path, cfg, lambda: self.image_tokens(load()[None])[0].cpu(), encoder=cfg["backbone"])

    def music_features(self, waveform: Tensor) -> Tensor:
        """The frozen musicnn's per-patch features ``[P, 250]`` of one mono 16-kHz waveform (musicnn encoder)."""
        if self.music_backbone is None:
            raise ValueError("music_features needs music_encoder='musicnn'")
        return self.music_backbone.patch_features(waveform.to(self.device)).cpu()

    def cached_music_features(self, path: str | os.PathLike) -> Tensor:
        """:meth:`music_features` of the first ``clip_seconds`` of an audio file, from the feature cache."""
        if self.music_backbone is None:
            raise ValueError("cached_music_features needs music_encoder='musicnn'")
        return cached_musicnn_features(path, self.music_backbone, self.preprocess.get("clip_seconds"))

    def _check_music(self, music, name: str = "mel") -> Tensor:
        """Music batch as the encoder takes it: ``[B, 1, T, n_mels]`` (paper), ``[B, 3, H, W]`` (official)
        or ``[B, P, 250]`` musicnn features."""
        got = tuple(music.shape) if isinstance(music, Tensor) else type(music).__name__
        if self.music_backbone is not None:
            if isinstance(music, Tensor) and music.ndim == 3 and music.shape[-1] == MUSICNN_FEATURE_DIM:
                return music
            raise InputError(name, f"expected musicnn patch features as a tensor [B, P, {MUSICNN_FEATURE_DIM}], "
                                   f"got {got}")
        if self.hparams.variant == "official":
            if isinstance(music, Tensor) and music.ndim == 4 and music.shape[1] == 3:
                return music
            raise InputError(name, f"expected spectrogram images as a tensor [B, 3, H, W], got {got}")
        n_mels = self.hparams.n_mels
        if isinstance(music, Tensor) and music.ndim == 3 and music.shape[-1] == n_mels:
            return music.unsqueeze(1)
        if isinstance(music, Tensor) and music.ndim == 4 and music.shape[1] == 1 and music.shape[-1] == n_mels:
            return music
        raise InputError(name, f"expected log-mel spectrograms as a tensor [B, T, {n_mels}] or "
                               f"[B, 1, T, {n_mels}], got {got}")

    def _music_batch(self, music, name: str = "mel") -> Tensor:
        """Like :meth:`_check_music`, also accepting one unbatched input (``[T, n_mels]``, ``[3, H, W]``
        or ``[P, 250]``)."""
        single = 3 if self.hparams.variant == "official" else 2
        if isinstance(music, Tensor) and music.ndim == single:
            music = music.unsqueeze(0)
        return self._check_music(music, name)

    def forward(self, image: Tensor, mel: Tensor) -> Tensor:
        """Scores ``[B]`` of the pairs ``(image[i], mel[i])`` (sigmoid; official: raw head output).

        ``image``: pixels ``[B, 3, S, S]``; the lite0 variant also takes its backbone tokens ``[B, N, C]``
        (:meth:`image_tokens`) and then skips the backbone.
        """
        return self.net(self._encode_paintings(self._check_paintings(image)), self._check_music(mel))

    # ------------------------------------------------------------------------------ training

    @property
    def dpo_active(self) -> bool:
        return bool(self.hparams.use_dpo) and self.hparams.lambda_dpo > 0

    @staticmethod
    def _batch_music(batch: Mapping) -> Tensor:
        """The batch's music: its precomputed ``music_features`` when given, else its ``mel``."""
        music = batch.get("music_features", batch.get("mel"))
        if music is None:
            raise InputError("batch", "lacks 'mel' (or 'music_features')")
        return music

    @staticmethod
    def _batch_paintings(batch: Mapping, key: str, where: str = "batch") -> Tensor:
        """``batch[key]``'s paintings: its precomputed tokens (:data:`TOKEN_KEYS`) when given, else its pixels."""
        paintings = batch.get(TOKEN_KEYS[key], batch.get(key))
        if paintings is None:
            raise InputError(where, f"lacks {key!r} (or {TOKEN_KEYS[key]!r})")
        return paintings

    def _preferences(self, batch: Mapping) -> dict | None:
        """The batch's checked preference part, or None when it has none (or an empty one).

        Its paintings come back under ``image_pos`` / ``image_neg``, whether pixels or tokens.
        """
        pref = batch.get("pref")
        if pref is None:
            return None
        images = {k: pref.get(TOKEN_KEYS[k], pref.get(k)) for k in ("image_pos", "image_neg")}
        missing = [f"{k} (or {TOKEN_KEYS[k]})" for k, v in images.items() if v is None]
        missing += [k for k in ("mel_pos", "mel_neg", "query_modality") if k not in pref]
        if missing:
            raise InputError("batch['pref']", f"lacks {missing}")
        pref = {**pref, **images}
        if len(pref["image_pos"]) == 0:
            return None
        queries = list(pref["query_modality"])
        bad = sorted({q for q in queries if q not in QUERY_MODALITIES})
        if bad or len(queries) != len(pref["image_pos"]):
            raise InputError("batch['pref']['query_modality']",
                             f"needs one of {QUERY_MODALITIES} per preference sample ({len(pref['image_pos'])}), "
                             f"got {len(queries)} values" + (f" including {bad}" if bad else ""))
        return {**pref, "query_modality": queries}

    def _net_inputs(self, paintings: list, music: list) -> tuple[list[Tensor], list[Tensor]]:
        """Check several pair batches and turn them into network inputs (lite0 pixels -> tokens, once)."""
        paintings = [self._encode_paintings(self._check_paintings(x, f"batch image #{i}"))
                     for i, x in enumerate(paintings)]
        music = [self._check_music(m, f"batch mel #{i}") for i, m in enumerate(music)]
        return paintings, music

    @staticmethod
    def _score_many(net: nn.Module, paintings: list[Tensor], music: list[Tensor]) -> list[Tensor]:
        """Score several network-ready pair batches in one forward (one BatchNorm batch); one tensor per batch."""
        scores = net(torch.cat(paintings), torch.cat(music))
        return list(scores.split([len(x) for x in paintings]))

    def reference_net(self) -> MPJudgeNet:
        """The frozen DPO reference: a loaded checkpoint's network, or a copy of this one taken on first use.

        It reads the same network inputs as :attr:`net`; for the lite0 variant that is the tokens of
        this model's frozen backbone, computed once for both.
        """
        reference = self._reference
        if reference is None:
            if self.hparams.reference_checkpoint:
                reference = _load_reference(self.hparams.reference_checkpoint, self.hparams.variant)
            else:
                reference = copy.deepcopy(self.net)
            reference.requires_grad_(False).eval()
            object.__setattr__(self, "_reference", reference)
        return reference.to(self.device)

    def compute_losses(self, batch: Mapping) -> dict[str, Tensor]:
        """``loss`` (the weighted sum), ``mse`` (with scores) and ``dpo`` (with preferences, when DPO is on)."""
        scored = "score" in batch
        pref = self._preferences(batch) if self.dpo_active else None
        if not scored and pref is None:
            raise InputError("batch", "has no 'score' (regression) and no 'pref' (preference, with DPO on): "
                                      "nothing to train on")
        # take the reference before this step's forward moves the BatchNorm running statistics
        reference = self.reference_net() if pref is not None else None
        paintings, music = [], []
        if scored:
            paintings.append(self._batch_paintings(batch, "image")), music.append(self._batch_music(batch))
        if pref is not None:
            paintings += [pref["image_pos"], pref["image_neg"]]
            music += [pref["mel_pos"], pref["mel_neg"]]
        paintings, music = self._net_inputs(paintings, music)
        outputs = self._score_many(self.net, paintings, music)
        losses: dict[str, Tensor] = {}
        total = outputs[0].new_zeros(())
        if scored:
            preds = outputs.pop(0)
            losses["mse"] = F.mse_loss(preds, batch["score"].to(preds.dtype).reshape(preds.shape))
            total = total + self.hparams.lambda_reg * losses["mse"]
            if self.net.va_image is not None and self.hparams.lambda_va > 0 and all(k in batch for k in VA_LABELS):
                losses["va"] = self._va_loss(paintings[0], music[0], batch)
                total = total + self.hparams.lambda_va * losses["va"]
        if reference is not None:
            pos, neg = outputs
            with torch.no_grad():
                ref_pos, ref_neg = self._score_many(reference, paintings[-2:], music[-2:])
            losses["dpo"] = dpo_loss(pos, neg, ref_pos, ref_neg, beta=self.hparams.dpo_beta)
            total = total + self.hparams.lambda_dpo * losses["dpo"]
        losses["loss"] = total
        return losses

    def _va_loss(self, paintings: Tensor, music: Tensor, batch: Mapping) -> Tensor:
        """MSE of the auxiliary heads' V/A (both sides) against the batch's :data:`VA_LABELS`."""
        image_va, music_va = self.net.predict_va(paintings, self.net.encode_music(music)[1])
        target = torch.stack([batch[k] for k in VA_LABELS], dim=-1).to(image_va.dtype)
        return F.mse_loss(torch.cat([image_va, music_va], dim=-1), target)

    def training_step(self, batch: dict, batch_idx: int) -> Tensor:
        losses = self.compute_losses(batch)
        size = len(batch["score"]) if "score" in batch else len(batch["pref"]["query_modality"])
        self.log_dict({f"train/{k}": v for k, v in losses.items() if k != "loss"}, batch_size=size)
        self.log("train/loss", losses["loss"], prog_bar=True, batch_size=size)
        return losses["loss"]

    def _evaluate(self, batch: dict, stage: str) -> None:
        metrics = self.val_metrics if stage == "val" else self.test_metrics
        pref_metrics = self.val_pref_metrics if stage == "val" else self.test_pref_metrics
        if "score" in batch:
            preds = self(self._batch_paintings(batch, "image"), self._batch_music(batch))
            metrics.update(preds, batch["score"])
            self.log_dict(metrics, on_step=False, on_epoch=True, batch_size=len(preds))
        pref = self._preferences(batch)
        if pref is not None:
            pos, neg = self._score_many(self.net, *self._net_inputs([pref["image_pos"], pref["image_neg"]],
                                                                    [pref["mel_pos"], pref["mel_neg"]]))
            correct = (pos > neg).float()
            self._log_mean(pref_metrics, "pref_acc", stage, correct)
            for modality in QUERY_MODALITIES:
                mask = torch.tensor([q == modality for q in pref["query_modality"]], device=correct.device)
                if mask.any():
                    self._log_mean(pref_metrics, f"pref_acc_{modality}_query", stage, correct[mask])

    def _log_mean(self, collection: MetricCollection, key: str, stage: str, values: Tensor) -> None:
        metric = collection[key]
        metric.update(values)
        self.log(f"{stage}/{key}", metric, on_step=False, on_epoch=True, batch_size=len(values))

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def predict_step(self, batch: dict, batch_idx: int) -> Tensor:
        return self(self._batch_paintings(batch, "image"), self._batch_music(batch))

    def configure_optimizers(self):
        return torch.optim.Adam(self.net.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        super().on_save_checkpoint(checkpoint)
        if self._reference is not None and not self.hparams.reference_checkpoint:
            checkpoint["mpjudge_reference"] = {k: v.detach().cpu() for k, v in self._reference.state_dict().items()}

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        state = checkpoint.get("mpjudge_reference")
        if state is not None:
            reference = copy.deepcopy(self.net)
            reference.load_state_dict(state)
            object.__setattr__(self, "_reference", reference.requires_grad_(False).eval())

    # ------------------------------------------------------------------------------ inference

    def _score_against(self, music: Tensor, paintings: Tensor, batch_size: int) -> Tensor:
        """Scores ``[N]`` of one music input ``[1, ...]`` against checked paintings ``[N, ...]``, music encoded once."""
        tokens, y = self.net.encode_music(music.to(self.device))
        out = []
        for start in range(0, len(paintings), batch_size):
            chunk = self._encode_paintings(paintings[start:start + batch_size].to(self.device))
            n = len(chunk)
            out.append(self.net.judge(chunk, None if tokens is None else tokens.expand(n, -1, -1),
                                      None if y is None else y.expand(n, -1))[0].float().cpu())
        return torch.cat(out)

    @property
    def preprocess(self) -> dict:
        """The cfg's preprocessing, with the image size the network was actually built for."""
        return {**(self.pretrained_cfg.preprocess or _preprocess(self.hparams.image_size)),
                "image_size": self.hparams.image_size}

    def _inputs(self, images, audio) -> tuple[Tensor, Tensor]:
        """Tensors from paths / PIL images / tensors, prepared as ``pretrained_cfg.preprocess`` says.

        Paintings: a path, a PIL image or a tensor (pixels, or lite0 tokens), or a list of them.
        Music: a path (decoded, first ``clip_seconds``, log-mel), a 1-D waveform at the cfg's sample
        rate, a mel tensor, or a list of them. Tensors of the right layout pass through unchanged.
        """
        from PIL import Image

        from affectzoo.data.datasets import MediaLoader

        loader = MediaLoader(self.preprocess)

        def painting(item):
            if isinstance(item, Image.Image):
                return loader.image_cfg(item.convert("RGB"))
            return loader.image(str(item)) if isinstance(item, (str, os.PathLike)) else item

        def music(item):
            if self.music_backbone is not None and isinstance(item, (str, os.PathLike)):
                return self.music_features(load_clip(item, self.preprocess.get("clip_seconds")))
            if self.music_backbone is not None and isinstance(item, Tensor) and item.ndim == 1:
                return self.music_features(item.float())
            if isinstance(item, (str, os.PathLike)):
                return loader.audio(str(item))["mel"]
            if isinstance(item, Tensor) and item.ndim == 1 and loader.mel is not None:
                with torch.no_grad():
                    return loader.mel(item.float())
            return item

        def convert(value, one):
            if isinstance(value, (list, tuple)):
                return torch.stack([one(v) for v in value])
            return one(value)

        return convert(images, painting), convert(audio, music)

    def music_input(self, audio) -> Tensor:
        """What the music encoder reads for a file, waveform or tensor (or a list): see :meth:`_inputs`."""
        return self._inputs(None, audio)[1]

    def score(self, images, mels, batch_size: int = 32) -> Tensor:
        """Scores ``[N]`` (CPU, float32) of the pairs ``(images[i], mels[i])``, in batches of ``batch_size``.

        ``images``: ``[N, 3, S, S]`` or one ``[3, S, S]``, normalised as ``pretrained_cfg.preprocess``
        says (lite0: or their backbone tokens, ``[N, N_tok, C]`` or one ``[N_tok, C]``); ``mels``:
        ``[N, T, n_mels]``, ``[N, 1, T, n_mels]`` or one ``[T, n_mels]`` (official: ``[N, 3, H, W]`` or
        ``[3, H, W]``). A single music input is paired with every painting and
        encoded once. Files, PIL images and waveforms are accepted too (see :meth:`_inputs`).
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        images, mels = self._inputs(images, mels)
        images = self._painting_batch(images, "images")
        music = self._music_batch(mels, "mels")
        if len(music) not in (1, len(images)):
            raise InputError("mels", f"{len(music)} music inputs for {len(images)} paintings: give one per "
                                     "painting or a single one for all")
        with self._inference():
            if len(music) == 1:
                return self._score_against(music, images, batch_size)
            out = [self.net(self._encode_paintings(images[i:i + batch_size].to(self.device)),
                            music[i:i + batch_size].to(self.device)) for i in range(0, len(images), batch_size)]
            return torch.cat(out).float().cpu()

    def rank(self, mel, paintings, k: int = 10, batch_size: int = 32) -> tuple[Tensor, Tensor]:
        """The ``k`` paintings that best match one music input: (indices ``[k]``, scores ``[k]``), best first.

        The music is encoded once and its vector reused for every painting; ``k`` larger than the
        number of paintings returns them all.
        """
        if k < 1:
            raise ValueError(f"k must be positive, got {k}")
        paintings, mel = self._inputs(paintings, mel)
        music = self._music_batch(mel, "mel")
        if len(music) != 1:
            raise InputError("mel", f"rank takes one music input, got {len(music)}")
        scores = self.score(paintings, music, batch_size)
        top = torch.topk(scores, min(k, len(scores)))
        return top.indices, top.values

    def modulation_maps(self, image: Tensor, mel: Tensor, ord: float = 1.0) -> tuple[Tensor, Tensor]:
        """Modulation intensity of one pair (paper eq. 4): maps ``[L, S/p, S/p]`` and layer intensities ``[L]``.

        Map entry (l, i, j) is ``||MAN_l(x, y) - x||_ord`` of the token of patch row i, column j in
        layer l (L1 as in the paper; ``ord=2`` is the reference code's visualisation); a layer's
        intensity is the mean of its map. ``image`` ``[3, S, S]`` (or ``[1, 3, S, S]``; lite0: or its
        tokens ``[N, C]`` / ``[1, N, C]``, whose grid is the backbone's feature map), ``mel`` one music input.
        """
        if not self.has_modulation:
            raise ValueError(f"modulation maps need MAN fusion; this model has fusion={self.hparams.fusion!r}")
        image = self._painting_batch(image, "image")
        music = self._music_batch(mel)
        if len(image) != 1 or len(music) != 1:
            raise InputError("image", f"modulation maps are for one pair, got {len(image)} paintings and "
                                      f"{len(music)} music inputs")
        with self._inference():
            tokens, y = self.net.encode_music(music.to(self.device))
            _, intensity = self.net.judge(self._encode_paintings(image.to(self.device)), tokens, y, ord)
        maps = intensity[0].float().cpu().reshape(-1, self.grid, self.grid)
        return maps, maps.flatten(1).mean(dim=1)

    def explain(self, image: Tensor, mel: Tensor, path: str | os.PathLike) -> Path:
        """Write the ``--explain`` PNG of one pair: the painting and its first- and last-layer maps overlaid.

        ``image`` are the painting's pixels ``[3, S, S]`` (or ``[1, 3, S, S]``): the PNG shows them.
        """
        size = self.hparams.image_size
        if not isinstance(image, Tensor) or tuple(image.shape) not in ((3, size, size), (1, 3, size, size)):
            got = tuple(image.shape) if isinstance(image, Tensor) else type(image).__name__
            raise InputError("image", f"explain draws the painting: pass its pixels [3, {size}, {size}], got {got}")
        image = image.reshape(1, 3, size, size)
        maps, intensities = self.modulation_maps(image, mel)
        preprocess = self.pretrained_cfg.preprocess
        mean = torch.tensor(preprocess.get("mean", [0.5] * 3)).view(3, 1, 1)
        std = torch.tensor(preprocess.get("std", [0.5] * 3)).view(3, 1, 1)
        rgb = (image[0].detach().cpu().float() * std + mean).clamp(0, 1)
        return write_modulation_png(path, rgb, maps, intensities)


def _lite0_backbone() -> nn.Module:
    """The frozen ImageNet EfficientNet-Lite0 feature map extractor (imported here: timm loads slowly)."""
    from affectzoo.backbones import efficientnet_lite0

    return efficientnet_lite0(pretrained=True, pooled=False, frozen=True)


def _load_reference(path: str, variant: str) -> MPJudgeNet:
    from affectzoo._factory import load

    model = load(path)
    if not isinstance(model, MPJudge):
        raise InputError(path, f"reference_checkpoint must hold an MPJudge model, it holds {type(model).__name__}")
    if model.hparams.variant != variant:
        raise InputError(path, f"reference_checkpoint holds the {model.hparams.variant!r} variant; "
                               f"this model is {variant!r}")
    return model.net


# --------------------------------------------------------------------------------------- explanation


def write_modulation_png(path: str | os.PathLike, rgb: Tensor, maps: Tensor, intensities: Tensor) -> Path:
    """PNG of a painting ``rgb`` ``[3, H, W]`` in [0, 1] beside its first- and last-layer modulation maps.

    Each map ``[g, g]`` is upsampled bilinearly over the painting and coloured from its own minimum
    to its maximum (the reference code's overlay does the same); the panel titles give the layer
    intensities. Written atomically with matplotlib's Agg canvas.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    height, width = rgb.shape[-2:]
    picture = rgb.permute(1, 2, 0).numpy()
    figure = Figure(figsize=(9.6, 3.4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, 3)
    axes[0].imshow(picture)
    axes[0].set_title("painting")
    last = len(maps) - 1
    for axis, layer in zip(axes[1:], (0, last)):
        axis.imshow(picture)
        overlay = axis.imshow(maps[layer].numpy(), cmap="inferno", alpha=0.55, interpolation="bilinear",
                              extent=(0, width, height, 0))
        figure.colorbar(overlay, ax=axis, fraction=0.046, pad=0.04)
        axis.set_title(f"layer {layer + 1}/{last + 1}: intensity {float(intensities[layer]):.3g}")
    for axis in axes:
        axis.set_axis_off()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    figure.savefig(tmp, format="png")
    os.replace(tmp, path)
    return path


# ------------------------------------------------------------------------------ reference checkpoints


def convert_official_state_dict(model_state_dict: Mapping[str, Tensor],
                                music_state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """The reference code's two state dicts (``MyModel``, ``Music``) as one ``mpjudge_official`` state dict.

    The parameter names are kept (``blocks.0.adain2.scale.weight``, ``encoder.0.weight``, ...) under
    the prefixes ``net.painting.`` and ``net.music.``; a ``module.`` prefix left by saving a DDP-wrapped
    module is dropped.
    """

    def strip(key: str) -> str:
        return key[len("module."):] if key.startswith("module.") else key

    state = {f"net.painting.{strip(k)}": v for k, v in model_state_dict.items()}
    state.update({f"net.music.{strip(k)}": v for k, v in music_state_dict.items()})
    return state


def load_official_checkpoint(model_path: str | os.PathLike, music_path: str | os.PathLike,
                             heads: int = 8) -> MPJudge:
    """``mpjudge_official`` with the reference code's saved weights (``best_model*.pt``, ``best_music_encoder*.pt``).

    Width, depth, image and patch size are read from the weights; the head count is not stored in
    them (8 in the reference code). Files are read with ``weights_only=True`` (no arbitrary pickles)
    and loaded strictly. Returns the model in eval mode.
    """
    from affectzoo._factory import create_model
    from affectzoo._hub import load_state_dict_strict

    def read(path) -> dict:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # torch raises UnpicklingError, RuntimeError, EOFError, OSError, ...
            raise CheckpointError(path, f"not a readable PyTorch state dict ({type(err).__name__}: {err})",
                                  "pass the .pt files the MPJudge reference code saves") from err
        if not isinstance(state, dict):
            raise CheckpointError(path, "does not hold a state dict", "pass the .pt files the reference code saves")
        return state

    state = convert_official_state_dict(read(model_path), read(music_path))
    for key, path in (("net.painting.pos_embed", model_path), ("net.painting.patch_embed.weight", model_path)):
        if key not in state:
            raise CheckpointError(path, f"no {key.split('.', 2)[2]!r}: not the reference MyModel state dict",
                                  "pass the painting model file first and the music encoder file second")
    tokens, width = state["net.painting.pos_embed"].shape[1:]
    patch_size = state["net.painting.patch_embed.weight"].shape[-1]
    depth = 1 + max(int(k.split(".")[3]) for k in state if k.startswith("net.painting.blocks."))
    model = create_model("mpjudge_official", width=int(width), depth=depth, heads=heads, patch_size=int(patch_size),
                         image_size=math.isqrt(int(tokens)) * int(patch_size))
    load_state_dict_strict(model, state, model_path)
    return model.eval()


# ------------------------------------------------------------------------------------------ registry


def _preprocess(image_size: int) -> dict:
    return {"image_size": image_size, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5],
            "sample_rate": 16000, "clip_seconds": 15.0, "mono": True, "n_fft": 1024, "hop_length": 512,
            "n_mels": 128, "scale": "log", "center": True}


_COMMON = {"paper": PAPER, "output_names": ["score"], "output_range": [0.0, 1.0]}
_PAPER_DESCRIPTION = "MPJudge paper configuration: music-conditioned ViT-512/16 at 256 px"

PAPER_ARGS = {"variant": "paper", "image_size": 256, "patch_size": 16, "width": 512, "depth": 12, "heads": 8,
              "fusion": "man", "music_channels": [64, 128, 256, 512]}
SMALL_ARGS = {"variant": "paper", "image_size": 128, "patch_size": 16, "width": 192, "depth": 4, "heads": 3,
              "fusion": "man", "music_channels": [32, 64, 128, 192]}
LITE0_ARGS = {"variant": "lite0", "image_size": 192, "patch_size": LITE0_STRIDE, "width": 128, "depth": 3, "heads": 4,
              "fusion": "man", "music_channels": [16, 32, 64, 128], "music_pool": [4, 2]}
OFFICIAL_ARGS = {"variant": "official", "image_size": 256, "patch_size": 16, "width": 1024, "depth": 12, "heads": 8,
                 "fusion": "man"}


@register_model(family="mpjudge", cfgs={
    "paper": {"description": f"{_PAPER_DESCRIPTION}, MAN fusion, regression + DPO (untrained)",
              "preprocess": _preprocess(256), **_COMMON},
    "wo_dpo": {"model_args": {"use_dpo": False}, "preprocess": _preprocess(256), **_COMMON,
               "description": f"{_PAPER_DESCRIPTION}, trained without DPO (Table 3 ablation)"},
    "no_fusion": {"model_args": {"fusion": "none"}, "preprocess": _preprocess(256), **_COMMON,
                  "description": f"{_PAPER_DESCRIPTION}, painting-only baseline (Table 3 ablation)"},
    "concat": {"model_args": {"fusion": "concat"}, "preprocess": _preprocess(256), **_COMMON,
               "description": f"{_PAPER_DESCRIPTION}, concatenation fusion (Table 3 ablation)"},
    "cross_attention": {"model_args": {"fusion": "cross_attention"}, "preprocess": _preprocess(256), **_COMMON,
                        "description": f"{_PAPER_DESCRIPTION}, cross-attention fusion (Table 3 ablation)"},
})
def mpjudge(**kwargs) -> MPJudge:
    """MPJudge at the paper configuration (256 px, patch 16, width 512, 12 blocks, 8 heads, MAN)."""
    return MPJudge(**{**PAPER_ARGS, **kwargs})


@register_model(family="mpjudge", cfgs={
    "base": {"description": "MPJudge at a CPU-trainable shape: 128 px, width 192, 4 blocks, 3 heads, MAN "
                            "(no weights yet)", "preprocess": _preprocess(128), **_COMMON},
})
def mpjudge_small(**kwargs) -> MPJudge:
    """MPJudge at a CPU-trainable shape (128 px, patch 16, width 192, depth 4, 3 heads)."""
    return MPJudge(**{**SMALL_ARGS, **kwargs})


def _lite0_preprocess(image_size: int) -> dict:
    """Mel settings of the paper; image settings of EfficientNet-Lite0's own cfg (timm ``tf_efficientnet_lite0``)."""
    return {**_preprocess(image_size), "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "crop_pct": 0.875,
            "interpolation": "bicubic"}


@register_model(family="mpjudge", cfgs={
    "base": {"description": "MPJudge on frozen ImageNet EfficientNet-Lite0 tokens (192 px, 6 x 6) with 3 "
                            "trainable MAN blocks of width 128 and a small mel encoder (no weights: trained on "
                            "open-pairs it did not beat chance on held-out music, see docs/mpjudge.md)",
             "preprocess": _lite0_preprocess(LITE0_ARGS["image_size"]), **_COMMON},
})
def mpjudge_lite0(**kwargs) -> MPJudge:
    """MPJudge whose painting tokens are frozen ImageNet EfficientNet-Lite0 features (see the module docstring)."""
    return MPJudge(**{**LITE0_ARGS, **kwargs})


MUSICNN_ARGS = {**{k: v for k, v in LITE0_ARGS.items() if not k.startswith("music_")},
                "music_encoder": "musicnn", "va_heads": True, "va_prior": True}


def _musicnn_preprocess(image_size: int) -> dict:
    """Lite0's image settings; audio read at musicnn's 16 kHz, first 15 s (five 3-s patches)."""
    image = {k: v for k, v in _lite0_preprocess(image_size).items()
             if k in ("image_size", "mean", "std", "crop_pct", "interpolation")}
    return {**image, "sample_rate": 16000, "clip_seconds": 15.0, "mono": True,
            "music_features": "musicnn MTT_musicnn per 3-s patch: 200-d penultimate embedding + 50 tag probabilities"}


@register_model(family="mpjudge", cfgs={
    "open_pairs": {"description": "MPJudge for CPU training on open data: frozen ImageNet EfficientNet-Lite0 tokens "
                                  "(192 px, 6 x 6) with 3 trainable MAN blocks of width 128, conditioned on frozen "
                                  "musicnn (MagnaTagATune) patch features; auxiliary V/A heads and V/A prior; "
                                  "shipped weights trained on open-pairs",
                   "preprocess": _musicnn_preprocess(MUSICNN_ARGS["image_size"]), **_COMMON},
})
def mpjudge_lite0_musicnn(**kwargs) -> MPJudge:
    """MPJudge on two frozen pretrained encoders (Lite0 paintings, musicnn music) with V/A deep supervision."""
    return MPJudge(**{**MUSICNN_ARGS, **kwargs})


@register_model(family="mpjudge", cfgs={
    "reference": {
        "description": "MPJudge as in the authors' public code (width 1024, LayerNorm + AdaIN blocks, "
                       "spectrogram-image music encoder, raw head output)",
        "paper": PAPER,
        "preprocess": {"image_size": 256, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5],
                       "music_input": "mel spectrogram rendered as an RGB PNG (rendering not in the public code), "
                                      "resized to 256x256, normalised with mean=std=0.5",
                       "spectrogram_size": 256, "spectrogram_mean": [0.5, 0.5, 0.5],
                       "spectrogram_std": [0.5, 0.5, 0.5]},
        "output_names": ["score"],
        "output_range": None,
    },
})
def mpjudge_official(**kwargs) -> MPJudge:
    """MPJudge exactly as the reference code builds it (``MyModel`` + ``Music``, width 1024, 12 blocks)."""
    return MPJudge(**{**OFFICIAL_ARGS, **kwargs})
