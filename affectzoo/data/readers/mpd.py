"""Readers for MPD, the music-painting dataset of MPJudge (Jiang et al., AAAI 2026).

Scored pairs
------------
As the MPJudge reference code reads them (``dataset.py`` of github.com/Erinqi/MPJudge: ``json.load``,
then ``item["image_path"]``, ``item["audio_path"]``, ``item["score"]``): a JSON list of objects
``{"image_path": ..., "audio_path": ..., "score": ...}``. The score is the expert coherence rating
in [0, 1] (the reference code trains an L1 regressor on it and rounds it to one decimal when
loading; the reader keeps it unrounded).

Preference pairs (layout of this project)
-----------------------------------------
MPD also has pairwise preferences: for one query (a music clip or a painting) two candidates of
the other modality, one preferred. No file layout is published, so affectzoo reads this one::

    [
      {"audio_path": "music/017.mp3", "chosen": "paintings/a.jpg", "rejected": "paintings/b.jpg"},
      {"image_path": "paintings/c.jpg", "chosen": "music/003.mp3", "rejected": "music/009.mp3",
       "id": "optional-id"}
    ]

Each entry has exactly one of ``audio_path`` / ``image_path`` (the query, whose key names its
modality) and ``chosen`` / ``rejected`` (files of the other modality); ``id`` is optional.

In both files a relative path is taken relative to the JSON file's folder (the reference code
resolves them against its working directory); absolute paths are kept.
"""

from __future__ import annotations

import os
from numbers import Real
from pathlib import Path
from typing import Any

import pandas as pd

from affectzoo.data.readers._common import load_json, media_path, unique_ids
from affectzoo.errors import InputError

QUERY_KEYS = {"audio_path": "audio", "image_path": "image"}


def read_mpd_pairs(path: str | os.PathLike) -> pd.DataFrame:
    """MPD scored music-painting pairs, one row per JSON entry.

    Columns: ``id`` (the entry's position in the list, as text), ``image_path``, ``audio_path``
    (absolute), ``score`` (from ``score``, in [0, 1]).
    """
    path = Path(path).expanduser()
    rows = []
    for number, entry in _entries(path):
        _require_keys(entry, ("image_path", "audio_path", "score"), path, number)
        score = entry["score"]
        if isinstance(score, bool) or not isinstance(score, Real) or not 0 <= score <= 1:
            raise InputError(path, f"entry {number}: score should be a number in [0, 1], got {score!r}")
        rows.append({"id": str(number), "image_path": _path(entry, "image_path", path, number),
                     "audio_path": _path(entry, "audio_path", path, number), "score": float(score)})
    return pd.DataFrame(rows)


def read_mpd_preferences(path: str | os.PathLike) -> pd.DataFrame:
    """MPD preference pairs in the layout of the module docstring, one row per JSON entry.

    Columns: ``id`` (``id`` when given, else the entry's position), ``query_modality`` ("audio" or
    "image"), ``query_path``, ``chosen_path``, ``rejected_path`` (absolute).
    """
    path = Path(path).expanduser()
    rows = []
    for number, entry in _entries(path):
        queries = [key for key in QUERY_KEYS if key in entry]
        if len(queries) != 1:
            raise InputError(path, f"entry {number}: needs exactly one of 'audio_path' / 'image_path' "
                                   f"(the query), found {len(queries)}")
        _require_keys(entry, ("chosen", "rejected"), path, number)
        rows.append({"id": str(entry.get("id", number)), "query_modality": QUERY_KEYS[queries[0]],
                     "query_path": _path(entry, queries[0], path, number),
                     "chosen_path": _path(entry, "chosen", path, number),
                     "rejected_path": _path(entry, "rejected", path, number)})
    frame = pd.DataFrame(rows)
    unique_ids(frame["id"], path, "id")
    return frame


def _entries(path: Path) -> list[tuple[int, dict[str, Any]]]:
    data = load_json(path)
    if not isinstance(data, list) or not data:
        raise InputError(path, "should be a non-empty JSON list of objects")
    for number, entry in enumerate(data):
        if not isinstance(entry, dict):
            raise InputError(path, f"entry {number} is not a JSON object")
    return list(enumerate(data))


def _require_keys(entry: dict[str, Any], keys: tuple[str, ...], path: Path, number: int) -> None:
    missing = [key for key in keys if key not in entry]
    if missing:
        raise InputError(path, f"entry {number} lacks {', '.join(map(repr, missing))}")


def _path(entry: dict[str, Any], key: str, path: Path, number: int) -> str:
    value = entry[key]
    if not isinstance(value, str) or not value.strip():
        raise InputError(path, f"entry {number}: {key} should be a non-empty path string, got {value!r}")
    return media_path(path.parent, value.strip())
