"""Affect representations. Re-exports the valence-arousal scale conversions of ``affectzoo.affect.scales``."""

from affectzoo.affect.scales import (
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

__all__ = [
    "QUADRANT_SIGNS",
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
