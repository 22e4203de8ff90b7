"""The registered Music2Palette architecture and its tags."""

from __future__ import annotations

from affectzoo._registry import register_model
from affectzoo.models.music2palette.lightning_model import PAPER, Music2Palette


@register_model(family="music2palette", cfgs={
    "open": {"description": "Music2Palette (Hu et al.): 539-d librosa frame features, an AST-style encoder, noise "
                            "augmentation and a Transformer colour decoder with a stop token; 3-5 colour palettes "
                            "that carry the music's emotion",
             "paper": PAPER, "output_names": ["L", "a", "b"], "output_range": None},
})
def music2palette(**kwargs) -> Music2Palette:
    """Music2Palette's encoder and colour decoder (see ``lightning_model``)."""
    return Music2Palette(**kwargs)
