"""The registered MPJudge architectures and their tags.

Each tag's ``preprocess`` and parameter count are not written here: the manifest generator takes
them from the built model (:meth:`MPJudge.default_preprocess`), so they cannot drift from the code.
"""

from __future__ import annotations

from affectzoo._registry import register_model
from affectzoo.models.mpjudge.lightning_model import LITE0_STRIDE, PAPER, MPJudge

_COMMON = {"paper": PAPER, "output_names": ["score"], "output_range": [0.0, 1.0]}
_PAPER_DESCRIPTION = "MPJudge paper configuration: music-conditioned ViT-512/16 at 256 px"

PAPER_ARGS = {"variant": "paper", "image_size": 256, "patch_size": 16, "width": 512, "depth": 12, "heads": 8,
              "fusion": "man", "music_channels": [64, 128, 256, 512]}
SMALL_ARGS = {"variant": "paper", "image_size": 128, "patch_size": 16, "width": 192, "depth": 4, "heads": 3,
              "fusion": "man", "music_channels": [32, 64, 128, 192]}
LITE0_ARGS = {"variant": "lite0", "image_size": 192, "patch_size": LITE0_STRIDE, "width": 128, "depth": 3, "heads": 4,
              "fusion": "man", "music_channels": [16, 32, 64, 128], "music_pool": [4, 2]}
MUSICNN_ARGS = {**{k: v for k, v in LITE0_ARGS.items() if not k.startswith("music_")},
                "music_encoder": "musicnn", "va_heads": True, "va_prior": True}
OFFICIAL_ARGS = {"variant": "official", "image_size": 256, "patch_size": 16, "width": 1024, "depth": 12, "heads": 8,
                 "fusion": "man"}


@register_model(family="mpjudge", cfgs={
    "paper": {"description": f"{_PAPER_DESCRIPTION}, MAN fusion, regression + DPO (untrained)", **_COMMON},
    "wo_dpo": {"model_args": {"use_dpo": False}, **_COMMON,
               "description": f"{_PAPER_DESCRIPTION}, trained without DPO (Table 3 ablation)"},
    "no_fusion": {"model_args": {"fusion": "none"}, **_COMMON,
                  "description": f"{_PAPER_DESCRIPTION}, painting-only baseline (Table 3 ablation)"},
    "concat": {"model_args": {"fusion": "concat"}, **_COMMON,
               "description": f"{_PAPER_DESCRIPTION}, concatenation fusion (Table 3 ablation)"},
    "cross_attention": {"model_args": {"fusion": "cross_attention"}, **_COMMON,
                        "description": f"{_PAPER_DESCRIPTION}, cross-attention fusion (Table 3 ablation)"},
})
def mpjudge(**kwargs) -> MPJudge:
    """MPJudge at the paper configuration (256 px, patch 16, width 512, 12 blocks, 8 heads, MAN)."""
    return MPJudge(**{**PAPER_ARGS, **kwargs})


@register_model(family="mpjudge", cfgs={
    "base": {"description": "MPJudge at a CPU-trainable shape: 128 px, width 192, 4 blocks, 3 heads, MAN "
                            "(no weights yet)", **_COMMON},
})
def mpjudge_small(**kwargs) -> MPJudge:
    """MPJudge at a CPU-trainable shape (128 px, patch 16, width 192, depth 4, 3 heads)."""
    return MPJudge(**{**SMALL_ARGS, **kwargs})


@register_model(family="mpjudge", cfgs={
    "base": {"description": "MPJudge on frozen ImageNet EfficientNet-Lite0 tokens (192 px, 6 x 6) with 3 "
                            "trainable MAN blocks of width 128 and a small mel encoder (no weights: trained on "
                            "open-pairs it did not beat chance on held-out music, see docs/mpjudge.md)", **_COMMON},
})
def mpjudge_lite0(**kwargs) -> MPJudge:
    """MPJudge whose painting tokens are frozen ImageNet EfficientNet-Lite0 features."""
    return MPJudge(**{**LITE0_ARGS, **kwargs})


@register_model(family="mpjudge", cfgs={
    "open_pairs": {"description": "MPJudge for CPU training on open data: frozen ImageNet EfficientNet-Lite0 tokens "
                                  "(192 px, 6 x 6) with 3 trainable MAN blocks of width 128, conditioned on frozen "
                                  "musicnn (MagnaTagATune) patch features; auxiliary V/A heads and V/A prior; "
                                  "shipped weights trained on open-pairs", **_COMMON},
    "open_pairs_prior": {"description": "MPJudge for CPU training on open data (as open_pairs) plus a frozen prior: "
                                        "the V/A-distance compositions of imagemusic_va.open's and "
                                        "imagemusic_lite0.musicnn's predicted V/A enter the score's logit with "
                                        "learned weights; MAN fusion and DPO learn a correction; shipped weights "
                                        "trained on open-pairs",
                         "model_args": {"prior_model": ["imagemusic_va.open", "imagemusic_lite0.musicnn"]},
                         **_COMMON},
})
def mpjudge_lite0_musicnn(**kwargs) -> MPJudge:
    """MPJudge on two frozen pretrained encoders (Lite0 paintings, musicnn music) with V/A deep supervision."""
    return MPJudge(**{**MUSICNN_ARGS, **kwargs})


@register_model(family="mpjudge", cfgs={
    "reference": {"description": "MPJudge as in the authors' public code (width 1024, LayerNorm + AdaIN blocks, "
                                 "spectrogram-image music encoder, raw head output)",
                  "paper": PAPER, "output_names": ["score"], "output_range": None},
})
def mpjudge_official(**kwargs) -> MPJudge:
    """MPJudge exactly as the reference code builds it (``MyModel`` + ``Music``, width 1024, 12 blocks)."""
    return MPJudge(**{**OFFICIAL_ARGS, **kwargs})
