"""Reader for OASIS, the Open Affective Standardized Image Set (Kurdi, Lozano & Banaji, 2017).

``OASIS.csv`` quirks: the first header cell is empty and its column holds the ids ``I1``..``I900``;
valence and arousal are means on 1..7 (``Valence_mean``, ``Arousal_mean``, with ``_SD`` and
``_N``); some ``Theme`` values end in a space (``"War 2 "``), and the image file is
``images/<Theme without surrounding spaces>.jpg``. The set contains nudity, gore and violence:
``Category`` and ``Theme`` are kept so callers can filter them out. A copy may lack some images
(the project's shared copy has 750 of the 900): ``image_exists`` says which are there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from affectzoo.affect.scales import from_1_to_7, spread_from_1_to_7
from affectzoo.data.readers._common import find_file, media_path, numeric, read_table, unique_ids
from affectzoo.errors import InputError


def read_oasis(path: str | os.PathLike, image_dir: str | os.PathLike | None = None, *,
               drop_missing: bool = False) -> pd.DataFrame:
    """OASIS ratings, one row per image, valence/arousal in [-1, 1] ((x - 4) / 3).

    ``path`` is ``OASIS.csv`` or its folder; ``image_dir`` defaults to ``images`` beside it.
    ``drop_missing`` keeps only rows whose image file exists.

    Columns: ``id`` (the unnamed first column, ``I1``..), ``image_path``, ``image_exists``,
    ``theme`` (``Theme`` stripped), ``category`` (``Category``), ``source`` (``Source``),
    ``valence`` / ``arousal`` (from ``Valence_mean`` / ``Arousal_mean``), ``valence_sd`` /
    ``arousal_sd`` (from ``Valence_SD`` / ``Arousal_SD``), ``valence_n`` / ``arousal_n``.
    """
    csv_path = find_file(path, ["OASIS.csv"], "OASIS.csv")
    image_dir = Path(image_dir) if image_dir is not None else csv_path.parent / "images"
    required = ["Theme", "Category", "Source", "Valence_mean", "Valence_SD", "Valence_N",
                "Arousal_mean", "Arousal_SD", "Arousal_N"]
    table = read_table(csv_path, required)
    id_column = table.columns[0]
    if not (id_column == "" or id_column.startswith("Unnamed: 0")):
        raise InputError(csv_path, f"the first header cell should be empty (the image id column), found {id_column!r}")
    image_paths = [media_path(image_dir, f"{theme}.jpg") for theme in table["Theme"]]
    frame = pd.DataFrame({
        "id": unique_ids(table[id_column], csv_path, "first (id) column"),
        "image_path": image_paths,
        "image_exists": [os.path.isfile(image) for image in image_paths],
        "theme": table["Theme"], "category": table["Category"], "source": table["Source"],
        "valence": from_1_to_7(numeric(table, "Valence_mean", csv_path, low=1, high=7)),
        "arousal": from_1_to_7(numeric(table, "Arousal_mean", csv_path, low=1, high=7)),
        "valence_sd": spread_from_1_to_7(numeric(table, "Valence_SD", csv_path, low=0, high=3)),
        "arousal_sd": spread_from_1_to_7(numeric(table, "Arousal_SD", csv_path, low=0, high=3)),
        "valence_n": numeric(table, "Valence_N", csv_path, low=0).astype(int),
        "arousal_n": numeric(table, "Arousal_N", csv_path, low=0).astype(int),
    })
    if (frame["id"] == "").any():
        raise InputError(csv_path, f"empty image id at data row {int((frame['id'] == '').to_numpy().argmax()) + 1}")
    return frame[frame["image_exists"]].reset_index(drop=True) if drop_missing else frame
