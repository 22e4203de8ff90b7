"""Readers for Emotify (Aljanaki, Wiering & Veltkamp, 2016): induced emotion on the GEMS-9 scale.

Formats
-------
``data.csv`` (the release, one row per listener and track): ``track id, genre, amazement,
solemnity, tenderness, nostalgia, calmness, power, joyful_activation, tension, sadness, mood,
liked, disliked, age, gender, mother tongue`` (a space after each comma); the nine GEMS columns,
``liked`` and ``disliked`` are 0/1. Emotify's names for three GEMS factors differ from Zentner
et al.'s: amazement = wonder, solemnity = transcendence, calmness = peacefulness.

``emotify_track_gems.csv`` (the project's shared data): per track ``track_id, genre,
n_annotations, p_<category>`` for the nine categories and ``p_liked``, ``p_disliked``: the share of
the track's listeners who ticked it (equal to the means over ``data.csv``, checked on the shared
copy to 4 decimals).

Audio: track ``t`` of genre ``g`` is ``<g>/<((t - 1) mod 100) + 1>.<ext>`` (tracks 1-100 classical,
101-200 rock, 201-300 electronic, 301-400 pop in the release).

Valence/arousal proxy (a proxy, not a rating)
---------------------------------------------
Emotify has no valence/arousal ratings. ``valence_proxy`` / ``arousal_proxy`` place each GEMS
category at a corner, edge or centre of the valence-arousal square (``GEMS_VA``) and take the mean
weighted by the track's vote shares (normalised to sum to 1; NaN for a track without votes):

* arousal from Trost, Ethofer, Zentner & Vuilleumier (2012), "Mapping aesthetic musical emotions in
  the brain", Cerebral Cortex 22(12):2769-2783, doi:10.1093/cercor/bhr353, whose ratings split the
  GEMS categories into high-arousal (Wonder, Joy[ful activation], Power, Tension: +1) and
  low-arousal (Nostalgia, Tenderness, Peacefulness, Sadness: -1) ones; Transcendence, which the
  paper finds blended rather than placed, gets 0;
* valence from the same paper for Wonder, Joy, Nostalgia and Tenderness (its positive emotions)
  and from the second-order factors of Zentner, Grandjean & Scherer (2008), "Emotions evoked by the
  sound of music", Emotion 8(4):494-521, doi:10.1037/1528-3542.8.4.494, for the rest: Sublimity
  (wonder, transcendence, tenderness, nostalgia, peacefulness) and Vitality (power, joyful
  activation) +1, Unease (tension, sadness) -1.

The result is a coarse sign-level placement, good for ordering tracks, not a calibrated rating.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from affectzoo.data.readers._common import find_file, media_path, numeric, one_of, read_table, weighted_va
from affectzoo.errors import InputError

GEMS_CATEGORIES = ("amazement", "solemnity", "tenderness", "nostalgia", "calmness", "power",
                   "joyful_activation", "tension", "sadness")
GEMS_VA: dict[str, tuple[float, float]] = {  # Emotify name: (valence, arousal); sources in the module docstring
    "amazement": (1.0, 1.0),
    "solemnity": (1.0, 0.0),
    "tenderness": (1.0, -1.0),
    "nostalgia": (1.0, -1.0),
    "calmness": (1.0, -1.0),
    "power": (1.0, 1.0),
    "joyful_activation": (1.0, 1.0),
    "tension": (-1.0, 1.0),
    "sadness": (-1.0, -1.0),
}
TRACKS_PER_GENRE = 100
_LISTENER_COLUMNS = {"track id": "track_id", "genre": "genre", **{name: name for name in GEMS_CATEGORIES},
                     "mood": "mood", "liked": "liked", "disliked": "disliked", "age": "age", "gender": "gender",
                     "mother tongue": "mother_tongue"}


def read_emotify_listeners(path: str | os.PathLike) -> pd.DataFrame:
    """Emotify's per-listener annotations (``data.csv``), one row per (listener, track).

    Columns: ``track_id``, ``genre``, the nine GEMS categories and ``liked`` / ``disliked`` (0/1),
    ``mood``, ``age``, ``gender``, ``mother_tongue``.
    """
    csv_path = find_file(path, ["data.csv"], "Emotify data.csv")
    table = read_table(csv_path, list(_LISTENER_COLUMNS)).rename(columns=_LISTENER_COLUMNS)
    frame = table[list(_LISTENER_COLUMNS.values())].copy()
    frame["track_id"] = numeric(table, "track_id", csv_path, low=1).astype(int)
    for column in (*GEMS_CATEGORIES, "liked", "disliked"):
        frame[column] = one_of(numeric(table, column, csv_path), (0, 1), csv_path, column).astype(int)
    for column in ("mood", "age"):
        frame[column] = numeric(table, column, csv_path, allow_empty=True)
    return frame


def read_emotify(path: str | os.PathLike, audio_dir: str | os.PathLike | None = None, *,
                 audio_suffix: str = ".ogg") -> pd.DataFrame:
    """Emotify per-track GEMS-9 vote shares with audio paths and the valence/arousal proxy.

    ``path`` is the dataset folder (``data.csv`` is read and the shares computed), ``data.csv``
    itself, or ``emotify_track_gems.csv`` (shares as given). ``audio_dir`` holds the genre folders
    and defaults to ``audio_30s_ogg`` beside the file; ``audio_suffix`` is the audio extension
    (``.mp3`` for the release's full clips).

    Columns: ``id`` (track id as text), ``track_id``, ``genre``, ``audio_path``, ``n_annotations``,
    the nine GEMS shares in [0, 1] (named as in ``GEMS_CATEGORIES``), ``liked``, ``disliked``
    (shares), ``valence_proxy``, ``arousal_proxy`` (in [-1, 1]; see the module docstring).
    """
    file = find_file(path, ["data.csv", "emotify_track_gems.csv"], "Emotify data.csv or emotify_track_gems.csv")
    audio_dir = Path(audio_dir) if audio_dir is not None else file.parent / "audio_30s_ogg"
    shares = _shares_from_table(file) if file.name == "emotify_track_gems.csv" else _shares_from_listeners(file)
    shares.insert(0, "id", shares["track_id"].astype(str))
    shares.insert(3, "audio_path", [media_path(audio_dir / genre, f"{(track - 1) % TRACKS_PER_GENRE + 1}{audio_suffix}")
                                    for track, genre in zip(shares["track_id"], shares["genre"])])
    valence, arousal = gems_va_proxy(shares[list(GEMS_CATEGORIES)].to_numpy(dtype=float))
    shares["valence_proxy"], shares["arousal_proxy"] = valence, arousal
    return shares


def gems_va_proxy(shares: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Valence and arousal proxies of GEMS-9 shares [tracks, 9] (columns in ``GEMS_CATEGORIES`` order)."""
    return weighted_va(shares, np.array([GEMS_VA[name] for name in GEMS_CATEGORIES]))


def _shares_from_listeners(path: Path) -> pd.DataFrame:
    listeners = read_emotify_listeners(path)
    genres = listeners.groupby("track_id")["genre"].unique()
    mixed = genres[genres.map(len) > 1]
    if not mixed.empty:
        raise InputError(path, f"track {mixed.index[0]} is listed under several genres: {', '.join(mixed.iloc[0])}")
    grouped = listeners.groupby("track_id")
    shares = grouped[[*GEMS_CATEGORIES, "liked", "disliked"]].mean()
    shares.insert(0, "genre", genres.map(lambda values: values[0]))
    shares.insert(1, "n_annotations", grouped.size())
    return shares.reset_index()


def _shares_from_table(path: Path) -> pd.DataFrame:
    columns = [f"p_{name}" for name in (*GEMS_CATEGORIES, "liked", "disliked")]
    table = read_table(path, ["track_id", "genre", "n_annotations", *columns])
    frame = pd.DataFrame({"track_id": numeric(table, "track_id", path, low=1).astype(int), "genre": table["genre"],
                          "n_annotations": numeric(table, "n_annotations", path, low=0).astype(int)})
    for column in columns:
        frame[column.removeprefix("p_")] = numeric(table, column, path, low=0, high=1)
    return frame
