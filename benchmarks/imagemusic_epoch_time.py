"""ImageMusic training and validation time per epoch for each backbone pair (paper table 1, this CPU).

Every pair of image backbone (MobileNetV3-Large, ResNet-18, EfficientNet-B4, EfficientNet-Lite0) and
music branch (SampleCNN, musicnn) trains on the same fixed subset of open-pairs (the first
``--train-pairs`` training and ``--val-pairs`` validation pairs, in build order), batch 32, with the
paper's pipeline: images as pixels through the frozen backbone every step (random crop and flip),
SampleCNN on raw 22,050-Hz audio (random 59,049-sample crops; validation averages the segments of a
10-s window), musicnn on its cached patch features (frozen: extracted once per clip, outside the epoch
time; the cost of one extraction is its own row). Times include data loading. Rows: seconds per epoch
on the subset, the same scaled to a full open-pairs epoch (15,990 train / 2,010 val pairs), and each
pair's training time as a ratio to the fastest pair's. The open recipe's pipeline (Lite0 and musicnn
features both cached) is timed as one more row.

    python benchmarks/imagemusic_epoch_time.py [--train-pairs 32] [--val-pairs 32] [--root ../shared/data]

Needs the open-pairs build (``affectzoo data build open-pairs --root ../shared/data``).
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.utils.data import DataLoader, Subset

import affectzoo
from affectzoo.data.collate import collate_padded
from affectzoo.data.datamodules import OpenPairsVADataModule
from results_csv import append_rows

IMAGE_BACKBONES = {"mobilenetv3": "mobilenetv3_large_100", "resnet18": "resnet18",
                   "efficientnet_b4": "efficientnet_b4", "lite0": "tf_efficientnet_lite0"}
FULL_EPOCH = {"train": 15_990, "val": 2_010}


def loaders(root: str, model, n_train: int, n_val: int, cached_images: bool = False) -> dict[str, DataLoader]:
    """Train and val loaders over the fixed subsets, prepared as ``model`` wants (musicnn: its cached
    features; ``cached_images``: the Lite0 features of the open recipe instead of pixels)."""
    musicnn = model.hparams.music_branch == "musicnn"
    dm = OpenPairsVADataModule(root=root, batch_size=32, image_tokens=cached_images, music_features=musicnn)
    dm.attach_model(model)
    dm.setup()
    sizes = {"train": n_train, "val": n_val}
    return {split: DataLoader(Subset(dm.datasets[split], range(sizes[split])), batch_size=32, shuffle=False,
                              collate_fn=collate_padded) for split in sizes}


def epoch_seconds(model, data: dict[str, DataLoader]) -> dict[str, float]:
    """Seconds of one training pass (forward, backward, Adam step) and one validation pass.

    A first, untimed pass over both loaders fills the feature caches.
    """
    optimiser = model.configure_optimizers()
    model.log = lambda *args, **kwargs: None  # no Trainer: logging is not what is measured
    for loader in data.values():
        for _ in loader:
            pass
    model.train()
    times = {}
    start = time.perf_counter()
    for index, batch in enumerate(data["train"]):
        loss = model.training_step(batch, index)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    times["train"] = time.perf_counter() - start
    model.eval()
    start = time.perf_counter()
    with torch.no_grad():
        for index, batch in enumerate(data["val"]):
            model.validation_step(batch, index)
    times["val"] = time.perf_counter() - start
    model.val_metrics.reset(), model.val_map.reset()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-pairs", type=int, default=32)
    parser.add_argument("--val-pairs", type=int, default=32)
    parser.add_argument("--root", default="../shared/data")
    args = parser.parse_args()
    note = f"subset: first {args.train_pairs} train / {args.val_pairs} val pairs of open-pairs, batch 32"
    rows, train_times = [], {}
    for image_tag, backbone in IMAGE_BACKBONES.items():
        for branch in ("samplecnn", "musicnn"):
            torch.manual_seed(0)
            model = affectzoo.create_model(f"imagemusic_lite0.{branch}", image_backbone=backbone)
            times = epoch_seconds(model, loaders(args.root, model, args.train_pairs, args.val_pairs))
            pair = f"{image_tag} + {branch}"
            train_times[pair] = times["train"]
            for split, sizes in (("train", args.train_pairs), ("val", args.val_pairs)):
                rows.append({"measurement": f"{pair}: {split} epoch on subset", "value": round(times[split], 2),
                             "unit": "s", "n": sizes, "note": note})
                rows.append({"measurement": f"{pair}: {split} epoch, full open-pairs (scaled)",
                             "value": round(times[split] * FULL_EPOCH[split] / sizes, 0), "unit": "s",
                             "n": FULL_EPOCH[split], "note": "subset time x full size / subset size"})
    fastest = min(train_times, key=train_times.get)
    for pair, seconds in train_times.items():
        rows.append({"measurement": f"{pair}: train time vs fastest pair", "value": round(seconds, 2), "unit": "s",
                     "ratio_to": fastest, "ratio": round(seconds / train_times[fastest], 2), "n": args.train_pairs})
    torch.manual_seed(0)
    model = affectzoo.create_model("imagemusic_lite0.musicnn")
    clip = torch.randn(15 * 16_000) * 0.1
    start = time.perf_counter()
    model.music_backbone.patch_features(clip)
    rows.append({"measurement": "musicnn features of one 15-s clip (frozen: once per clip)",
                 "value": round(time.perf_counter() - start, 3), "unit": "s", "n": 1})
    times = epoch_seconds(model, loaders(args.root, model, args.train_pairs, args.val_pairs, cached_images=True))
    for split, sizes in (("train", args.train_pairs), ("val", args.val_pairs)):
        rows.append({"measurement": f"open recipe (lite0 + musicnn, both cached): {split} epoch, full (scaled)",
                     "value": round(times[split] * FULL_EPOCH[split] / sizes, 1), "unit": "s",
                     "n": FULL_EPOCH[split], "note": note + "; features cached before timing"})
    append_rows("imagemusic_epoch_time", rows)


if __name__ == "__main__":
    main()
