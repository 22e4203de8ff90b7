"""The registered Mozart architecture and its tags (parameters and preprocessing come from the built model)."""

from __future__ import annotations

from affectzoo._registry import register_model
from affectzoo.models.mozart.lightning_model import PAPER, Mozart


@register_model(family="mozart", cfgs={
    "open": {"description": "Mozart projection head (Yilma & Leiva): per-modality autoencoders on frozen encoders "
                            "(musicnn MTT + audio statistics; EfficientNet-Lite2 + colour statistics) and an "
                            "affect-contrastive joint space; paintings recommended from music ratings",
             "paper": PAPER, "output_names": [f"z{i}" for i in range(128)], "output_range": None},
})
def mozart(**kwargs) -> Mozart:
    """Mozart's autoencoders, scaling and projection head (see ``lightning_model``)."""
    return Mozart(**kwargs)
