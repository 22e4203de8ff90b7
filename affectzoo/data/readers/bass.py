"""Reader for BASS, the Bicolor Affective Silhouettes and Shapes (Kawai, Lukács & Ansorge, 2021).

``BASS_data.csv``: CRLF lines, one row per image (``file_name``, a PNG in ``images/``), valence
and arousal means on 1..9 rated by a US sample (``val_mean_us``, ``aro_mean_us``, counts
``val_n_us``, ``aro_n_us``) and a Chinese sample (the same names ending ``_ch``); several numeric
cells carry a trailing space (``944.3995 ``).

The two samples are exposed separately (``valence_us``, ``valence_ch``, ...) and combined into
``valence``/``arousal`` by ``sample``: ``"pooled"`` (default) is the mean over all raters of both
samples, i.e. the means weighted by their rating counts; ``"us"`` or ``"ch"`` take one sample.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from affectzoo.affect.scales import from_1_to_9
from affectzoo.data.readers._common import find_file, media_path, numeric, read_table, unique_ids

SAMPLES = ("pooled", "us", "ch")


def read_bass(path: str | os.PathLike, image_dir: str | os.PathLike | None = None, *,
              sample: str = "pooled") -> pd.DataFrame:
    """BASS ratings, one row per image, valence/arousal in [-1, 1] ((x - 5) / 4).

    ``path`` is ``BASS_data.csv`` or its folder; ``image_dir`` defaults to ``images`` beside it.
    ``sample`` picks what goes into ``valence``/``arousal`` (see the module docstring).

    Columns: ``id`` (``file_name`` without ``.png``), ``image_path``, ``valence``, ``arousal``,
    ``valence_us`` / ``arousal_us`` (from ``val_mean_us`` / ``aro_mean_us``), ``valence_ch`` /
    ``arousal_ch`` (from ``val_mean_ch`` / ``aro_mean_ch``), the four rating counts
    ``valence_n_us`` .. ``arousal_n_ch`` (from ``val_n_us`` ..), ``keywords``, ``source``.
    """
    if sample not in SAMPLES:
        raise ValueError(f"sample must be one of {SAMPLES}, got {sample!r}")
    csv_path = find_file(path, ["BASS_data.csv"], "BASS_data.csv")
    image_dir = Path(image_dir) if image_dir is not None else csv_path.parent / "images"
    columns = [f"{dim}_{stat}_{group}" for dim in ("val", "aro") for stat in ("mean", "n") for group in ("us", "ch")]
    table = read_table(csv_path, ["file_name", *columns, "keywords", "source"])
    frame = pd.DataFrame({
        "id": unique_ids(table["file_name"].str.removesuffix(".png"), csv_path, "file_name"),
        "image_path": [media_path(image_dir, name) for name in table["file_name"]],
    })
    for dim, name in (("val", "valence"), ("aro", "arousal")):
        means = {group: numeric(table, f"{dim}_mean_{group}", csv_path, low=1, high=9) for group in ("us", "ch")}
        counts = {group: numeric(table, f"{dim}_n_{group}", csv_path, low=1) for group in ("us", "ch")}
        pooled = (means["us"] * counts["us"] + means["ch"] * counts["ch"]) / (counts["us"] + counts["ch"])
        frame[name] = from_1_to_9(pooled if sample == "pooled" else means[sample])
        for group in ("us", "ch"):
            frame[f"{name}_{group}"] = from_1_to_9(means[group])
            frame[f"{name}_n_{group}"] = counts[group].astype(int)
    frame["keywords"] = table["keywords"]
    frame["source"] = table["source"]
    return frame
