"""Valence/arousal scale conversions: every dataset's rating scale onto the package's [-1, 1].

Inside affectzoo valence and arousal are always in [-1, 1] (DESIGN.md). Each published dataset
rates on its own scale, so each reader converts at load with one of the named functions below:

==================  ===============  ==================
scale               function         datasets
==================  ===============  ==================
1..7 (Likert)       ``from_1_to_7``  OASIS: (x - 4) / 3
1..9 (SAM)          ``from_1_to_9``  DEAM, 1000-Songs, BASS: (x - 5) / 4
0..1                ``from_unit``    PMEmo, IMEMNet-C, NRC VAD lexicon: 2x - 1
==================  ===============  ==================

Standard deviations are spreads, not positions: they are multiplied by the same slope and not
shifted (``spread_from_1_to_9`` etc.). The functions are plain arithmetic, so they work on floats,
NumPy arrays, pandas Series and torch tensors alike.
"""

from __future__ import annotations

from typing import TypeVar

Values = TypeVar("Values")

#: The four V/A labels of a (image, music) pair, each side's own ratings in [-1, 1], in this order:
#: the batch keys of open-pairs with ``item_va`` and the outputs of pair models' V/A heads.
PAIR_VA_LABELS = ("image_valence", "image_arousal", "music_valence", "music_arousal")

QUADRANT_SIGNS: dict[str, tuple[int, int]] = {
    "Q1": (1, 1),    # high valence, high arousal
    "Q2": (-1, 1),   # low valence, high arousal
    "Q3": (-1, -1),  # low valence, low arousal
    "Q4": (1, -1),   # high valence, low arousal
}
"""Russell quadrant -> (valence sign, arousal sign), as EMOPIA labels its clips."""


def rescale(values: Values, low: float, high: float) -> Values:
    """Map ``[low, high]`` linearly onto ``[-1, 1]`` (low -> -1, midpoint -> 0, high -> +1)."""
    return (values - (low + high) / 2) / ((high - low) / 2)


def rescale_spread(values: Values, low: float, high: float) -> Values:
    """Convert a spread (SD, CI half-width) measured on ``[low, high]`` to the [-1, 1] scale."""
    return values / ((high - low) / 2)


def from_1_to_7(values: Values) -> Values:
    """1..7 ratings (OASIS) to [-1, 1]: (x - 4) / 3."""
    return rescale(values, 1, 7)


def from_1_to_9(values: Values) -> Values:
    """1..9 ratings (DEAM, 1000-Songs, BASS) to [-1, 1]: (x - 5) / 4."""
    return rescale(values, 1, 9)


def from_unit(values: Values) -> Values:
    """0..1 scores (PMEmo, IMEMNet-C, NRC VAD lexicon) to [-1, 1]: 2x - 1."""
    return rescale(values, 0, 1)


def spread_from_1_to_7(values: Values) -> Values:
    """A spread on the 1..7 scale, on the [-1, 1] scale: x / 3."""
    return rescale_spread(values, 1, 7)


def spread_from_1_to_9(values: Values) -> Values:
    """A spread on the 1..9 scale, on the [-1, 1] scale: x / 4."""
    return rescale_spread(values, 1, 9)


def spread_from_unit(values: Values) -> Values:
    """A spread on the 0..1 scale, on the [-1, 1] scale: 2x."""
    return rescale_spread(values, 0, 1)


def quadrant_signs(quadrant: str) -> tuple[int, int]:
    """(valence, arousal) signs of a Russell quadrant name ``Q1``..``Q4``; KeyError otherwise."""
    return QUADRANT_SIGNS[quadrant]
