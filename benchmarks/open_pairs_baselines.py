"""Reference points for the open-pairs metrics (CSV rows in results/open_pairs_baselines.csv).

- constant predictor: every pair scored with the mean train-split score (MAE, RMSE, and the ACC of
  MPJudge's rule: prediction and target on the same side of 0.5);
- random ranking: MAP@1..10 of ImageMusic's metric (queries = images, relevant = the image's
  ground-truth best-5 music) for uniformly random scores, averaged over ``--draws`` seeded draws.

    python benchmarks/open_pairs_baselines.py [--split test] [--draws 50]
"""

from __future__ import annotations

import argparse

import torch

from affectzoo.data.builds import load_build
from affectzoo.data.datamodules import with_queries
from affectzoo.metrics import MAPCurve
from results_csv import append_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", choices=["val", "test"])
    parser.add_argument("--draws", type=int, default=50)
    args = parser.parse_args()
    pairs = with_queries(load_build("open-pairs")["pairs"])
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
    append_rows("open_pairs_baselines", rows)


if __name__ == "__main__":
    main()
