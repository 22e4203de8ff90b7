"""Readers for IMEMNet (Zhao et al., ACM MM 2020) music-image matching pairs and IMEMNet-C image V/A.

IMEMNet (github.com/linkAmy/IMEMNet): ``{train,val,test}_matching.txt``, one pair per line,
space-separated, no header: ``music_clip_id image_id matching_score`` (e.g. ``1967-11
COCO_train2014_000000318807 0.8757995366765425``). A clip id is ``<DEAM song id>-<clip index>``,
a 2-s clip of that DEAM song; the clips are distributed as ``<music_clip_id>.wav``. Images come
from IAPS, NAPS and EMOTIC and are named ``<image_id>.jpg``. The published files repeat a few
lines verbatim (9 in ``test_matching.txt``, 7 in ``val_matching.txt``); such exact repeats are
read once, while a pair listed twice with different scores raises ``InputError``.

IMEMNet-C (github.com/schoi828/IMEMNet-C) ``image_va.csv``: ``,img,valence,arousal`` (an unnamed
row-number column first), V/A normalised to [0, 1]; an image id is its file name without
``.jpg``/``.JPG``. The published file gives 8 image ids two or three different labels (22 rows;
IAPS numbers such as ``2352``, most likely with variants like ``2352.1`` that lost their suffix):
they are kept and flagged ``ambiguous``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from affectzoo.affect.scales import from_unit
from affectzoo.data.readers._common import find_file, media_path, numeric, read_table
from affectzoo.errors import InputError

_PAIR_COLUMNS = ["music_clip_id", "image_id", "score"]


def read_imemnet_pairs(path: str | os.PathLike, image_dir: str | os.PathLike | None = None,
                       audio_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """IMEMNet music-image pairs with their matching score in [0, 1].

    ``path`` is a ``<split>_matching.txt`` file, or a folder whose ``*_matching.txt`` files are
    all read. ``image_dir`` (``<image_id>.jpg``) and ``audio_dir`` (``<music_clip_id>.wav``)
    default to ``images`` and ``clips`` beside the pair files.

    Columns: ``id`` (``<split>/<music_clip_id>|<image_id>``), ``split`` (the file name before
    ``_matching``), ``music_clip_id``, ``song_id`` and ``clip_index`` (the two parts of the clip
    id), ``image_id``, ``audio_path``, ``image_path``, ``score`` (third field, as published: a
    matching score, not a valence/arousal value).
    """
    path = Path(path).expanduser()
    files = sorted(path.glob("*_matching.txt")) if path.is_dir() else [path]
    if not files:
        raise InputError(path, "no *_matching.txt file in this folder")
    folder = path if path.is_dir() else path.parent
    image_dir = Path(image_dir) if image_dir is not None else folder / "images"
    audio_dir = Path(audio_dir) if audio_dir is not None else folder / "clips"
    frame = pd.concat([_read_pairs(file) for file in files], ignore_index=True)
    frame["audio_path"] = [media_path(audio_dir, f"{clip}.wav") for clip in frame["music_clip_id"]]
    frame["image_path"] = [media_path(image_dir, f"{image}.jpg") for image in frame["image_id"]]
    return frame[["id", "split", "music_clip_id", "song_id", "clip_index", "image_id", "audio_path",
                  "image_path", "score"]]


def _read_pairs(path: Path) -> pd.DataFrame:
    table = read_table(path, header=False, names=_PAIR_COLUMNS, sep=" ")
    parts = table["music_clip_id"].str.fullmatch(r"(\d+)-(\d+)")
    if not parts.all():
        row = int((~parts).to_numpy().argmax()) + 1
        raise InputError(path, f"music clip id {table['music_clip_id'].iloc[row - 1]!r} at line {row} "
                               "is not <song id>-<clip index>")
    score = numeric(table, "score", path, low=0, high=1)
    pairs = pd.DataFrame({"music_clip_id": table["music_clip_id"], "image_id": table["image_id"], "score": score})
    pairs = pairs.drop_duplicates(ignore_index=True)
    conflicting = pairs.duplicated(["music_clip_id", "image_id"])
    if conflicting.any():
        clip, image = pairs.loc[conflicting, ["music_clip_id", "image_id"]].iloc[0]
        raise InputError(path, f"the pair {clip} {image} is listed twice with different scores")
    split = path.name.removesuffix(".txt").removesuffix("_matching")
    song_clip = pairs["music_clip_id"].str.split("-", expand=True).astype(int)
    pairs.insert(0, "id", split + "/" + pairs["music_clip_id"] + "|" + pairs["image_id"])
    pairs.insert(1, "split", split)
    pairs.insert(3, "song_id", song_clip[0])
    pairs.insert(4, "clip_index", song_clip[1])
    return pairs


def read_imemnet_c_images(path: str | os.PathLike, image_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """IMEMNet-C image valence/arousal, converted from [0, 1] to [-1, 1] (2x - 1).

    ``path`` is the image V/A CSV (``image_va.csv``; the shared copy calls it
    ``imemnet_c_image_va.csv``) or a folder holding it. ``image_dir`` defaults to ``images`` beside
    it; ``image_path`` is ``<img>.jpg``, or ``<img>.JPG`` when only that file exists.

    Columns: ``id`` (``img``), ``image_path``, ``valence`` (from ``valence``), ``arousal`` (from
    ``arousal``), ``ambiguous`` (the id has more than one row, see the module docstring).
    """
    csv_path = find_file(path, ["image_va.csv", "imemnet_c_image_va.csv"], "IMEMNet-C image V/A CSV")
    image_dir = Path(image_dir) if image_dir is not None else csv_path.parent / "images"
    table = read_table(csv_path, ["img", "valence", "arousal"])
    if (table["img"] == "").any():
        raise InputError(csv_path, f"empty img at data row {int((table['img'] == '').to_numpy().argmax()) + 1}")
    return pd.DataFrame({
        "id": table["img"],
        "image_path": [_image_file(image_dir, image) for image in table["img"]],
        "valence": from_unit(numeric(table, "valence", csv_path, low=0, high=1)),
        "arousal": from_unit(numeric(table, "arousal", csv_path, low=0, high=1)),
        "ambiguous": table["img"].duplicated(keep=False),
    })


def _image_file(folder: Path, image_id: str) -> str:
    upper = media_path(folder, f"{image_id}.JPG")
    lower = media_path(folder, f"{image_id}.jpg")
    return upper if os.path.isfile(upper) and not os.path.isfile(lower) else lower
