"""``open-image-va``: OASIS photos and BASS shapes with valence/arousal, split 80/10/10 by item."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from affectzoo.data.builds.registry import BuildResult, register_build
from affectzoo.data.builds.splits import split_counts, split_groups
from affectzoo.data.readers import read_bass, read_oasis

COLUMNS = ["id", "source", "image_path", "valence", "arousal", "label_type", "category", "split"]


def image_items(root: Path, seed: int) -> pd.DataFrame:
    """OASIS (images present only) + BASS (pooled US/Chinese means), each source split 80/10/10."""
    oasis = read_oasis(root / "oasis", drop_missing=True)
    oasis = oasis.assign(id="oasis:" + oasis["id"], source="oasis", category=oasis["category"])
    bass = read_bass(root / "bass")
    bass = bass.assign(id="bass:" + bass["id"], source="bass", category="shape")
    frames = []
    for frame in (oasis, bass):
        frame = frame.assign(label_type="continuous").sort_values("id", kind="stable")
        frames.append(frame.assign(split=split_groups(frame["id"].tolist(), seed=seed)))
    return pd.concat(frames, ignore_index=True)[COLUMNS]


@register_build("open-image-va", version=1,
                description="Images with human valence/arousal ratings: OASIS photos + BASS shapes, 80/10/10 by item")
def build_open_image_va(root: Path, seed: int) -> BuildResult:
    items = image_items(root, seed)
    counts = split_counts(items)
    return BuildResult(
        tables={"items": items},
        counts=counts,
        label_sources={
            "oasis": "OASIS Valence_mean/Arousal_mean (1-7, ~100 raters per image) -> (x-4)/3; only the "
                     "750 images present in the shared copy",
            "bass": "BASS val/aro means (1-9) pooled over the US and Chinese samples -> (x-5)/4",
            "metrics": "continuous labels: SRCC, PLCC, MAE, RMSE of predicted valence and arousal",
        },
        licences={"oasis": "authors: free use in research; no copyright restrictions claimed",
                  "bass": "CC BY 4.0"},
        notes=["OASIS contains nudity, gore and violence: filter on `category`/theme for demos",
               "splits are by item, separately per source, seeded"],
    )
