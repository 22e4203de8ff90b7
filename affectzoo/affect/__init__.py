"""Affect representations: valence/arousal scales and labels (``scales``), affect similarity
(``similarity``), Russell emotion vectors (``russell``), colour science and the colour-emotion model."""

from affectzoo.affect.scales import (
    PAIR_VA_LABELS,
    QUADRANT_SIGNS,
    from_1_to_7,
    from_1_to_9,
    from_unit,
    quadrant_signs,
    rescale,
    rescale_spread,
    spread_from_1_to_7,
    spread_from_1_to_9,
    spread_from_unit,
)
from affectzoo.affect.similarity import affect_similarity

__all__ = [
    "PAIR_VA_LABELS",
    "QUADRANT_SIGNS",
    "affect_similarity",
    "from_1_to_7",
    "from_1_to_9",
    "from_unit",
    "quadrant_signs",
    "rescale",
    "rescale_spread",
    "spread_from_1_to_7",
    "spread_from_1_to_9",
    "spread_from_unit",
]
