"""Readers for VGMIDI (Ferreira & Whitehead, ISMIR 2019): piano arrangements of video-game music.

* ``vgmidi_labelled.csv`` (the release's phrase labels): ``id,series,console,game,piece,midi,
  valence,arousal``; ``midi`` is ``labelled/phrases/<piece file stem>_<k>.mid`` relative to the
  dataset root; valence and arousal are signs, -1 or +1. ``id`` is the piece's number in the
  annotation tool, shared by the phrases of one piece.
* ``vgmidi_piece_va_from_raw.csv`` (in the project's shared data, computed from the release's raw
  annotations ``labelled/annotations/vgmidi_raw_{1,2}.json``): one row per labelled piece with
  ``round,piece_key,midi,name,n_annotators,measures,duration_s,valence_mean,valence_sd_between,
  arousal_mean,arousal_sd_between,...``; the means are continuous in [-1, 1] over ~30 annotators;
  ``midi`` names the full piece in ``labelled/midi/``. ``piece_key`` (``piece0``..) restarts in each
  annotation round, so the MIDI file stem is the piece id.

Both readers give the same ``piece_id`` (the piece's MIDI file stem), so phrases join pieces.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from affectzoo.data.readers._common import find_file, media_path, numeric, one_of, read_table, unique_ids
from affectzoo.errors import InputError

_PHRASE = re.compile(r"(.+)_(\d+)")


def read_vgmidi_pieces(path: str | os.PathLike, midi_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Continuous per-piece valence/arousal (already in [-1, 1]), one row per labelled piece.

    ``path`` is ``vgmidi_piece_va_from_raw.csv`` or its folder; ``midi_dir`` defaults to
    ``labelled/midi`` beside it.

    Columns: ``id`` and ``piece_id`` (MIDI file stem), ``midi_path``, ``name``, ``round``,
    ``valence`` (from ``valence_mean``), ``arousal`` (from ``arousal_mean``), ``valence_sd`` /
    ``arousal_sd`` (from ``valence_sd_between`` / ``arousal_sd_between``), ``n_annotators``,
    ``duration_s``.
    """
    csv_path = find_file(path, ["vgmidi_piece_va_from_raw.csv"], "vgmidi_piece_va_from_raw.csv")
    midi_dir = Path(midi_dir) if midi_dir is not None else csv_path.parent / "labelled" / "midi"
    table = read_table(csv_path, ["round", "midi", "name", "n_annotators", "duration_s", "valence_mean",
                                  "valence_sd_between", "arousal_mean", "arousal_sd_between"])
    piece_id = unique_ids(table["midi"].str.removesuffix(".mid"), csv_path, "midi")
    return pd.DataFrame({
        "id": piece_id, "piece_id": piece_id,
        "midi_path": [media_path(midi_dir, name) for name in table["midi"]],
        "name": table["name"],
        "round": numeric(table, "round", csv_path, low=1).astype(int),
        "valence": numeric(table, "valence_mean", csv_path, low=-1, high=1),
        "arousal": numeric(table, "arousal_mean", csv_path, low=-1, high=1),
        "valence_sd": numeric(table, "valence_sd_between", csv_path, low=0, high=1),
        "arousal_sd": numeric(table, "arousal_sd_between", csv_path, low=0, high=1),
        "n_annotators": numeric(table, "n_annotators", csv_path, low=1).astype(int),
        "duration_s": numeric(table, "duration_s", csv_path, low=0),
    })


def read_vgmidi_phrases(path: str | os.PathLike) -> pd.DataFrame:
    """Labelled phrases with binary valence/arousal (-1.0 / +1.0), one row per phrase.

    ``path`` is ``vgmidi_labelled.csv`` or its folder; ``midi`` paths are taken relative to the
    CSV's folder (the dataset root).

    Columns: ``id`` (phrase MIDI file stem), ``piece_id`` (the stem without ``_<k>``), ``phrase``
    (k), ``vgmidi_id`` (``id``), ``midi_path``, ``series``, ``console``, ``game``, ``piece``,
    ``valence``, ``arousal`` (from ``valence`` / ``arousal``).
    """
    csv_path = find_file(path, ["vgmidi_labelled.csv"], "vgmidi_labelled.csv")
    table = read_table(csv_path, ["id", "series", "console", "game", "piece", "midi", "valence", "arousal"])
    stems = table["midi"].map(lambda midi: Path(midi).stem)
    parts = stems.str.fullmatch(_PHRASE.pattern)
    if not parts.all():
        row = int((~parts).to_numpy().argmax()) + 1
        raise InputError(csv_path, f"midi at data row {row} is not <piece>_<k>.mid: {table['midi'].iloc[row - 1]!r}")
    split = stems.str.extract(_PHRASE.pattern)
    signs = {column: one_of(numeric(table, column, csv_path), (-1, 1), csv_path, column) for column in ("valence", "arousal")}
    return pd.DataFrame({
        "id": unique_ids(stems, csv_path, "midi"), "piece_id": split[0], "phrase": split[1].astype(int),
        "vgmidi_id": numeric(table, "id", csv_path, low=0).astype(int),
        "midi_path": [media_path(csv_path.parent, midi) for midi in table["midi"]],
        **{column: table[column] for column in ("series", "console", "game", "piece")},
        **signs,
    })
