"""MPJudge exactly as the authors' public code builds it, and a converter for their saved weights.

The reference code (``model_adain.py``: ``MyModel`` + ``Music``, github.com/Erinqi/MPJudge) differs
from the paper: width 1024, a LayerNorm that replaces the token stream before self-attention, an
AdaIN (the MAN layer, without residual) after it, a spectrogram *image* music encoder, and a raw
head output (no sigmoid; it regresses scores in [0, 1] with an L1 loss). Parameter names follow
the reference code so its state dicts load as they are (:func:`convert_official_state_dict`,
:func:`load_official_checkpoint`).
"""

from __future__ import annotations

import math
import os
from typing import Mapping

import torch
from torch import Tensor, nn

from affectzoo.errors import CheckpointError
from affectzoo.layers.man import MAN


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
                             heads: int = 8):
    """``mpjudge_official`` with the reference code's saved weights (``best_model*.pt``, ``best_music_encoder*.pt``).

    Width, depth, image and patch size are read from the weights; the head count is not stored in
    them (8 in the reference code). Files are read with ``weights_only=True`` (no arbitrary pickles)
    and loaded strictly. Returns the :class:`~affectzoo.models.mpjudge.MPJudge` in eval mode.
    """
    from affectzoo._checkpoint import load_state_dict_strict
    from affectzoo._factory import create_model

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
