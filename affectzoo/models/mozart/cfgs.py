"""The registered Mozart architecture and its tags (parameters and preprocessing come from the built model)."""

from __future__ import annotations

from affectzoo._registry import register_model
from affectzoo.models.mozart.lightning_model import PAPER, Mozart
from affectzoo.models.mozart.salieri import Salieri


@register_model(family="mozart", cfgs={
    "open": {"description": "Mozart projection head (Yilma & Leiva): per-modality autoencoders on frozen encoders "
                            "(musicnn MTT + audio statistics; EfficientNet-Lite2 + colour statistics) and an "
                            "affect-contrastive joint space; paintings recommended from music ratings",
             "paper": PAPER, "output_names": [f"z{i}" for i in range(128)], "output_range": None},
})
def mozart(**kwargs) -> Mozart:
    """Mozart's autoencoders, scaling and projection head (see ``lightning_model``)."""
    return Mozart(**kwargs)


@register_model(family="salieri", cfgs={
    "open": {"description": "Salieri (Yilma & Leiva): Mozart whose autoencoders also read a sentence embedding "
                            "(all-MiniLM-L6-v2, packaged) of each item's description (the user's, or a template of "
                            "V/A words); paintings recommended from music ratings",
             "paper": PAPER, "output_names": [f"z{i}" for i in range(128)], "output_range": None},
})
def salieri(**kwargs) -> Salieri:
    """Salieri: Mozart's pipeline on ``[features, description embedding]`` (see ``salieri.py``)."""
    return Salieri(**kwargs)
