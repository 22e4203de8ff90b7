"""open-palettes on the leaderboard: a palette generator on the test songs (Music2Palette's Table 1 metrics).

For each test song: three palettes (seeds 0, 1, 2), scored as displayed (hex -> CIELab) against
the song's best-matched palette of the build; emotion vectors from the colour-emotion model the
build matched with. Metrics (definitions in :mod:`affectzoo.metrics.palette`): Div, Multi, CHO, BC,
ES, JS and ``delta_e`` (matched mean CIEDE2000 to the ground truth).
"""

from __future__ import annotations

import numpy as np
import torch

from affectzoo.leaderboard.rows import Measurement

SEEDS = (0, 1, 2)


def pad(palettes: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """CIELab palettes of 3-5 colours -> ``[B, 5, 3]`` and lengths."""
    lengths = torch.tensor([len(p) for p in palettes])
    out = torch.zeros(len(palettes), int(lengths.max()), 3, dtype=torch.float64)
    for i, palette in enumerate(palettes):
        out[i, :len(palette)] = palette
    return out, lengths


def score(samples: list[list[torch.Tensor]], truth: list[torch.Tensor], music_emotion: torch.Tensor, colour_model) -> dict:
    """The metrics of one engine: ``samples[i]`` are song i's palettes (CIELab), ``truth[i]`` its target."""
    from affectzoo.metrics.palette import (ConvexHullOverlap, EmotionJensenShannon, EmotionSimilarity,
                                           PaletteBhattacharyya, PaletteDiversity, PaletteMultiplicity,
                                           palette_distance)

    first, first_lengths = pad([s[0] for s in samples])
    target, target_lengths = pad(truth)
    emotion = torch.stack([colour_model.palette_emotion(s[0]) for s in samples]).double()
    metrics = {"Div": PaletteDiversity(), "CHO": ConvexHullOverlap(), "BC": PaletteBhattacharyya(),
               "ES": EmotionSimilarity(), "JS": EmotionJensenShannon()}
    metrics["Div"].update(first, first_lengths)
    metrics["CHO"].update(first, target, first_lengths, target_lengths)
    metrics["BC"].update(first, target, first_lengths, target_lengths)
    metrics["ES"].update(music_emotion, emotion)
    metrics["JS"].update(music_emotion, emotion)
    out = {name: round(float(metric.compute()), 4) for name, metric in metrics.items()}
    if all(len(s) > 1 for s in samples):
        multi = PaletteMultiplicity()
        for song in samples:
            stacked, lengths = pad(song)
            multi.update(stacked[None], lengths[None])
        out["Multi"] = round(float(multi.compute()), 4)
    else:
        out["Multi"] = 0.0
    out["delta_e"] = round(float(np.mean([palette_distance(s[0], t) for s, t in zip(samples, truth)])), 4)
    return out


def evaluate(model, cfg, root: str, split: str = "test") -> list[Measurement]:
    from affectzoo.affect.color import hex_to_lab
    from affectzoo.affect.russell import va_to_emotion
    from affectzoo.data.builds import build, load_build
    from affectzoo.data.datamodules import OpenPalettesDataModule

    build("open-palettes", root)
    tables = load_build("open-palettes")
    palettes = tables["palettes"].set_index("palette_id")
    hex_columns = [c for c in palettes.columns if c.startswith("hex_")]
    best = tables["matches"][tables["matches"]["best"]].set_index("music_id")["palette_id"]
    songs = tables["music"][tables["music"]["split"] == split].reset_index(drop=True)
    samples = [[hex_to_lab(model.generate(path, seed=s)[0]) for s in SEEDS] for path in songs["audio_path"]]
    truth = [hex_to_lab(list(palettes.loc[best[song], hex_columns])) for song in songs["id"]]
    emotion = va_to_emotion(torch.tensor(songs[["valence", "arousal"]].to_numpy(), dtype=torch.float64))
    figures = score(samples, truth, emotion, OpenPalettesDataModule(root=root).color_emotion)
    return [Measurement(split, metric, value, len(songs), "palette-generator") for metric, value in figures.items()]
