"""Reader for EMID, the Emotionally paired Music and Image Dataset (github.com/ecnu-aigc/EMID).

``EMID_data.csv`` columns, as documented in the release README ("Data Fields"):

* ``Audio_Filename``: the music clip's file name, e.g. ``106.m4a___172.mp3``;
* ``genre``: a letter A..M, one of the 13 music-feeling categories of Cowen et al. (PNAS 2020);
* ``feeling``: the feelings listeners reported with their shares, e.g. ``"33% Sad, depressing,
  22% Awe-inspiring, amazing, ..."`` (labels themselves contain commas);
* ``emotion``: ratings on 11 affective dimensions, 1..9, e.g. ``"5,5.3,5,6,3.1,6.1,5.1,3.6,6.2,5.9,5.6"``;
* ``Image{1,2,3}_filename`` (e.g. ``excitement_0616.jpg``), ``Image{k}_tag`` (its Mikels emotion),
  ``Image{k}_text`` (a GIT caption written as a Python list literal, ``['the marching band ...']``);
* ``is_original_clip``: ``True`` for the 1,836 original clips, ``False`` for the expanded ones.

The README does not say which of the 11 ``emotion`` numbers is valence or arousal, so the reader
gives no ``valence``/``arousal``: it keeps the 11 ratings as ``emotion_ratings`` (as published,
1..9) and leaves the naming to a caller who knows the order. Not verified against a real file: the
CSV is not in the project's shared data, so the reader follows the README's field list.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pandas as pd

from affectzoo.data.readers._common import find_file, media_path, read_table, unique_ids
from affectzoo.errors import InputError

IMAGES_PER_CLIP = 3
N_EMOTION_RATINGS = 11
_FEELING = re.compile(r"(\d+(?:\.\d+)?)%\s*(.*?)\s*(?=,\s*\d+(?:\.\d+)?%|$)")


def read_emid(path: str | os.PathLike, audio_dir: str | os.PathLike | None = None,
              image_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """EMID music-image pairs, one row per (clip, paired image): three rows per clip.

    ``path`` is ``EMID_data.csv`` or its folder. ``audio_dir`` holds the clips under their
    ``Audio_Filename`` and defaults to ``music`` beside the CSV; ``image_dir`` defaults to
    ``images``. An image is looked for as ``<image_dir>/<tag>/<filename>`` (the per-emotion folders
    of the source image set) and otherwise given as ``<image_dir>/<filename>``.

    Columns: ``id`` (``<Audio_Filename>#<k>``), ``clip_id`` (``Audio_Filename``), ``pair`` (k = 1..3),
    ``audio_path``, ``image_path``, ``image_tag``, ``image_text`` (the caption list joined by
    spaces), ``genre``, ``feelings`` (dict label -> share in [0, 1], from ``feeling``),
    ``emotion_ratings`` (tuple of 11 floats, from ``emotion``), ``is_original_clip`` (bool).
    An empty ``genre``, ``feeling`` or ``emotion`` cell reads as None (files made by the EMID
    construction pipeline, :mod:`affectzoo.models.emi_adapter.pairing`, cannot know them); a
    non-empty malformed one raises.
    """
    csv_path = find_file(path, ["EMID_data.csv"], "EMID_data.csv")
    audio_dir = Path(audio_dir) if audio_dir is not None else csv_path.parent / "music"
    image_dir = Path(image_dir) if image_dir is not None else csv_path.parent / "images"
    image_columns = [f"Image{k}_{field}" for k in range(1, IMAGES_PER_CLIP + 1)
                     for field in ("filename", "tag", "text")]
    table = read_table(csv_path, ["Audio_Filename", "genre", "feeling", "emotion", *image_columns, "is_original_clip"])
    unique_ids(table["Audio_Filename"], csv_path, "Audio_Filename")
    rows = []
    for number, record in enumerate(table.to_dict("records"), start=1):
        clip = {
            "clip_id": record["Audio_Filename"],
            "audio_path": media_path(audio_dir, record["Audio_Filename"]),
            "genre": _unless_empty(_genre, record["genre"], csv_path, number),
            "feelings": _unless_empty(parse_feelings, record["feeling"], csv_path, number),
            "emotion_ratings": _unless_empty(_ratings, record["emotion"], csv_path, number),
            "is_original_clip": _flag(record["is_original_clip"], csv_path, number),
        }
        for k in range(1, IMAGES_PER_CLIP + 1):
            name, tag = record[f"Image{k}_filename"], record[f"Image{k}_tag"]
            rows.append({"id": f"{clip['clip_id']}#{k}", "clip_id": clip["clip_id"], "pair": k,
                         "audio_path": clip["audio_path"], "image_path": _image_file(image_dir, tag, name),
                         "image_tag": tag, "image_text": caption_text(record[f"Image{k}_text"]),
                         **{key: clip[key] for key in ("genre", "feelings", "emotion_ratings", "is_original_clip")}})
    return pd.DataFrame(rows)


def parse_feelings(text: str, path: str | os.PathLike = "EMID_data.csv", row: int = 0) -> dict[str, float]:
    """``"33% Sad, depressing, 22% Dreamy"`` -> ``{"Sad, depressing": 0.33, "Dreamy": 0.22}``."""
    feelings = {label: float(share) / 100 for share, label in _FEELING.findall(text)}
    if not feelings or any(not label for label in feelings):
        raise InputError(path, f"feeling at data row {row} is not '<n>% <label>, ...': {text!r}")
    return feelings


def caption_text(text: str) -> str:
    """A GIT caption cell (a Python list literal of strings) as plain text; other text unchanged."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return " ".join(value)
    return text


def _unless_empty(parse, text: str, path: Path, row: int):
    """``parse(text, path, row)``, or None for an empty cell (a field the file does not know)."""
    return None if text == "" else parse(text, path, row)


def _ratings(text: str, path: Path, row: int) -> tuple[float, ...]:
    try:
        ratings = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise InputError(path, f"emotion at data row {row} is not comma-separated numbers: {text!r}") from None
    if len(ratings) != N_EMOTION_RATINGS or not all(1 <= value <= 9 for value in ratings):
        raise InputError(path, f"emotion at data row {row} should be {N_EMOTION_RATINGS} ratings in 1..9, got {text!r}")
    return ratings


def _genre(text: str, path: Path, row: int) -> str:
    if len(text) != 1 or not "A" <= text <= "M":
        raise InputError(path, f"genre at data row {row} should be a letter A..M, got {text!r}")
    return text


def _flag(text: str, path: Path, row: int) -> bool:
    if text.lower() not in ("true", "false"):
        raise InputError(path, f"is_original_clip at data row {row} should be True or False, got {text!r}")
    return text.lower() == "true"


def _image_file(folder: Path, tag: str, name: str) -> str:
    nested = media_path(folder / tag, name)
    return nested if os.path.isfile(nested) else media_path(folder, name)
