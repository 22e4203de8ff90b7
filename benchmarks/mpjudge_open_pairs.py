"""MPJudge on the open-pairs test split, fp32 and dynamic int8 (CSV rows in results/mpjudge_open_pairs.csv).

1. Accuracy of a model loaded with ``affectzoo.load`` (default: the family alias ``mpjudge``, i.e.
   the shipped weights): SRCC, PLCC, MAE and ACC (prediction and target on the same side of 0.5)
   over every scored pair of the split, and preference accuracy over its preference pairs. These
   are the numbers of the model card; rerunning this script reproduces them.
2. The same after dynamic int8 quantisation of the Linear layers of its trainable network
   (``torch.ao.quantization.quantize_dynamic``; the MultiheadAttention output projections are not
   dynamically quantisable and stay fp32), with the change in SRCC.
3. Speed of fp32 against int8: the model's own network on the split's cached encoder outputs, and
   the paper configuration (``mpjudge``, random init, batch 8), where the Linear layers dominate.

    python benchmarks/mpjudge_open_pairs.py [--model mpjudge] [--split test] [--root ../shared/data]

Needs the open-pairs build and its caches (``affectzoo data build open-pairs --root ../shared/data``).
"""

from __future__ import annotations

import argparse
import copy
import time
import warnings

import torch
from torch import nn
from tqdm import tqdm

import affectzoo
from affectzoo.data.datamodules import OpenPairsDataModule
from affectzoo.metrics import MAE, PLCC, SRCC, ThresholdAccuracy
from results_csv import append_rows


def quantized(model):
    """A copy of ``model`` whose trainable network's Linear layers run in dynamic int8."""
    from torch.ao.quantization import quantize_dynamic

    model = copy.deepcopy(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # quantized-tensor deprecation notice of torch 2.14
        model.net = quantize_dynamic(model.net, {nn.Linear}, dtype=torch.qint8)
    return model


def encoded_split(model, split: str, root: str) -> tuple[list[dict], list[dict]]:
    """The split's pair batches and preference batches, paintings and music as ``model``'s cached encoder outputs."""
    prior = model.va_prior is not None
    data = OpenPairsDataModule(root=root, image_tokens=True, music_features=True, prior_va=prior, batch_size=64,
                               preferences=True)
    data.attach_model(model)
    data.prepare_data()
    data.setup()
    loader = {"val": data.val_dataloader, "test": data.test_dataloader}[split]()
    pairs, prefs = [], []
    for batch in tqdm(loader, desc=f"open-pairs {split}: cached features"):
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mpjudge", help="name, alias or path for affectzoo.load")
    parser.add_argument("--split", default="test", choices=["val", "test"])
    parser.add_argument("--root", default="../shared/data", help="the open data (for a first build)")
    args = parser.parse_args()
    model = affectzoo.load(args.model).eval()
    name = model.pretrained_cfg.name or args.model
    pairs, prefs = encoded_split(model, args.split, args.root)
    int8 = quantized(model).eval()
    fp32_scores, int8_scores = evaluate(model, pairs, prefs), evaluate(int8, pairs, prefs)
    n = sum(len(b["score"]) for b in pairs)
    rows = [{"measurement": f"{name} {metric} fp32", "value": round(value, 4), "n": n,
             "note": f"open-pairs {args.split}"} for metric, value in fp32_scores.items()]
    rows += [{"measurement": f"{name} {metric} int8", "value": round(value, 4), "n": n,
              "ratio_to": f"{name} {metric} fp32", "ratio": round(value - fp32_scores[metric], 4),
              "note": f"open-pairs {args.split}; ratio column = int8 minus fp32"}
             for metric, value in int8_scores.items()]

    def run_all(m):
        with torch.no_grad():
            for batch in pairs:
                m(batch["image"], batch["music"], batch["composition"])

    fp32_s, int8_s = seconds(lambda: run_all(model)), seconds(lambda: run_all(int8))
    rows += [{"measurement": f"{name} network fp32", "value": round(n / fp32_s, 1), "unit": "pairs/s", "n": n,
              "note": "cached encoder outputs, batch 64"},
             {"measurement": f"{name} network int8", "value": round(n / int8_s, 1), "unit": "pairs/s", "n": n,
              "ratio_to": f"{name} network fp32", "ratio": round(fp32_s / int8_s, 3), "note": "speed-up"}]
    torch.manual_seed(0)
    paper = affectzoo.create_model("mpjudge").eval()
    paper_int8 = quantized(paper).eval()
    images, mels = torch.randn(8, 3, 256, 256), torch.randn(8, 469, 128)
    with torch.no_grad():
        paper_s, paper_int8_s = seconds(lambda: paper(images, mels)), seconds(lambda: paper_int8(images, mels))
    rows += [{"measurement": "paper config fp32, batch 8", "value": round(8 / paper_s, 2), "unit": "pairs/s", "n": 8},
             {"measurement": "paper config int8, batch 8", "value": round(8 / paper_int8_s, 2), "unit": "pairs/s",
              "n": 8, "ratio_to": "paper config fp32, batch 8", "ratio": round(paper_s / paper_int8_s, 3),
              "note": "speed-up; random init"}]
    append_rows("mpjudge_open_pairs", rows)


if __name__ == "__main__":
    main()
