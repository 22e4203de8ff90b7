"""Which mpjudge_lite0_musicnn settings learn open-pairs? (CSV rows in results/mpjudge_open_variants.csv)

Trains each variant for ``--steps`` Adam steps (batch 32, lr 3e-4, weight decay 0.05, MSE + V/A
heads, no DPO: the quick comparison) on the open-pairs train split held in memory as cached encoder
outputs (Lite0 tokens, musicnn patch features), and every 500 steps reports on the val split: SRCC
of the score, and SRCC of the auxiliary heads' image valence, music valence and music arousal.

    python benchmarks/mpjudge_open_variants.py ["fusion='man'" "fusion='concat'" "va_prior=True" ...]

Each argument is keyword arguments for ``create_model("mpjudge_lite0_musicnn", ...)``; the
default runs MAN and concatenation without the V/A prior, and MAN with it.
"""

from __future__ import annotations

import argparse
import ast

import torch
import torch.nn.functional as F
from tqdm import tqdm

import affectzoo
from affectzoo.data.datamodules import OpenPairsDataModule
from torchmetrics.functional import spearman_corrcoef
from affectzoo.affect.scales import PAIR_VA_LABELS as VA_LABELS
from results_csv import append_rows

ARCH = "mpjudge_lite0_musicnn"
DEFAULT_VARIANTS = ["va_prior=False", "va_prior=False, fusion='concat'", "va_prior=True"]


def split_tensors(data: OpenPairsDataModule, split: str) -> dict[str, torch.Tensor]:
    """Every pair of a split as stacked tensors (music features zero-padded to the longest clip)."""
    samples = [data.datasets[split][i] for i in tqdm(range(len(data.datasets[split])), desc=f"{split} features")]
    patches = max(len(s["music_features"]) for s in samples)
    music = [F.pad(s["music_features"], (0, 0, 0, patches - len(s["music_features"]))) for s in samples]
    out = {"image_tokens": torch.stack([s["image_tokens"] for s in samples]), "music_features": torch.stack(music)}
    return {**out, **{k: torch.stack([s[k] for s in samples]).float() for k in ("score", *VA_LABELS)}}


def srcc(preds: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return spearman_corrcoef(preds.float(), target.float())


def keyword_args(text: str) -> dict:
    call = ast.parse(f"f({text})", mode="eval").body
    return {k.arg: ast.literal_eval(k.value) for k in call.keywords}


@torch.no_grad()
def validate(model, val: dict[str, torch.Tensor]) -> dict[str, float]:
    model.eval()
    scores = torch.cat([model(val["image_tokens"][i:i + 256], val["music_features"][i:i + 256])
                        for i in range(0, len(val["score"]), 256)])
    image_va, music_va = model.net.predict_va(val["image_tokens"], model.net.encode_music(val["music_features"])[1])
    model.train()
    return {"val srcc": float(srcc(scores, val["score"])),
            "val image valence srcc": float(srcc(image_va[:, 0], val["image_valence"])),
            "val music valence srcc": float(srcc(music_va[:, 0], val["music_valence"])),
            "val music arousal srcc": float(srcc(music_va[:, 1], val["music_arousal"]))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="*", default=DEFAULT_VARIANTS)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--root", default="../shared/data")
    args = parser.parse_args()
    data = OpenPairsDataModule(root=args.root, image_tokens=True, music_features=True, item_va=True,
                               preferences=False)
    data.attach_model(affectzoo.create_model(ARCH))
    data.prepare_data()
    data.setup()
    train, val = split_tensors(data, "train"), split_tensors(data, "val")
    rows = []
    for variant in args.variants:
        torch.manual_seed(0)
        model = affectzoo.create_model(ARCH, lambda_dpo=0.0, **keyword_args(variant))
        optimiser = torch.optim.Adam(model.net.parameters(), lr=3e-4, weight_decay=0.05)
        generator = torch.Generator().manual_seed(0)
        for step in tqdm(range(1, args.steps + 1), desc=variant):
            index = torch.randint(len(train["score"]), (32,), generator=generator)
            loss = model.compute_losses({k: v[index] for k, v in train.items()})["loss"]
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            if step % 500 == 0 or step == args.steps:
                rows += [{"measurement": f"{variant}: {name}", "value": round(value, 4), "n": step,
                          "note": "n = training steps"} for name, value in validate(model, val).items()]
    append_rows("mpjudge_open_variants", rows)


if __name__ == "__main__":
    main()
