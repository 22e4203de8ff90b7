"""Readers for DEAM (MediaEval 2013-2015) and its predecessor 1000-Songs (MediaEval 2013, "emoMusic").

Formats
-------
DEAM song-level static files (``static_annotations_averaged_songs_1_2000.csv``,
``static_annotations_averaged_songs_2000_2058.csv``): CRLF lines, a space after every comma
(also in the header: ``song_id, valence_mean, ...``), ratings on 1..9. The second file has extra
max/min columns (one header cell reads ``valence_ max_mean``); they are not used.
Audio: ``MEMD_audio/<song_id>.mp3``.

1000-Songs (``static_annotations.csv``: ``song_id,mean_arousal,std_arousal,mean_valence,
std_valence`` on 1..9; ``songs_info.csv`` with quoted, tab-padded cells; per-second curves
``valence_cont_average.csv`` / ``arousal_cont_average.csv`` with columns ``sample_15000ms`` ..
``sample_45000ms`` in [-1, 1]).

Which column is valence: the decision and its evidence
------------------------------------------------------
DEAM's songs 2..1000 (the "2013" subset) are the 744 songs of 1000-Songs. For them, the number
DEAM puts in ``valence_mean`` is the number 1000-Songs puts in ``mean_arousal`` (identical on 734 of
744 songs, the rest within 0.42), and DEAM's ``valence_std`` is 1000-Songs' ``std_arousal`` times
sqrt(9/10), a population instead of a sample SD over 10 raters (within 0.01 on 738 of 744 songs).
Measured on the shared copy (744 songs; curve = mean of the song's 2 Hz curve, 15-45 s)::

    static column                       vs arousal curve     vs valence curve
    1000-Songs mean_arousal             r = 0.956 (rho .958)  r = 0.575 (rho .590)
    1000-Songs mean_valence             r = 0.570 (rho .580)  r = 0.950 (rho .949)
    DEAM valence_mean  (songs <= 1000)  r = 0.956             r = 0.575
    DEAM arousal_mean  (songs <= 1000)  r = 0.570             r = 0.950

The curves are a separate measurement (rated continuously while listening) and agree with 1000-Songs' names;
the genre means agree as well (the column 1000-Songs calls arousal is lowest for Classical, 3.88,
and highest for Rock, 5.51). So 1000-Songs' names are right and DEAM's two columns are swapped for
the songs it took from 1000-Songs. Decision:

* 1000-Songs: ``valence`` <- ``mean_valence``, ``arousal`` <- ``mean_arousal`` (names as published).
* DEAM songs 1..1000 (subset "2013"): ``valence`` <- ``arousal_mean``, ``arousal`` <- ``valence_mean``
  (and the SD columns likewise).
* DEAM songs 1001..2058 (subsets "2014", "2015"): ``valence`` <- ``valence_mean``, ``arousal`` <-
  ``arousal_mean`` (names as published). They were annotated later by other raters, and nothing in
  the open data contradicts their names; the between-song spread points the same way (in the
  verified 2013 block arousal varies more across songs than valence, SD 1.37 vs 1.24; in the 2014
  block the column DEAM calls arousal does, SD 1.30 vs 0.99). This part is not verified against
  curves: DEAM's own per-second curves are not in the open data.

All static values go through ``from_1_to_9`` ((x - 5) / 4), SDs through ``spread_from_1_to_9``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from affectzoo.affect.scales import from_1_to_9, spread_from_1_to_9
from affectzoo.data.readers._common import find_file, find_in, media_path, numeric, read_table, unique_ids
from affectzoo.errors import InputError

DEAM_STATIC_FILES = ("static_annotations_averaged_songs_1_2000.csv",
                     "static_annotations_averaged_songs_2000_2058.csv")
LAST_SONG_FROM_1000_SONGS = 1000
"""DEAM songs with ids up to this one come from 1000-Songs; their valence/arousal columns are swapped."""

_STATIC_COLUMNS = ["song_id", "valence_mean", "valence_std", "arousal_mean", "arousal_std"]
_CURVE_COLUMN = re.compile(r"sample_(\d+)ms")


def read_deam(path: str | os.PathLike, audio_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """DEAM static song-level labels, one row per song, valence/arousal in [-1, 1].

    ``path`` is one of the two static files, or a folder holding them (searched recursively;
    both are read when both are there). ``audio_dir`` holds ``<song_id>.mp3`` and defaults to
    ``MEMD_audio`` in that folder (next to the file when a file is given).

    Columns: ``id`` (song id as text), ``song_id``, ``audio_path``, ``valence``, ``arousal``,
    ``valence_std``, ``arousal_std``, ``subset`` ("2013", "2014" or "2015"). Taken columns: see
    the module docstring (songs 1..1000 read ``arousal_mean`` as valence and ``valence_mean`` as
    arousal; later songs read them as named).
    """
    path = Path(path).expanduser()
    if path.is_dir():
        files = [found for name in DEAM_STATIC_FILES if (found := find_in(path, name)) is not None]
        if not files:
            raise InputError(path, f"no DEAM static file found (looked for {', '.join(DEAM_STATIC_FILES)})")
        root = path
    else:
        files = [find_file(path, DEAM_STATIC_FILES, "DEAM static file")]
        root = path.parent
    audio_dir = Path(audio_dir) if audio_dir is not None else root / "MEMD_audio"
    frame = pd.concat([_read_deam_static(file) for file in files], ignore_index=True)
    unique_ids(frame["id"], files[0] if len(files) == 1 else root, "song_id")
    frame.insert(2, "audio_path", [media_path(audio_dir, f"{song}.mp3") for song in frame["song_id"]])
    return frame


def _read_deam_static(path: Path) -> pd.DataFrame:
    table = read_table(path, _STATIC_COLUMNS)
    song_id = numeric(table, "song_id", path, low=1).astype(int)
    named = {column: numeric(table, column, path, low=0, high=4) if column.endswith("_std")
             else numeric(table, column, path, low=1, high=9) for column in _STATIC_COLUMNS[1:]}
    swapped = song_id <= LAST_SONG_FROM_1000_SONGS
    valence = named["valence_mean"].where(~swapped, named["arousal_mean"])
    arousal = named["arousal_mean"].where(~swapped, named["valence_mean"])
    valence_sd = named["valence_std"].where(~swapped, named["arousal_std"])
    arousal_sd = named["arousal_std"].where(~swapped, named["valence_std"])
    subset = np.select([swapped, song_id <= 2000], ["2013", "2014"], "2015")
    return pd.DataFrame({
        "id": song_id.astype(str), "song_id": song_id,
        "valence": from_1_to_9(valence), "arousal": from_1_to_9(arousal),
        "valence_std": spread_from_1_to_9(valence_sd), "arousal_std": spread_from_1_to_9(arousal_sd),
        "subset": subset,
    })


def agreed_deam(frame: pd.DataFrame, valence_sd: float = 1.75, arousal_sd: float = 1.0) -> pd.DataFrame:
    """The songs of :func:`read_deam` whose raters agreed: valence SD <= ``valence_sd`` and arousal
    SD <= ``arousal_sd``, both on DEAM's 1..9 scale (the frame stores spreads on [-1, 1], SD / 4).
    The defaults are Yilma & Leiva's filter for Mozart's training songs (909 of the full release)."""
    kept = (frame["valence_std"] <= spread_from_1_to_9(valence_sd) + 1e-12) & \
           (frame["arousal_std"] <= spread_from_1_to_9(arousal_sd) + 1e-12)
    return frame[kept].reset_index(drop=True)


def read_1000songs(path: str | os.PathLike, audio_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """1000-Songs static song-level labels with song info, valence/arousal in [-1, 1].

    ``path`` is ``static_annotations.csv`` or a folder holding it (searched recursively);
    ``songs_info.csv`` next to it is joined when present. ``audio_dir`` holds ``<song_id>.mp3``
    (the 45-s clips) and defaults to ``audio_1000songs`` beside the annotations folder (the
    layout of the project's shared data; pass it for other layouts).

    Columns: ``id``, ``song_id``, ``audio_path``, ``valence`` (from ``mean_valence``), ``arousal``
    (from ``mean_arousal``), ``valence_std`` / ``arousal_std`` (from ``std_valence`` /
    ``std_arousal``), and from the song info when present ``artist``, ``title``, ``genre``,
    ``mediaeval_set``. The names are taken as published: see the module docstring for the evidence.
    """
    static = find_file(path, ["static_annotations.csv"], "1000-Songs static_annotations.csv")
    audio_dir = Path(audio_dir) if audio_dir is not None else static.parent.parent / "audio_1000songs"
    table = read_table(static, ["song_id", "mean_arousal", "std_arousal", "mean_valence", "std_valence"])
    song_id = numeric(table, "song_id", static, low=1).astype(int)
    frame = pd.DataFrame({
        "id": song_id.astype(str), "song_id": song_id,
        "audio_path": [media_path(audio_dir, f"{song}.mp3") for song in song_id],
        "valence": from_1_to_9(numeric(table, "mean_valence", static, low=1, high=9)),
        "arousal": from_1_to_9(numeric(table, "mean_arousal", static, low=1, high=9)),
        "valence_std": spread_from_1_to_9(numeric(table, "std_valence", static, low=0, high=4)),
        "arousal_std": spread_from_1_to_9(numeric(table, "std_arousal", static, low=0, high=4)),
    })
    unique_ids(frame["id"], static, "song_id")
    info_path = static.parent / "songs_info.csv"
    if info_path.is_file():
        frame = frame.merge(_read_songs_info(info_path), on="song_id", how="left")
    return frame


def _read_songs_info(path: Path) -> pd.DataFrame:
    columns = {"Artist": "artist", "Song title": "title", "Genre": "genre", "Mediaeval 2013 set": "mediaeval_set"}
    table = read_table(path, ["song_id", *columns])
    info = table[list(columns)].rename(columns=columns)
    info.insert(0, "song_id", numeric(table, "song_id", path, low=1).astype(int))
    return info


def read_1000songs_curves(path: str | os.PathLike) -> pd.DataFrame:
    """1000-Songs per-second (2 Hz) valence/arousal curves, long format, already in [-1, 1].

    ``path`` is the annotations folder (or either curve file): ``valence_cont_average.csv`` and
    ``arousal_cont_average.csv`` are read from it. Columns: ``id``, ``song_id``, ``time_s`` (the
    ``sample_<ms>ms`` column divided by 1000), ``valence``, ``arousal``; empty samples are dropped.
    """
    folder = Path(path).expanduser()
    folder = folder.parent if folder.is_file() else folder
    curves = {name: _read_curve(find_file(folder, [f"{name}_cont_average.csv"], f"{name} curve file"), name)
              for name in ("valence", "arousal")}
    valence, arousal = curves["valence"], curves["arousal"]
    if set(valence["song_id"]) != set(arousal["song_id"]):
        raise InputError(folder, "the valence and arousal curve files list different songs")
    frame = valence.merge(arousal, on=["song_id", "time_s"], how="inner").dropna(subset=["valence", "arousal"])
    frame.insert(0, "id", frame["song_id"].astype(str))
    return frame.sort_values(["song_id", "time_s"], ignore_index=True)


def _read_curve(path: Path, name: str) -> pd.DataFrame:
    table = read_table(path, ["song_id"])
    samples = {column: int(match.group(1)) for column in table.columns if (match := _CURVE_COLUMN.fullmatch(column))}
    if not samples:
        raise InputError(path, "no sample_<ms>ms columns; is this a 1000-Songs curve file?")
    wide = pd.DataFrame({column: numeric(table, column, path, low=-1, high=1, allow_empty=True) for column in samples})
    wide.insert(0, "song_id", numeric(table, "song_id", path, low=1).astype(int))
    unique_ids(wide["song_id"], path, "song_id")
    long = wide.melt(id_vars="song_id", var_name="sample", value_name=name)
    long.insert(1, "time_s", long.pop("sample").map(samples) / 1000.0)
    return long
