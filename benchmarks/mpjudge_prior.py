"""MPJudge with the zoo's V/A predictor as a frozen prior: ablations, seeds and the DPO beta sweep.

Trains ``recipes/mpjudge_prior_open.yaml`` with overrides and scores every run on the open-pairs
test split beside the V/A-distance composition of the prior's own predictor, computed in the same
run from the same cached V/A:

- ``prior only``: the composition, 1 - ||VA(image) - VA(music)|| / (2 sqrt 2) (no training);
- ``+ MAN``: the recipe without DPO (MSE + auxiliary V/A heads), the MAN network learning a
  correction to the prior;
- ``+ MAN + DPO``: the recipe (MSE + 0.5 DPO on the preference pairs + V/A heads), at each DPO beta.

Each ``train`` call writes one JSON file per run under ``--out`` (so two processes can share the
machine, each with ``OMP_NUM_THREADS=1``); ``report`` reads them, adds the composition rows,
prints the tables (mean and standard deviation over seeds) and appends CSV rows to
``results/mpjudge_prior.csv``.

    python benchmarks/mpjudge_prior.py train --variant man --seeds 0 1 2
    python benchmarks/mpjudge_prior.py train --variant dpo --seeds 0 1 2 --betas 1
    python benchmarks/mpjudge_prior.py train --variant dpo --seeds 0 --betas 0.1 10
    python benchmarks/mpjudge_prior.py report [--keep-best runs/mpjudge_prior_best]

Needs the open-pairs build (``affectzoo data build open-pairs --root ../shared/data``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import pearsonr, spearmanr

from mpjudge_open_pairs import encoded_split, evaluate
from results_csv import append_rows

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "mpjudge_prior_open.yaml"
VARIANTS = {"man": {"use_dpo": False}, "dpo": {"use_dpo": True}}
METRICS = ("srcc", "plcc", "mae", "acc", "pref_acc")


def recipe_prior() -> list[str]:
    """The V/A predictors the recipe uses as its frozen prior."""
    import yaml

    prior = yaml.safe_load(RECIPE.read_text())["model"]["init_args"]["prior_model"]
    return [prior] if isinstance(prior, str) else list(prior)


def prior_label(prior: list[str]) -> str:
    return "+".join(prior)


def prior_setting(prior: list[str]) -> str | list[str]:
    """``prior_model`` as MPJudge takes it: one name, or the list of names of an ensemble."""
    return prior[0] if len(prior) == 1 else list(prior)


def train_one(variant: str, seed: int, beta: float, root: str, out: Path, epochs: int | None, prior: list[str]) -> dict:
    """Train the recipe once (``variant``, ``seed``, DPO ``beta``, ``prior``); score its best-val checkpoint on test."""
    from affectzoo import load
    from affectzoo.cli.lightning import run_lightning

    overrides = {**VARIANTS[variant], "dpo_beta": beta, "prior_model": prior_setting(prior)}
    options = [item for name, value in overrides.items()
               for item in (f"--model.init_args.{name}", json.dumps(value) if isinstance(value, (bool, list)) else str(value))]
    if epochs is not None:
        options += ["--trainer.max_epochs", str(epochs)]
    start = time.perf_counter()
    root = str(Path(root).resolve())
    here = Path.cwd()
    # each run in a directory of its own (the recipe's relative log and checkpoint paths land there),
    # so two runs sharing the machine never write to the same logger version
    with tempfile.TemporaryDirectory() as runs:
        try:
            os.chdir(runs)
            cli = run_lightning(["fit", "--config", str(RECIPE), *options, "--seed_everything", str(seed),
                                 "--data.init_args.root", root, "--trainer.enable_progress_bar", "false",
                                 "--trainer.enable_model_summary", "false"])
        finally:
            os.chdir(here)
        seconds = time.perf_counter() - start
        callback = cli.trainer.checkpoint_callback
        best = Path(runs) / callback.best_model_path  # the recipe's paths are relative to the run's directory
        model = load(best).eval()
        name = f"{prior_label(prior)}_{variant}_seed{seed}_beta{beta:g}"
        kept = out / f"{name}.ckpt"
        shutil.copyfile(best, kept)
        steps = int(cli.trainer.global_step)
    pairs, prefs = encoded_split(model, "test", root)
    record = {"prior_model": prior_label(prior), "variant": variant, "seed": seed, "beta": beta, "val_srcc": float(callback.best_model_score),
              "steps": steps, "train_seconds": round(seconds, 1), "checkpoint": str(kept),
              "composition_weight": model.net.composition_weight.detach().tolist(), **evaluate(model, pairs, prefs)}
    (out / f"{name}.json").write_text(json.dumps(record, indent=1))
    print(json.dumps(record), flush=True)
    return record


def prior_score(composition: torch.Tensor) -> torch.Tensor:
    """What the prior alone says of a pair: its composition, or for K priors the sigmoid of the mean of
    their logits (the network's combination at initialisation)."""
    if composition.ndim == 1:
        return composition
    return torch.sigmoid(torch.logit(composition.clamp(1e-4, 1 - 1e-4)).mean(dim=-1))


def composition_record(root: str, prior: list[str], split: str = "test") -> dict:
    """The prior alone: the composition of V/A predictors ``prior`` on ``split`` and its preference pairs."""
    import yaml

    from affectzoo.models.mpjudge import MPJudge

    args = {**yaml.safe_load(RECIPE.read_text())["model"]["init_args"], "prior_model": prior_setting(prior)}
    judge = MPJudge(**args).eval()
    pairs, prefs = encoded_split(judge, split, root)
    predicted = prior_score(torch.cat([b["composition"] for b in pairs])).numpy()
    target = torch.cat([b["score"] for b in pairs]).numpy()
    wins = torch.cat([prior_score(p["composition_pos"]) > prior_score(p["composition_neg"]) for p in prefs]).float()
    return {"srcc": float(spearmanr(predicted, target)[0]), "plcc": float(pearsonr(predicted, target)[0]),
            "mae": float(np.abs(predicted - target).mean()), "acc": float(((predicted >= 0.5) == (target >= 0.5)).mean()),
            "pref_acc": float(wins.mean()), "prior_model": prior_label(prior)}


def spread(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def report(root: str, out: Path, keep_best: Path | None, prior_model: list[str]) -> None:
    records = [r for r in (json.loads(p.read_text()) for p in sorted(out.glob("*.json")))
               if r.get("prior_model") == prior_label(prior_model)]
    print(f"\n| row | runs | {' | '.join(METRICS)} |\n|---|---|" + "---|" * len(METRICS))
    rows = []
    singles = [[name] for name in prior_model] if len(prior_model) > 1 else []
    for split in ("val", "test"):  # val chooses the prior (each predictor alone or the ensemble)
        for part in singles + [prior_model]:
            figures = composition_record(root, part, split)
            suffix = "" if split == "test" else " on val"
            rows += [{"measurement": f"prior only (composition of {figures['prior_model']}){suffix} {m}",
                      "value": round(figures[m], 4), "note": f"open-pairs {split}"} for m in METRICS]
            print(f"| prior only ({figures['prior_model']} composition){suffix} | - | "
                  + " | ".join(f"{figures[m]:.3f}" for m in METRICS) + " |")
    prior = figures  # the full prior the runs were trained with
    groups: dict[tuple, list[dict]] = {}
    for record in records:
        groups.setdefault((record["variant"], record["beta"]), []).append(record)
    for (variant, beta), runs in sorted(groups.items()):
        label = ("+ MAN" if variant == "man" else f"+ MAN + DPO (beta {beta:g})") + f" [{prior_label(prior_model)}]"
        cells = []
        for metric in METRICS:
            mean, sd = spread([r[metric] for r in runs])
            cells.append(f"{mean:.3f} ± {sd:.3f}")
            rows.append({"measurement": f"{label} {metric} mean", "value": round(mean, 4), "n": len(runs),
                         "note": f"open-pairs test; sd {sd:.4f}; seeds {sorted(r['seed'] for r in runs)}"})
        margin = spread([r["srcc"] - prior["srcc"] for r in runs])
        rows.append({"measurement": f"{label} srcc minus prior only", "value": round(margin[0], 4), "n": len(runs),
                     "note": f"sd {margin[1]:.4f}"})
        print(f"| {label} | {len(runs)} | " + " | ".join(cells) + " |")
    append_rows("mpjudge_prior", rows)
    if keep_best is not None and records:
        # the shipped run: the recipe's variant and beta, the seed with the best validation SRCC
        candidates = [r for r in records if r["variant"] == "dpo" and r["beta"] == 1.0] or records
        best = max(candidates, key=lambda r: r["val_srcc"])
        keep_best.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(best["checkpoint"], keep_best / "best.ckpt")
        print(f"kept {best['checkpoint']} (val SRCC {best['val_srcc']:.4f}) as {keep_best / 'best.ckpt'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["train", "report"])
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="dpo")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--betas", type=float, nargs="+", default=[1.0])
    parser.add_argument("--epochs", type=int, default=None, help="override the recipe's max_epochs")
    parser.add_argument("--root", default="../shared/data")
    parser.add_argument("--out", type=Path, default=Path("runs/mpjudge_prior"))
    parser.add_argument("--keep-best", type=Path, default=None)
    parser.add_argument("--prior", nargs="+", default=None,
                        help="the frozen V/A predictor(s) (default: the recipe's prior_model)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    prior = args.prior or recipe_prior()
    if args.action == "report":
        return report(args.root, args.out, args.keep_best, prior)
    for beta in args.betas if args.variant == "dpo" else [1.0]:
        for seed in args.seeds:
            train_one(args.variant, seed, beta, args.root, args.out, args.epochs, prior)


if __name__ == "__main__":
    main()
