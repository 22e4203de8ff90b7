"""IMUSE pairs (Chheda et al. 2023): OASIS images x a music valence/arousal table, scored by emotion distance.

The paper does not ship its pairs as a file: it builds them from OASIS's image ratings and a table
of music ratings, and this reader does the same from those two published inputs.

* Images: OASIS (``OASIS.csv`` + ``images/``, read by :func:`read_oasis`); only images present
  on disk are used.
* Music, by ``music_format``:

  - ``"table"``: a CSV with one row per clip and the columns ``id``, ``audio_path`` (absolute, or
    relative to ``audio_dir``, which defaults to the table's folder), ``valence`` and ``arousal``
    on the scale named by ``music_scale`` (:data:`MUSIC_SCALES`);
  - ``"pmemo"`` or ``"deam"``: a PMEmo or DEAM static-label file, read by that dataset's reader
    (scale and column choices as documented there; ``audio_dir`` is passed on).

Pairs (:func:`~affectzoo.data.builds.pairs.scored_pairs`, seeded): per image its best 5, worst 5
and 5 random other clips of the whole music table, scored S = 1 - sqrt(dV^2 + dA^2) on
[0, 1]-scaled V/A. Split (:func:`stratified_split`): 75 / 25 train / test *stratified by song*:
each clip's pairs are shuffled and cut 75 / 25, so every clip keeps the same share of pairs in both
splits (images and clips recur across splits; the pairs do not).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from affectzoo.affect.scales import rescale
from affectzoo.data.builds.pairs import scored_pairs
from affectzoo.data.builds.splits import SPLITS
from affectzoo.data.readers._common import media_path, numeric, read_table, unique_ids
from affectzoo.data.readers.deam import read_deam
from affectzoo.data.readers.oasis import read_oasis
from affectzoo.data.readers.pmemo import read_pmemo
from affectzoo.errors import InputError

#: Scale name -> (low, high) of the music table's valence/arousal, mapped linearly onto [-1, 1].
MUSIC_SCALES = {"-1..1": (-1.0, 1.0), "0..1": (0.0, 1.0), "1..7": (1.0, 7.0), "1..9": (1.0, 9.0)}
MUSIC_FORMATS = ("table", "pmemo", "deam")


def read_music_table(path: str | os.PathLike, scale: str = "-1..1",
                     audio_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """A plain music table (``id, audio_path, valence, arousal``), V/A converted from ``scale`` to [-1, 1].

    Relative ``audio_path`` values are resolved against ``audio_dir`` (default: the table's folder).
    Returns the columns ``id``, ``audio_path``, ``valence``, ``arousal``.
    """
    if scale not in MUSIC_SCALES:
        raise ValueError(f"music_scale must be one of {sorted(MUSIC_SCALES)}, got {scale!r}")
    path = Path(path).expanduser()
    table = read_table(path, ["id", "audio_path", "valence", "arousal"])
    low, high = MUSIC_SCALES[scale]
    folder = Path(audio_dir) if audio_dir is not None else path.parent
    return pd.DataFrame({
        "id": unique_ids(table["id"], path, "id"),
        "audio_path": [media_path(folder, name) for name in table["audio_path"]],
        "valence": rescale(numeric(table, "valence", path, low=low, high=high), low, high),
        "arousal": rescale(numeric(table, "arousal", path, low=low, high=high), low, high),
    })


def stratified_split(strata: Sequence, fractions: Sequence[float] = (0.75, 0.0, 0.25), seed: int = 0,
                     names: Sequence[str] = SPLITS) -> list[str]:
    """The split name of each row, cut by ``fractions`` *within* each stratum (e.g. each song).

    Strata are visited in sorted order and each one's rows shuffled with one seeded generator, so
    the result does not depend on the row order of the input's strata.
    """
    if len(fractions) != len(names) or abs(sum(fractions) - 1.0) > 1e-9 or min(fractions) < 0:
        raise ValueError(f"fractions {fractions} must be non-negative, sum to 1 and match {names}")
    rng = np.random.default_rng(seed)
    rows: dict = {}
    for index, stratum in enumerate(strata):
        rows.setdefault(stratum, []).append(index)
    out = [""] * len(strata)
    for stratum in sorted(rows, key=str):
        members = np.asarray(rows[stratum])[rng.permutation(len(rows[stratum]))]
        bounds = np.round(np.cumsum(fractions) * len(members)).astype(int)
        for rank, index in enumerate(members):
            out[index] = names[min(int(np.searchsorted(bounds, rank, side="right")), len(names) - 1)]
    return out


def read_imuse_music(music: str | os.PathLike, music_format: str = "table", music_scale: str = "-1..1",
                     audio_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """The music side of IMUSE as ``id, audio_path, valence, arousal`` (see the module docstring)."""
    if music_format == "table":
        return read_music_table(music, music_scale, audio_dir)
    if music_format == "pmemo":
        return read_pmemo(music, audio_dir)[["id", "audio_path", "valence", "arousal"]]
    if music_format == "deam":
        return read_deam(music, audio_dir)[["id", "audio_path", "valence", "arousal"]]
    raise ValueError(f"music_format must be one of {MUSIC_FORMATS}, got {music_format!r}")


def read_imuse(oasis: str | os.PathLike, music: str | os.PathLike, *, music_format: str = "table",
               music_scale: str = "-1..1", audio_dir: str | os.PathLike | None = None, seed: int = 0,
               fractions: Sequence[float] = (0.75, 0.0, 0.25)) -> pd.DataFrame:
    """IMUSE-style scored pairs with each side's ratings and a split stratified by song.

    Columns: ``image_id``, ``music_id``, ``score``, ``kind`` (best / worst / random),
    ``image_path``, ``audio_path``, ``image_valence``, ``image_arousal``, ``music_valence``,
    ``music_arousal`` (all V/A in [-1, 1]) and ``split`` (train / val / test by ``fractions``;
    the paper's 75 / 25 has no validation share).
    """
    images = read_oasis(oasis, drop_missing=True)
    if images.empty:
        raise InputError(oasis, "no OASIS image file exists beside OASIS.csv (looked in its images/ folder)")
    tracks = read_imuse_music(music, music_format, music_scale, audio_dir)
    pairs = scored_pairs(images, tracks, seed=seed)
    image_rows, music_rows = images.set_index("id"), tracks.set_index("id")
    pairs = pairs.assign(
        image_path=pairs["image_id"].map(image_rows["image_path"]),
        audio_path=pairs["music_id"].map(music_rows["audio_path"]),
        image_valence=pairs["image_id"].map(image_rows["valence"]),
        image_arousal=pairs["image_id"].map(image_rows["arousal"]),
        music_valence=pairs["music_id"].map(music_rows["valence"]),
        music_arousal=pairs["music_id"].map(music_rows["arousal"]),
    )
    return pairs.assign(split=stratified_split(pairs["music_id"].tolist(), fractions, seed))
