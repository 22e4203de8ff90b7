"""``open-pairs``: music–image pairs scored by emotion distance, plus preference pairs.

Images come from ``open-image-va``, music from ``open-music-va`` restricted to continuous human
ratings (VGMIDI pieces, DEAM clips): the IMUSE score needs real V/A on both sides, so EMOPIA
(binary) and Emotify (proxy) are left out. Pairs are formed inside each split only, so train,
val and test are disjoint in both images and music. See ``pairs`` for the scoring and sampling.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from affectzoo.data.builds.registry import BuildResult, register_build
from affectzoo.data.builds.pairs import preference_pairs, scored_pairs
from affectzoo.data.builds.splits import SPLITS


@register_build("open-pairs", version=1,
                description="Music-image pairs scored S = 1 - ||dVA|| (IMUSE), best/worst/random 5 music per "
                            "image, and MPD-style preference pairs", needs=("open-image-va", "open-music-va"))
def build_open_pairs(root: Path, seed: int, inputs: dict) -> BuildResult:
    images = inputs["open-image-va"]["items"]
    music = inputs["open-music-va"]["items"]
    music = music[music["label_type"] == "continuous"]
    pair_tables, pref_tables = [], []
    for offset, split in enumerate(SPLITS):
        split_pairs = scored_pairs(images[images.split == split], music[music.split == split], seed=seed + offset)
        pair_tables.append(split_pairs.assign(split=split))
        pref_tables.append(preference_pairs(split_pairs, seed=seed + offset).assign(split=split))
    image_paths = images.set_index("id")["image_path"]
    audio_paths = music.set_index("id")["audio_path"]
    pairs = pd.concat(pair_tables, ignore_index=True)
    pairs = pairs.assign(image_path=pairs["image_id"].map(image_paths), audio_path=pairs["music_id"].map(audio_paths))
    preferences = pd.concat(pref_tables, ignore_index=True)
    counts = {
        "pairs": pairs.groupby("split").size().to_dict(),
        "preferences": preferences.groupby(["split", "query_modality"]).size().unstack(fill_value=0).to_dict("index"),
        "images": pairs.groupby("split")["image_id"].nunique().to_dict(),
        "music": pairs.groupby("split")["music_id"].nunique().to_dict(),
        "score_mean": pairs.groupby("split")["score"].mean().round(4).to_dict(),
    }
    return BuildResult(
        tables={"pairs": pairs, "preferences": preferences},
        counts=counts,
        label_sources={
            "score": "S = 1 - sqrt(dV^2 + dA^2) on [0,1]-scaled V/A (IMUSE, Chheda et al. 2023) from the image "
                     "and music ratings of open-image-va / open-music-va; a derived label, not a human pair rating",
            "preferences": "MPD-style: for ambiguous scores (0.4-0.6), a query and two candidates of the other "
                           "modality differing by >= 0.02, the higher score preferred; both directions",
            "metrics": "SRCC, PLCC, MAE, ACC (score >= 0.5) on pairs; preference accuracy on preferences",
        },
        licences={"images": "OASIS (research use), BASS (CC BY 4.0)",
                  "music": "VGMIDI (no licence; cite), DEAM (non-commercial CC)"},
        notes=["music restricted to continuous human V/A (VGMIDI pieces, DEAM clips)",
               "pairs only within a split: images and music are each disjoint across splits"],
    )
