"""ImageMusic valence/arousal on the open-image-va and open-music-va test splits, per source.

Each source is scored with the metrics its labels allow (the builds' ``label_type``):

- continuous ratings (OASIS, BASS, VGMIDI, DEAM): SRCC and MAE of valence and of arousal
  (SRCC needs at least 3 items; DEAM's test split has 1);
- binary quadrant labels (EMOPIA): sign accuracy of valence and of arousal, quadrant accuracy;
- GEMS-derived proxies (Emotify): SRCC against the proxy only, named ``*_proxy_srcc``.

Writes CSV rows to results/imagemusic_va.csv, and with ``--json FILE`` the same numbers in the
layout ``affectzoo export --metrics-json`` reads (one dataset entry per build and source).

    python benchmarks/imagemusic_va.py [--model imagemusic] [--split test] [--json va.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd
import torch
from tqdm import tqdm

import affectzoo
from affectzoo.data.builds import load_build
from affectzoo.leaderboard.open_va import AXES, source_metrics
from results_csv import append_rows

def predict(model, items: pd.DataFrame, modality: str, batch: int = 32) -> torch.Tensor:
    column = "image_path" if modality == "image" else "audio_path"
    paths = items[column].tolist()
    chunks = []
    for start in tqdm(range(0, len(paths), batch), desc=f"{modality} V/A"):
        chunk = paths[start:start + batch]
        chunks.append(model.predict_va(**{"images" if modality == "image" else "audio": chunk})[modality])
    return torch.cat(chunks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="imagemusic", help="name, alias or path for affectzoo.load")
    parser.add_argument("--split", default="test", choices=["val", "test"])
    parser.add_argument("--json", type=Path, help="also write the metrics for `affectzoo export --metrics-json`")
    args = parser.parse_args()
    model = affectzoo.load(args.model).eval()
    name = model.pretrained_cfg.name or args.model
    command = "python benchmarks/imagemusic_va.py " + " ".join(sys.argv[1:])
    rows, card = [], {}
    for build, modality in (("open-image-va", "image"), ("open-music-va", "music")):
        items = load_build(build)["items"]
        items = items[items["split"] == args.split]
        predicted = predict(model, items, modality)
        labels = torch.tensor(items[list(AXES)].to_numpy(), dtype=torch.float32)
        for (source, label_type), index in items.reset_index(drop=True).groupby(["source", "label_type"]).groups.items():
            index = torch.as_tensor(list(index))
            metrics = source_metrics(label_type, predicted[index], labels[index])
            dataset = f"{build} {args.split}: {source}"
            card[dataset] = {"metrics": {k: round(v, 4) for k, v in metrics.items()}, "command": command}
            rows += [{"measurement": f"{name} {source} {metric}", "value": round(value, 4), "n": len(index),
                      "note": f"{build} {args.split} ({label_type} labels)"} for metric, value in metrics.items()]
    append_rows("imagemusic_va", rows)
    if args.json:
        args.json.write_text(json.dumps(card, indent=2))
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
