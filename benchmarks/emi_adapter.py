"""EMI-Adapter on IMEMNet interactions: the shipped adapters beside popularity, random, song popularity
and V/A distance, on the held-out interactions (sampled and full ranking) and on cold-start images.

The split is the recipes' (``imemnet-interactions``: score >= 0.5, seed 0, 10% of the V/A-labelled
images cold, leave-one-out per clip; see docs/emi_adapter.md). Every scorer gives a score to every
(clip, image); the figures then come from the rank of the held-out image:

* ``sampled``: among its 99 sampled negatives (the NCF protocol, the recipes' test metric);
* ``full``: among every image with training interactions plus the target, the clip's own training
  images left out;
* ``cold``: a cold image (never in training) among 99 negatives; ID adapters have no trained vector
  for it, so only the content adapter and V/A distance can do better than chance there.

Ties are broken at random in expectation (a tie of t items at the target's score spreads the
target's position uniformly over them), so a constant scorer earns the random floor exactly.

Baselines: ``popularity`` (training interactions per image), ``random`` (seeded), ``song_popularity``
(training interactions of the image with any clip of the same song, popularity breaking ties) and
``va_distance`` (minus the V/A distance of the clip's song, DEAM labels, to the image, IMEMNet-C labels
or the mean V/A of its training music).

``--sweep`` retrains each recipe over the learning-rate and weight-decay grid the recipes were chosen
from and reports each run's best val/ndcg@10 (the test split is not looked at).

``--ablation`` retrains each ID adapter from its recipe with per-segment factors only
(``song_factors: false``) and with song-level factors (the shipped setting), same seed, and adds
both to the table.

    python benchmarks/emi_adapter.py --ablation --json benchmarks/results/emi_adapter.json \
        --cards benchmarks/results/emi_adapter_cards.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import torch

from results_csv import append_rows

ADAPTERS = ("emi_ncf", "emi_bmf", "emi_svdpp", "emi_content")
TOP_K = 10
COMMAND = "python benchmarks/emi_adapter.py"
RECIPES = Path(__file__).resolve().parent.parent / "recipes"


def expected_hits(scores: np.ndarray, target: np.ndarray, valid: np.ndarray | None = None) -> tuple[float, float]:
    """(HR@10, NDCG@10) of rows ``scores [Q, C]`` whose relevant column is ``target [Q]``, ties broken
    at random in expectation; ``valid [Q, C]`` masks candidates out of a row."""
    own = scores[np.arange(len(scores)), target][:, None]
    if valid is None:
        valid = np.ones(scores.shape, dtype=bool)
    greater = ((scores > own) & valid).sum(1)
    ties = ((scores == own) & valid).sum(1) - 1  # the target itself is not a competitor
    gains = 1.0 / np.log2(np.arange(TOP_K) + 2.0)
    hr, ndcg = np.zeros(len(scores)), np.zeros(len(scores))
    for row, (g, t) in enumerate(zip(greater, ties)):
        positions = np.arange(g, g + t + 1)
        inside = positions[positions < TOP_K]
        hr[row] = len(inside) / (t + 1)
        ndcg[row] = gains[inside].sum() / (t + 1)
    return float(hr.mean()), float(ndcg.mean())


def baseline_scores(data, seed: int = 0) -> dict:
    """name -> function(users [Q]) -> scores [Q, items] of the baselines."""
    popularity = data.item_popularity.astype(np.float64)
    song_items = np.zeros((len(data.groups), len(data.items)))
    np.add.at(song_items, (data.user_group[data.train[:, 0]], data.train[:, 1]), 1.0)
    tie_break = popularity / (popularity.max() + 1.0)
    rng = np.random.default_rng(seed)
    random_table = rng.random((len(data.users), len(data.items)))
    return {
        "popularity": lambda users: np.broadcast_to(popularity, (len(users), len(popularity))),
        "random": lambda users: random_table[users],
        "song_popularity": lambda users: song_items[data.user_group[users]] + tie_break,
        "va_distance": lambda users: -np.linalg.norm(data.user_va[users][:, None, :] - data.item_va[None], axis=-1),
    }


def model_scores(model, data):
    """function(users [Q]) -> logits [Q, items] of a trained adapter, after checking its vocabularies."""
    if model.user_ids != list(data.users) or model.item_ids != list(data.items):
        raise SystemExit(f"{model.pretrained_cfg.name or type(model).__name__}: its clip/image vocabularies are "
                         "not this split's (trained on other data or settings)")
    return lambda users: model.all_item_scores(torch.as_tensor(users)).float().cpu().numpy()


def evaluate(score, data) -> dict:
    """Sampled, full-ranking and cold-start HR@10 / NDCG@10 of one scorer."""
    out = {}
    test = data.test
    table = score(test.users)
    sampled = np.take_along_axis(table, test.candidates, 1)
    out["hr@10"], out["ndcg@10"] = expected_hits(sampled, test.target.argmax(1))
    targets = test.positives
    valid = np.broadcast_to(data.item_popularity > 0, table.shape).copy()
    valid[np.arange(len(targets)), targets] = True
    seen = np.zeros(table.shape, dtype=bool)
    position = {u: q for q, u in enumerate(test.users)}
    rows = np.array([position.get(u, -1) for u in data.train[:, 0]])
    keep = rows >= 0
    seen[rows[keep], data.train[keep, 1]] = True
    out["full_hr@10"], out["full_ndcg@10"] = expected_hits(table, targets, valid & ~seen)
    if len(data.cold.users):
        cold = np.take_along_axis(score(data.cold.users), data.cold.candidates, 1)
        out["cold_hr@10"], out["cold_ndcg@10"] = expected_hits(cold, data.cold.target.argmax(1))
    return {name: round(value, 4) for name, value in out.items()}


def train_from_recipe(kind: str, root: str, **overrides):
    """(best checkpoint loaded, its val/ndcg@10) of ``recipes/emi_<kind>_imemnet.yaml`` with model overrides."""
    from affectzoo import load
    from affectzoo.cli.lightning import run_lightning

    options = [item for name, value in overrides.items()
               for item in (f"--model.init_args.{name}", str(value).lower() if isinstance(value, bool) else str(value))]
    with tempfile.TemporaryDirectory() as runs:
        cli = run_lightning(["fit", "--config", str(RECIPES / f"emi_{kind}_imemnet.yaml"), *options,
                             "--data.init_args.root", root, "--trainer.default_root_dir", runs,
                             "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"])
        callback = cli.trainer.checkpoint_callback
        return load(callback.best_model_path), float(callback.best_model_score)


def ablation(root: str, data) -> dict:
    """Per-segment vs song-level factors of each ID adapter, each retrained by its recipe."""
    out = {}
    for kind in ("ncf", "bmf", "svdpp"):
        for song in (False, True):
            model, _ = train_from_recipe(kind, root, song_factors=song)
            name = f"ablation: {kind} {'song-level' if song else 'per-segment'}"
            out[name] = evaluate(model_scores(model, data), data)
            print(name, out[name], flush=True)
    return out


def sweep(root: str) -> dict:
    """The recipes' learning rate and weight decay choice: best val/ndcg@10 of each kind over the grid."""
    out = {}
    for kind in ("ncf", "bmf", "svdpp", "content"):
        for lr in (1e-2, 3e-3):
            for weight_decay in (0.0, 1e-5):
                _, val = train_from_recipe(kind, root, lr=lr, weight_decay=weight_decay)
                name = f"sweep: {kind} lr {lr:g} wd {weight_decay:g}"
                out[name] = {"val_ndcg@10": round(val, 4)}
                print(name, out[name], flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default="../shared/data", help="folder holding imemnet/ and deam/")
    parser.add_argument("--models", nargs="+", default=list(ADAPTERS),
                        help="names, checkpoint folders or .ckpt files to evaluate (default: the shipped adapters)")
    parser.add_argument("--ablation", action="store_true", help="also retrain per-segment vs song-level ID adapters")
    parser.add_argument("--sweep", action="store_true",
                        help="also retrain each recipe over lr {1e-2, 3e-3} x weight decay {0, 1e-5} (val/ndcg@10)")
    parser.add_argument("--json", type=Path, help="also write {name: {metric: value}}")
    parser.add_argument("--cards", type=Path, help="also write the figures as model cards read them (--metrics-json)")
    args = parser.parse_args()

    from affectzoo import load
    from affectzoo._io import atomic_write_text
    from affectzoo.data.interactions_datamodule import InteractionsDataModule

    data = InteractionsDataModule(root=args.root).prepare()
    print(f"{len(data.users)} clips, {len(data.items)} images; train {len(data.train)}, test {len(data.test.users)}, "
          f"cold {len(data.cold.users)} queries on {len(data.cold_items)} images")
    scorers = {name: model_scores(load(name), data) for name in args.models}
    scorers.update(baseline_scores(data))
    result = {name: evaluate(score, data) for name, score in scorers.items()}
    if args.ablation:
        result.update(ablation(args.root, data))
    if args.sweep:
        result.update(sweep(args.root))
    print(json.dumps(result, indent=1))
    append_rows("emi_adapter", [{"measurement": f"{name} {metric}", "value": value, "n": len(data.test.users)}
                                for name, metrics in result.items() for metric, value in metrics.items()])
    if args.json:
        atomic_write_text(args.json, json.dumps(result, indent=1) + "\n")
    if args.cards:
        command = COMMAND + (" --ablation" if args.ablation else "") + (" --sweep" if args.sweep else "") \
            + f" --cards {args.cards}"
        cards = {f"imemnet-interactions test: {name}": {"metrics": metrics, "command": command}
                 for name, metrics in result.items()}
        atomic_write_text(args.cards, json.dumps(cards, indent=1) + "\n")


if __name__ == "__main__":
    main()
