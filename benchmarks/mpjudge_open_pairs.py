"""MPJudge on the open-pairs test split in each inference precision (CSV rows in results/mpjudge_open_pairs.csv).

1. Accuracy of a model loaded with ``affectzoo.load`` (default: the family alias ``mpjudge``, i.e.
   the shipped weights): SRCC, PLCC, MAE and ACC (prediction and target on the same side of 0.5)
   over every scored pair of the split, and preference accuracy over its preference pairs. These
   are the numbers of the model card; rerunning this script reproduces them.
2. The same in each of the zoo's reduced precisions (``load(..., precision="bf16-mixed" | "int8" |
   "int8-static")``, :mod:`affectzoo.precision`), with the change of every metric against fp32;
   ``int8-static`` calibrates its activation ranges on the first four batches (256 pairs) of the other
   split (val for test), never on the pairs it is scored on.
3. Speed of the model's own network on the split's cached encoder outputs in each precision, as a
   ratio to fp32 in the same run (the paper configuration's speed: ``benchmarks/mpjudge_speed.py``).

    python benchmarks/mpjudge_open_pairs.py [--model mpjudge] [--split test] [--root ../shared/data]

Needs the open-pairs build and its caches (``affectzoo data build open-pairs --root ../shared/data``).
"""

from __future__ import annotations

import argparse
import time

import torch
from tqdm import tqdm

import affectzoo
from affectzoo.data.datamodules import OpenPairsDataModule
from affectzoo.metrics import MAE, PLCC, SRCC, ThresholdAccuracy
from affectzoo.static_int8 import calibrating
from results_csv import append_rows


def encoded_split(model, split: str, root: str, max_batches: int | None = None) -> tuple[list[dict], list[dict]]:
    """The split's pair batches and preference batches (the first ``max_batches`` of them, or all),
    paintings and music as ``model``'s cached encoder outputs."""
    prior = model.va_prior is not None
    data = OpenPairsDataModule(root=root, image_tokens=True, music_features=True, prior_va=prior, batch_size=64,
                               preferences=True)
    data.attach_model(model)
    data.prepare_data()
    data.setup()
    loader = {"val": data.val_dataloader, "test": data.test_dataloader}[split]()
    pairs, prefs = [], []
    for index, batch in enumerate(tqdm(loader, desc=f"open-pairs {split}: cached features", total=max_batches)):
        if index == max_batches:
            break
        pairs.append({"image": batch["image_tokens"], "music": batch["music_features"], "score": batch["score"],
                      "composition": model._batch_composition(batch)})
        if "pref" in batch:
            pref = batch["pref"]
            prefs.append({**{k: pref[k] for k in ("image_tokens_pos", "image_tokens_neg", "mel_pos", "mel_neg")},
                          "composition_pos": model._batch_composition(pref, "_pos"),
                          "composition_neg": model._batch_composition(pref, "_neg")})
    return pairs, prefs


@torch.no_grad()
def evaluate(model, pairs: list[dict], prefs: list[dict]) -> dict[str, float]:
    metrics = {"srcc": SRCC(), "plcc": PLCC(), "mae": MAE(), "acc": ThresholdAccuracy(0.5)}
    for batch in pairs:
        preds = model(batch["image"], batch["music"], batch["composition"])
        for metric in metrics.values():
            metric.update(preds, batch["score"])
    out = {name: float(metric.compute()) for name, metric in metrics.items()}
    correct = [model(p["image_tokens_pos"], p["mel_pos"], p["composition_pos"])
               > model(p["image_tokens_neg"], p["mel_neg"], p["composition_neg"]) for p in prefs]
    if correct:
        out["pref_acc"] = float(torch.cat(correct).float().mean())
    return out


def seconds(fn, repeats: int = 3) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    from affectzoo.precision import PRECISIONS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mpjudge", help="name, alias or path for affectzoo.load")
    parser.add_argument("--split", default="test", choices=["val", "test"])
    parser.add_argument("--root", default="../shared/data", help="the open data (for a first build)")
    args = parser.parse_args()
    models = {precision: affectzoo.load(args.model, precision=precision).eval() for precision in PRECISIONS}
    name = models["32-true"].pretrained_cfg.name or args.model
    pairs, prefs = encoded_split(models["32-true"], args.split, args.root)
    n = sum(len(b["score"]) for b in pairs)
    calibration, _ = encoded_split(models["32-true"], "val" if args.split == "test" else "test", args.root, 4)
    with torch.no_grad(), calibrating(models["int8-static"]):  # activation ranges over 256 val pairs
        for batch in calibration:
            models["int8-static"](batch["image"], batch["music"], batch["composition"])

    def run_all(m):
        with torch.no_grad():
            for batch in pairs:
                m(batch["image"], batch["music"], batch.get("composition"))

    scores = {precision: evaluate(model, pairs, prefs) for precision, model in models.items()}
    times = {precision: seconds(lambda: run_all(model)) for precision, model in models.items()}
    rows = []
    for precision in PRECISIONS:
        reference = precision != "32-true"
        rows += [{"measurement": f"{name} {metric} {precision}", "value": round(value, 4), "n": n,
                  **({"ratio_to": f"{name} {metric} 32-true", "ratio": round(value - scores["32-true"][metric], 4)}
                     if reference else {}),
                  "note": f"open-pairs {args.split}" + ("; ratio column = this minus fp32" if reference else "")}
                 for metric, value in scores[precision].items()]
        rows.append({"measurement": f"{name} network {precision}", "value": round(n / times[precision], 1),
                     "unit": "pairs/s", "n": n, "ratio_to": f"{name} network 32-true",
                     "ratio": round(times["32-true"] / times[precision], 3),
                     "note": "cached encoder outputs, batch 64; ratio = speed-up"})
    for row in rows:
        print(row)
    append_rows("mpjudge_open_pairs", rows)


if __name__ == "__main__":
    main()
