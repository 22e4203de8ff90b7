"""The registered ImageMusic architectures and their tags.

Each tag's ``preprocess`` and parameter count come from the built model (the manifest generator
reads :meth:`ImageMusic.default_preprocess`), so they cannot drift from the code.
"""

from __future__ import annotations

from affectzoo._registry import register_model
from affectzoo.affect.scales import PAIR_VA_LABELS
from affectzoo.models.imagemusic.lightning_model import PAPER, ImageMusic
from affectzoo.models.imagemusic.va_model import ImageMusicVA

_RANDOM = "random-init frozen image backbone (seed 0: no ImageNet weights offline; pass image_weights=FILE)"


def _cfg(backbone: str, music_branch: str, description: str) -> dict:
    return {"model_args": {"image_backbone": backbone, "music_branch": music_branch}, "description": description,
            "paper": PAPER, "output_names": list(PAIR_VA_LABELS), "output_range": [-1.0, 1.0]}


@register_model(family="imagemusic", cfgs={
    "mobilenetv3": _cfg("mobilenetv3_large_100", "samplecnn",
                        f"ImageMusic paper model: MobileNetV3-Large + SampleCNN, {_RANDOM} (untrained)"),
    "resnet18": _cfg("resnet18", "samplecnn", f"ImageMusic paper model: ResNet-18 + SampleCNN, {_RANDOM} (untrained)"),
    "efficientnet_b4": _cfg("efficientnet_b4", "samplecnn",
                            f"ImageMusic paper model: EfficientNet-B4 + SampleCNN, {_RANDOM} (untrained)"),
})
def imagemusic(**kwargs) -> ImageMusic:
    """ImageMusic as in the paper: frozen ImageNet CNN + SampleCNN, fused, four V/A outputs."""
    return ImageMusic(**{"image_backbone": "mobilenetv3_large_100", "music_branch": "samplecnn", **kwargs})


@register_model(family="imagemusic", cfgs={
    "musicnn": _cfg("tf_efficientnet_lite0", "musicnn",
                    "ImageMusic on ImageNet EfficientNet-Lite0 (frozen) + frozen MagnaTagATune musicnn features; "
                    "shipped weights trained on open-pairs"),
    "samplecnn": _cfg("tf_efficientnet_lite0", "samplecnn",
                      "ImageMusic on ImageNet EfficientNet-Lite0 (frozen) + SampleCNN from scratch (no weights yet)"),
})
def imagemusic_lite0(**kwargs) -> ImageMusic:
    """ImageMusic with the offline ImageNet EfficientNet-Lite0 image branch."""
    return ImageMusic(**{"image_backbone": "tf_efficientnet_lite0", "music_branch": "musicnn", **kwargs})


@register_model(family="imagemusic", cfgs={
    "open": {"description": "ImageMusic open-data V/A model: per-modality V/A heads on frozen encoders (ImageNet "
                            "EfficientNet-Lite, colour statistics; musicnn taggers, audio statistics), trained on every "
                            "labelled open source",
             "paper": PAPER, "output_names": ["valence", "arousal"], "output_range": [-1.0, 1.0],
             # the design of recipes/imagemusic_va_open.yaml, chosen by the transfer study (docs/va_transfer.md)
             "model_args": {"image_encoders": ["tf_efficientnet_lite2", "colour-statistics"],
                            "image_views": ["center", "flip", "full", "full_flip"],
                            "music_encoders": ["MTT_musicnn", "audio-statistics"],
                            "clip_seconds": 30.0, "music_patches": 3, "head_init": "zero",
                            "music_arousal": "tag-vote", "vote_max_tags": 1}},
})
def imagemusic_va(**kwargs) -> ImageMusicVA:
    """ImageMusic's open-data V/A model (each modality's own V/A head; see ``va_model``)."""
    return ImageMusicVA(**kwargs)
