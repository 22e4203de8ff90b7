"""``open-palettes``: music matched to colour palettes through Russell emotion vectors.

Music2Palette's automated matching step: each music item's V/A becomes an eight-category
Russell emotion vector; each nice-color-palettes palette gets one from a colour-emotion model
fitted here to human colour data (BCP-37 ratings, Bottini experiment 4 picks); palettes are
ranked by cosine similarity, keeping the top 5 candidates and the best one per music item.
Music: ``open-music-va`` items with continuous or proxy V/A (EMOPIA's binary labels carry no
intensity and are left out).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from affectzoo.affect.color_emotion import ColorEmotionModel
from affectzoo.affect.russell import CATEGORIES, emotion_similarity, va_to_emotion
from affectzoo.data.builds.registry import BuildResult, register_build
from affectzoo.data.builds.splits import split_counts
from affectzoo.data.readers_palettes import read_bcp37, read_bottini_experiment4, read_nice_palettes

TOP_K = 5


@register_build("open-palettes", version=1,
                description="Music matched to nice-color-palettes via Russell emotion vectors (top-5 and best)",
                needs=("open-music-va",))
def build_open_palettes(root: Path, seed: int, inputs: dict) -> BuildResult:
    music = inputs["open-music-va"]["items"]
    music = music[music["label_type"].isin(["continuous", "proxy"])].reset_index(drop=True)
    palettes = read_nice_palettes(root / "palettes" / "nice_color_palettes" / "1000.json")
    hex_columns = [c for c in palettes.columns if c.startswith("hex_")]
    model = ColorEmotionModel.fit(read_bcp37(root / "palettes" / "bcp37" / "T_BCP.csv"),
                                  read_bottini_experiment4(root / "color_emotion"))
    palette_emotion = torch.stack([model.palette_emotion(list(row)) for row in palettes[hex_columns].values])
    music_emotion = va_to_emotion(torch.tensor(music[["valence", "arousal"]].values, dtype=torch.float64))
    similarity = emotion_similarity(music_emotion[:, None, :], palette_emotion[None, :, :].to(music_emotion))
    scores, ranked = similarity.topk(TOP_K, dim=1)
    matches = pd.DataFrame([
        (music_id, rank + 1, palettes["palette_id"].iloc[int(ranked[m, rank])], float(scores[m, rank]), rank == 0)
        for m, music_id in enumerate(music["id"]) for rank in range(TOP_K)
    ], columns=["music_id", "rank", "palette_id", "similarity", "best"])
    emotion_columns = {f"emotion_{name}": palette_emotion[:, k].numpy() for k, name in enumerate(CATEGORIES)}
    palettes = palettes.assign(**emotion_columns,
                               top_category=[CATEGORIES[int(k)] for k in palette_emotion.argmax(dim=1)])
    music_table = music[["id", "source", "audio_path", "valence", "arousal", "label_type", "split"]]
    best = matches[matches.best]
    return BuildResult(
        tables={"music": music_table, "palettes": palettes, "matches": matches},
        counts={"music": split_counts(music_table),
                "palettes": len(palettes), "distinct_best_palettes": int(best["palette_id"].nunique()),
                "palette_top_category": palettes["top_category"].value_counts().to_dict(),
                "fit": model.fit_stats},
        label_sources={
            "music_emotion": "Russell 8-category vector from the item's V/A (affectzoo.affect.russell)",
            "palette_emotion": "mean over the palette's colours of a colour-emotion model fitted to BCP-37 "
                               "happy/sad/angry ratings and Bottini experiment-4 emotion-word colour picks",
            "match": "cosine similarity of the two vectors: automated matching, not human judgement",
        },
        licences={"palettes": "nice-color-palettes (MIT)", "bcp37": "no licence stated",
                  "bottini": "GPL-3.0", "music": "see open-music-va"},
        notes=["color_emotion_model.json embeds BCP-37 colours and Bottini picks: keep it out of the repo"],
        json_files={"color_emotion_model": model.to_dict()},
    )
