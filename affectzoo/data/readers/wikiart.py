"""Readers for WikiArt Emotions (Mohammad & Kiritchenko, LREC 2018) and the NRC VAD lexicon
(Mohammad, ACL 2018), and the valence/arousal of each painting derived from the two.

Formats
-------
``WikiArt-Emotions-All.tsv``: tab-separated; ``ID, Style, Category, Artist, Title, Year`` (the
published file then has ``Image URL, Painting Info URL, Artist Info URL``), ``Is painting,
Face/body, Ave. art rating``, then for each of 20 emotions (including ``neutral``) three columns
``Art (image+title): <emotion>``, ``ImageOnly: <emotion>``, ``TitleOnly: <emotion>`` holding the
share of annotators (0..1) who said the item evokes that emotion, in the three annotation setups.

NRC VAD lexicon (v1, ``NRC-VAD-Lexicon.txt``): ``Word<TAB>Valence<TAB>Arousal<TAB>Dominance``,
scores 0..1, with or without that header line.

Valence/arousal of a painting
-----------------------------
As in the affect-aware cross-domain recommender of Yilma & Leiva (RecSys 2025): the painting's
emotion intensities (one annotation setup, ``ImageOnly`` by default because the zoo's models see
the image only) are normalised to sum to 1, each emotion word is placed at its lexicon valence
and arousal, and the painting gets the weighted mean, rescaled from 0..1 to [-1, 1] (2x - 1,
``from_unit``; the rescaling is linear, so it commutes with the weighted mean). A painting whose
intensities are all zero gets NaN.

Two WikiArt emotions are not lexicon entries. Each emotion is looked up through the words of
``LEXICON_WORDS`` in order, the first one in the lexicon wins: ``agreeableness`` -> "agreeableness",
"agreeable", then "pleasant"; ``disagreeableness`` -> "disagreeableness", "disagreeable", then
"unpleasant" (the adjective the noun is made from, then its plainest synonym). Every other emotion
is looked up as itself. An emotion none of whose words is in the lexicon raises ``InputError``.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pandas as pd

from affectzoo.affect.scales import from_unit
from affectzoo.data.readers._common import find_file, media_path, numeric, read_table, unique_ids, weighted_va
from affectzoo.errors import InputError

ANNOTATIONS = ("Art (image+title)", "ImageOnly", "TitleOnly")
LEXICON_WORDS: dict[str, tuple[str, ...]] = {
    "agreeableness": ("agreeableness", "agreeable", "pleasant"),
    "disagreeableness": ("disagreeableness", "disagreeable", "unpleasant"),
}
"""Lexicon words tried, in order, for the WikiArt emotions that are not lexicon entries themselves."""

_INFO_COLUMNS = {"Style": "style", "Category": "category", "Artist": "artist", "Title": "title", "Year": "year",
                 "Is painting": "is_painting", "Face/body": "face_body"}


def read_nrc_vad(path: str | os.PathLike) -> pd.DataFrame:
    """The NRC VAD lexicon: ``word``, ``valence``, ``arousal``, ``dominance``, all rescaled to [-1, 1].

    ``path`` is the lexicon file or a folder holding ``NRC-VAD-Lexicon.txt``. A header line
    (``Word<TAB>Valence<TAB>Arousal<TAB>Dominance``) is skipped when present; a word listed twice
    keeps its first entry.
    """
    lexicon_path = find_file(path, ["NRC-VAD-Lexicon.txt"], "NRC VAD lexicon")
    names = ["word", "valence", "arousal", "dominance"]
    table = read_table(lexicon_path, header=False, names=names, sep="\t", quoting=csv.QUOTE_NONE)
    if table.iloc[0]["valence"].lower() == "valence":
        table = table.iloc[1:].reset_index(drop=True)
    if table.empty:
        raise InputError(lexicon_path, "the lexicon has no entries")
    frame = pd.DataFrame({"word": table["word"].str.lower()})
    for column in names[1:]:
        frame[column] = from_unit(numeric(table, column, lexicon_path, low=0, high=1))
    frame = frame.drop_duplicates("word", ignore_index=True)
    frame.attrs["path"] = str(lexicon_path)
    return frame


def read_wikiart_emotions(path: str | os.PathLike, lexicon: str | os.PathLike | pd.DataFrame,
                          image_dir: str | os.PathLike | None = None, *,
                          annotation: str = "ImageOnly") -> pd.DataFrame:
    """WikiArt Emotions with lexicon-derived valence/arousal in [-1, 1], one row per artwork.

    ``path`` is ``WikiArt-Emotions-All.tsv`` or its folder; ``lexicon`` the NRC VAD file (or the
    frame ``read_nrc_vad`` returned). The release ships image URLs only: ``image_dir`` is where
    the images were saved as ``<ID>.jpg`` and defaults to ``images`` beside the TSV.
    ``annotation`` picks the setup: ``"Art (image+title)"``, ``"ImageOnly"`` or ``"TitleOnly"``.

    Columns: ``id`` (``ID``), ``image_path``, ``valence``, ``arousal`` (from the ``<annotation>:
    <emotion>`` columns and the lexicon, see the module docstring), ``style``, ``category``,
    ``artist``, ``title``, ``year``, ``is_painting``, ``face_body``, ``art_rating`` (``Ave. art
    rating``, -3..3), ``image_url`` when the file has ``Image URL``.
    """
    if annotation not in ANNOTATIONS:
        raise ValueError(f"annotation must be one of {ANNOTATIONS}, got {annotation!r}")
    tsv_path = find_file(path, ["WikiArt-Emotions-All.tsv"], "WikiArt-Emotions-All.tsv")
    image_dir = Path(image_dir) if image_dir is not None else tsv_path.parent / "images"
    table = read_table(tsv_path, ["ID", *_INFO_COLUMNS, "Ave. art rating"], sep="\t", quoting=csv.QUOTE_NONE)
    prefix = f"{annotation}: "
    emotions = [column.removeprefix(prefix) for column in table.columns if column.startswith(prefix)]
    if not emotions:
        raise InputError(tsv_path, f"no {prefix!r}<emotion> columns")
    intensities = np.column_stack([numeric(table, prefix + emotion, tsv_path, low=0, high=1) for emotion in emotions])
    lexicon = lexicon if isinstance(lexicon, pd.DataFrame) else read_nrc_vad(lexicon)
    coordinates = np.array([lexicon_entry(lexicon, emotion)[["valence", "arousal"]].to_numpy(dtype=float)
                            for emotion in emotions])
    valence, arousal = weighted_va(intensities, coordinates)
    frame = pd.DataFrame({
        "id": unique_ids(table["ID"], tsv_path, "ID"),
        "image_path": [media_path(image_dir, f"{item}.jpg") for item in table["ID"]],
        "valence": valence, "arousal": arousal,
    })
    for column, name in _INFO_COLUMNS.items():
        frame[name] = table[column]
    frame["art_rating"] = numeric(table, "Ave. art rating", tsv_path, low=-3, high=3)
    if "Image URL" in table.columns:
        frame["image_url"] = table["Image URL"]
    return frame


def lexicon_entry(lexicon: pd.DataFrame, emotion: str) -> pd.Series:
    """The lexicon row used for ``emotion`` (the first of its ``LEXICON_WORDS`` that is an entry)."""
    for word in LEXICON_WORDS.get(emotion, (emotion,)):
        match = lexicon[lexicon["word"] == word]
        if not match.empty:
            return match.iloc[0]
    tried = ", ".join(repr(word) for word in LEXICON_WORDS.get(emotion, (emotion,)))
    raise InputError(lexicon.attrs.get("path", "NRC VAD lexicon"), f"no entry for emotion {emotion!r} (tried {tried})")
