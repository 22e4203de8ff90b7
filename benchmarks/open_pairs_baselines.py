"""Reference points for the open-pairs metrics (CSV rows in results/open_pairs_baselines.csv).

- constant predictor: every pair scored with the mean train-split score (MAE, RMSE, and the ACC of
  MPJudge's rule: prediction and target on the same side of 0.5);
- random ranking: MAP@1..10 of ImageMusic's metric (queries = images, relevant = the image's
  ground-truth best-5 music) for uniformly random scores, averaged over ``--draws`` seeded draws;
- V/A-distance composition (``--composition MODEL``, default the recommended V/A predictor): each
  side's predicted V/A, score = 1 - ||VA(image) - VA(music)|| / (2 sqrt 2); SRCC, PLCC, MAE, ACC and
  the accuracy on the split's preference pairs (the preferred item scored higher). This is the floor a
  pair scorer must beat: it only composes another zoo model.

    python benchmarks/open_pairs_baselines.py [--split test] [--draws 50] [--composition imagemusic]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from scipy.stats import pearsonr, spearmanr

from affectzoo.data.builds import load_build
from affectzoo.data.datamodules import with_queries
from affectzoo.metrics import MAPCurve
from results_csv import append_rows


def composition_rows(model_name: str, split, preferences, note: str) -> list[dict]:
    """The V/A-distance composition of ``model_name``'s predicted V/A on ``split`` (see the docstring)."""
    import affectzoo

    model = affectzoo.load(model_name)
    images = sorted(set(split["image_path"]))
    clips = sorted(set(split["audio_path"]))
    image_va = dict(zip(images, model.predict_va(images=images)["image"].numpy()))
    music_va = dict(zip(clips, model.predict_va(audio=clips)["music"].numpy()))
    by_id = {**dict(zip(split["image_id"], (image_va[p] for p in split["image_path"]))),
             **dict(zip(split["music_id"], (music_va[p] for p in split["audio_path"])))}

    def compose(a, b) -> float:
        return 1.0 - float(np.linalg.norm(by_id[a] - by_id[b])) / (2 * np.sqrt(2))

    predicted = np.array([compose(i, m) for i, m in zip(split["image_id"], split["music_id"])])
    target = split["score"].to_numpy()
    wins = [compose(q, good) > compose(q, bad) for q, good, bad in
            zip(preferences["query_id"], preferences["preferred_id"], preferences["rejected_id"])]
    label = f"va-distance composition ({model.pretrained_cfg.name or model_name})"
    figures = {"srcc": spearmanr(predicted, target)[0], "plcc": pearsonr(predicted, target)[0],
               "mae": np.abs(predicted - target).mean(), "acc": ((predicted >= 0.5) == (target >= 0.5)).mean(),
               "preference accuracy": np.mean(wins)}
    return [{"measurement": f"{label} {name}", "value": round(float(value), 4),
             "n": len(wins) if name == "preference accuracy" else len(target), "note": note}
            for name, value in figures.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", choices=["val", "test"])
    parser.add_argument("--draws", type=int, default=50)
    parser.add_argument("--composition", default="imagemusic", help="V/A predictor of the composition row")
    args = parser.parse_args()
    build = load_build("open-pairs")
    pairs = with_queries(build["pairs"])
    train, split = pairs[pairs["split"] == "train"], pairs[pairs["split"] == args.split]
    target = torch.tensor(split["score"].to_numpy(), dtype=torch.float64)
    constant = torch.full_like(target, float(train["score"].mean()))
    note = f"open-pairs {args.split}"
    rows = [{"measurement": "constant (train mean) mae", "value": round(float((constant - target).abs().mean()), 4),
             "n": len(target), "note": note},
            {"measurement": "constant (train mean) rmse", "value": round(float(((constant - target) ** 2).mean().sqrt()), 4),
             "n": len(target), "note": note},
            {"measurement": "constant (train mean) acc", "value": round(float(((constant >= 0.5) == (target >= 0.5))
                                                                              .double().mean()), 4),
             "n": len(target), "note": note}]
    queries = torch.tensor(split["query"].to_numpy()).long()
    relevant = torch.tensor(split["relevant"].to_numpy()).long()
    generator = torch.Generator().manual_seed(0)
    curves = []
    for _ in range(args.draws):
        metric = MAPCurve(10)
        metric.update(torch.rand(len(split), generator=generator), relevant, queries)
        curves.append(metric.compute())
    mean_curve = torch.stack(curves).mean(dim=0)
    rows += [{"measurement": f"random ranking map@{k}", "value": round(float(v), 4), "n": args.draws,
              "note": f"{note}; n = draws"} for k, v in enumerate(mean_curve.tolist(), start=1)]
    preferences = build["preferences"]
    rows += composition_rows(args.composition, split, preferences[preferences["split"] == args.split], note)
    append_rows("open_pairs_baselines", rows)


if __name__ == "__main__":
    main()
