"""Fill the feature cache of the labelled V/A items for the named frozen encoders (slow: run once).

    python benchmarks/va_features.py music MTT_musicnn MSD_musicnn audio-statistics --augments 2
    python benchmarks/va_features.py image tf_efficientnet_lite0 tf_efficientnet_lite1 \
        tf_efficientnet_lite2 colour-statistics

The study (``va_transfer.py``) and the V/A recipe read the same cache entries afterwards. Files
that cannot be read are reported and left out. Give each of two parallel runs
``OMP_NUM_THREADS=1`` on a 2-core machine.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
import torch
from tqdm import tqdm

from affectzoo.backbones.named import build_encoder
from affectzoo.data.va_items import image_items, music_items
from affectzoo.errors import InputError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modality", choices=("music", "image"))
    parser.add_argument("encoders", nargs="+")
    parser.add_argument("--root", default="../shared/data")
    parser.add_argument("--augments", type=int, default=0, help="augmented variants of each real recording")
    parser.add_argument("--programs", default="none", choices=("none", "one", "all"),
                        help="MIDI renderings in other General MIDI programs")
    args = parser.parse_args()
    table = (music_items(args.root, augments=args.augments, programs=args.programs) if args.modality == "music"
             else image_items(args.root))
    column = "audio_path" if args.modality == "music" else "image_path"
    for name in args.encoders:
        encoder = build_encoder(name)
        started, failures = time.perf_counter(), []
        for path, augment in tqdm(list(zip(table[column], table["augment"])), desc=name, unit="item"):
            try:
                with torch.no_grad():
                    encoder.cached(path, augment=None if pd.isna(augment) else int(augment))
            except InputError as err:
                failures.append(str(err))
        print(f"{name}: {len(table)} items in {time.perf_counter() - started:.0f} s; {len(failures)} failed")
        for failure in failures[:10]:
            print("  ", failure)


if __name__ == "__main__":
    main()
