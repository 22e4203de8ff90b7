"""Reader for PMEmo static (song-level) labels (Zhang et al., ICMR 2018), valence/arousal on [0, 1].

Two published layouts are read, each by its own column names:

* PMEmo2019 release: ``annotations/static_annotations.csv`` with ``musicId,Arousal(mean),Valence(mean)``;
  chorus clips in ``chorus/<musicId>.mp3``.
* The table in the project's shared data, ``pmemo_static_va.csv``:
  ``musicId,title,artist,valence_mean,arousal_mean``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from affectzoo.affect.scales import from_unit
from affectzoo.data.readers._common import find_file, media_path, numeric, read_table, unique_ids
from affectzoo.errors import InputError

_LAYOUTS = (  # (valence column, arousal column), tried in order
    ("Valence(mean)", "Arousal(mean)"),
    ("valence_mean", "arousal_mean"),
)


def read_pmemo(path: str | os.PathLike, audio_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """PMEmo static labels, one row per song, valence/arousal in [-1, 1] (2x - 1).

    ``path`` is the label CSV or a folder holding ``static_annotations.csv`` or
    ``pmemo_static_va.csv``. ``audio_dir`` holds ``<musicId>.mp3`` and defaults to ``chorus``
    in the dataset root (the folder given, or the parent of an ``annotations`` folder).

    Columns: ``id`` (musicId as text), ``music_id``, ``audio_path``, ``valence`` (from
    ``Valence(mean)`` or ``valence_mean``), ``arousal`` (from ``Arousal(mean)`` or
    ``arousal_mean``), plus ``title`` and ``artist`` when the file has them.
    """
    path = Path(path).expanduser()
    table_path = find_file(path, ["static_annotations.csv", "pmemo_static_va.csv"], "PMEmo static label file")
    root = table_path.parent.parent if table_path.parent.name == "annotations" else table_path.parent
    audio_dir = Path(audio_dir) if audio_dir is not None else root / "chorus"
    table = read_table(table_path, ["musicId"])
    layout = next((pair for pair in _LAYOUTS if set(pair) <= set(table.columns)), None)
    if layout is None:
        expected = " or ".join(" + ".join(pair) for pair in _LAYOUTS)
        raise InputError(table_path, f"no PMEmo valence/arousal columns ({expected}); the file has "
                                     f"{', '.join(map(repr, table.columns))}")
    music_id = numeric(table, "musicId", table_path, low=0).astype(int)
    frame = pd.DataFrame({
        "id": unique_ids(music_id.astype(str), table_path, "musicId"), "music_id": music_id,
        "audio_path": [media_path(audio_dir, f"{music}.mp3") for music in music_id],
        "valence": from_unit(numeric(table, layout[0], table_path, low=0, high=1)),
        "arousal": from_unit(numeric(table, layout[1], table_path, low=0, high=1)),
    })
    for column in ("title", "artist"):
        if column in table.columns:
            frame[column] = table[column]
    return frame
