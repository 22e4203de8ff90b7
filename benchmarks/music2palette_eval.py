"""Music2Palette on the open-palettes test split: the six Table 1 metrics beside baseline C and a random floor.

For each test song: three palettes from the model (seeds 0, 1, 2; the displayed sRGB colours, i.e.
hex, are what is scored), the song's best-matched palette of ``open-palettes`` as ground truth,
and the song's emotion vector from its V/A labels (``affectzoo.affect.russell.va_to_emotion``).
Palette emotion vectors come from the colour-emotion model the build matched with (fitted from
BCP-37 and the Bottini picks under ``--root``). Engines:

* ``music2palette``: the model (``--model``: a name, folder or .ckpt);
* ``baseline C``: the song's V/A labels -> the OASIS photo nearest in V/A -> its five-colour
  k-means palette in CIELab (:class:`~affectzoo.models.music2palette.baseline_c.ImagePaletteBaseline`;
  deterministic, so its Multi is 0 by construction);
* ``random``: five uniformly random sRGB colours per sample (seeded), a floor.

Metrics (definitions in :mod:`affectzoo.metrics.palette`): Div, Multi (the three samples), CHO
(exact convex-hull IoU in CIELab against the ground truth), BC, ES, JS, and ``delta_e`` (matched
mean CIEDE2000 to the ground truth). Also the number of distinct palettes (first sample) over the
test songs, and the saturation check: Spearman correlation, over the held-out real recordings
(Emotify, DEAM; test split, and test + val), of the mean chroma of each song's palettes with
its arousal label.

    python benchmarks/music2palette_eval.py --json benchmarks/results/music2palette_eval.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from scipy.stats import spearmanr
from tqdm.auto import tqdm

from affectzoo.leaderboard.open_palettes import SEEDS, score
from results_csv import append_rows

REAL_SOURCES = ("emotify", "deam")


def main() -> None:
    import affectzoo
    from affectzoo.affect.color import hex_to_lab, lab_to_hex, lab_to_lch, srgb_to_lab
    from affectzoo.affect.russell import va_to_emotion
    from affectzoo.data.builds import build, load_build
    from affectzoo.data.datamodules import OpenPalettesDataModule
    from affectzoo.models.music2palette.baseline_c import ImagePaletteBaseline

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="../shared/data")
    parser.add_argument("--model", default="music2palette")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    build("open-palettes", args.root)
    tables = load_build("open-palettes")
    palettes = tables["palettes"].set_index("palette_id")
    hex_columns = [c for c in palettes.columns if c.startswith("hex_")]
    best = tables["matches"][tables["matches"]["best"]].set_index("music_id")["palette_id"]
    music = tables["music"]
    test = music[music["split"] == "test"].reset_index(drop=True)
    colour_model = OpenPalettesDataModule(root=args.root).color_emotion
    model = affectzoo.load(args.model)
    build("open-image-va", args.root)
    images = load_build("open-image-va")["items"]
    baseline = ImagePaletteBaseline(images[images["source"] == "oasis"].reset_index(drop=True))
    rng = np.random.default_rng(0)

    def engine_samples(rows) -> dict[str, list[list[torch.Tensor]]]:
        out = {"music2palette": [], "baseline C": [], "random": []}
        for row in tqdm(list(rows.itertuples()), desc="songs"):
            out["music2palette"].append([hex_to_lab(model.generate(row.audio_path, seed=s)[0]) for s in SEEDS])
            out["baseline C"].append([baseline.palette_for_va([row.valence, row.arousal])])
            out["random"].append([srgb_to_lab(torch.from_numpy(rng.uniform(0, 1, (5, 3)))) for _ in SEEDS])
        return out

    samples = engine_samples(test)
    truth = [hex_to_lab(list(palettes.loc[best[mid], hex_columns])) for mid in test["id"]]
    music_emotion = va_to_emotion(torch.tensor(test[["valence", "arousal"]].to_numpy(), dtype=torch.float64))
    result = {name: score(engine, truth, music_emotion, colour_model) for name, engine in samples.items()}
    for name in ("music2palette", "baseline C"):  # first samples, compared as displayed (hex)
        result[name]["distinct_palettes"] = len({tuple(lab_to_hex(song[0])) for song in samples[name]})
    held_out = music[music["split"].isin(["test", "val"]) & music["source"].isin(REAL_SOURCES)].reset_index(drop=True)
    held_samples = engine_samples(held_out)
    for name in ("music2palette", "baseline C"):
        chroma = np.array([np.mean([lab_to_lch(p)[:, 1].mean().item() for p in song]) for song in held_samples[name]])
        for label, mask in (("test", held_out["split"] == "test"), ("test+val", np.ones(len(held_out), bool))):
            srcc = spearmanr(chroma[mask], held_out.loc[mask, "arousal"]).statistic
            result[name][f"chroma_vs_arousal_srcc_real_{label}"] = round(float(srcc), 4)
            result[name][f"real_songs_{label}"] = int(mask.sum())
    print(json.dumps(result, indent=1))
    append_rows("music2palette_eval", [{"measurement": f"{name} {metric}", "value": value, "n": len(test)}
                                       for name, metrics in result.items() for metric, value in metrics.items()])
    if args.json:
        from affectzoo._io import atomic_write_text

        command = "python benchmarks/music2palette_eval.py" + (f" --model {args.model}" if args.model != "music2palette" else "")
        cards = {f"open-palettes test ({len(test)} songs): {name}": {"metrics": metrics, "command": command}
                 for name, metrics in result.items()}
        atomic_write_text(args.json, json.dumps(cards, indent=1) + "\n")


if __name__ == "__main__":
    main()
