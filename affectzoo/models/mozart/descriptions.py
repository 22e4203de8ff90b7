"""Text descriptions of music and paintings for Salieri: the user's own, or a template from V/A words.

The paper describes every item with GPT-4o. Offline there is no such model, so an item is described
by the text a user supplies (a table of paths and descriptions) or else by a template that puts
its valence and arousal into words on five levels each ("music that sounds very calm and
pleasant"). Training items are described from their labels, a user's items from the V/A
predictor's output, by the same template.
"""

from __future__ import annotations

import csv
from pathlib import Path

from affectzoo.errors import InputError

#: Upper bounds of the levels on [-1, 1] and their words (the last level is open above).
LEVELS = (-0.6, -0.2, 0.2, 0.6)
VALENCE_WORDS = ("very unpleasant", "unpleasant", "neither pleasant nor unpleasant", "pleasant", "very pleasant")
AROUSAL_WORDS = ("very calm", "calm", "moderately lively", "energetic", "very intense and energetic")
_SUBJECT = {"music": "music that sounds", "image": "a painting that feels"}
PATH_COLUMNS = ("path", "audio_path", "image_path")


def _level(value: float) -> int:
    return sum(value > bound for bound in LEVELS)


def describe(side: str, valence: float, arousal: float) -> str:
    """The template description of an item of ``side`` (``"music"`` or ``"image"``) at ``(valence, arousal)``."""
    if side not in _SUBJECT:
        raise ValueError(f"side must be 'music' or 'image', got {side!r}")
    return f"{_SUBJECT[side]} {AROUSAL_WORDS[_level(float(arousal))]} and {VALENCE_WORDS[_level(float(valence))]}"


def read_descriptions(source) -> dict[str, str]:
    """``{path: description}`` from a dict, or a CSV with a path column (``path``, ``audio_path`` or
    ``image_path``) and a ``description`` column; paths as written in the table."""
    if source is None:
        return {}
    if isinstance(source, dict):
        return {str(path): str(text) for path, text in source.items()}
    path = Path(source)
    if not path.is_file():
        raise InputError(path, "no such descriptions file")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    columns = rows[0].keys() if rows else ()
    key = next((c for c in PATH_COLUMNS if c in columns), None)
    if key is None or "description" not in columns:
        raise InputError(path, f"needs a path column ({', '.join(PATH_COLUMNS)}) and a 'description' column")
    return {row[key]: row["description"] for row in rows if row[key] and row["description"]}


class DescriptionLookup:
    """Descriptions read once (:func:`read_descriptions`) and found by path as written or resolved."""

    def __init__(self, source) -> None:
        self.table = read_descriptions(source)
        self.resolved = {str(Path(path).resolve()): text for path, text in self.table.items()}

    def get(self, path) -> str | None:
        return self.table.get(str(path), self.resolved.get(str(Path(path).resolve())))


def description_lookup(source) -> DescriptionLookup | None:
    """``source`` as a :class:`DescriptionLookup` (None stays None; a lookup is returned as it is)."""
    if source is None or isinstance(source, DescriptionLookup):
        return source
    return DescriptionLookup(source)
