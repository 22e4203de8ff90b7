"""Reference points for the open-pairs metrics (CSV rows in results/open_pairs_baselines.csv).

- constant predictor: every pair scored with the mean train-split score (MAE, RMSE, and the ACC of
  MPJudge's rule: prediction and target on the same side of 0.5);
- random ranking: MAP@1..10 of ImageMusic's metric (queries = images, relevant = the image's
  ground-truth best-5 music) for uniformly random scores, averaged over ``--draws`` seeded draws;
- V/A-distance composition (``--composition MODEL``, default the recommended V/A predictor): each
  side's predicted V/A, score = 1 - ||VA(image) - VA(music)|| / (2 sqrt 2); SRCC, PLCC, MAE, ACC and
  the accuracy on the split's preference pairs (the preferred item scored higher). This is the floor a
  pair scorer must beat: it only composes another zoo model;
- random scores (uniform in [0, 1], ``--draws`` seeded draws): SRCC, PLCC, MAE, ACC and preference
  accuracy, the chance level of each metric;
- the judges (``--judges``, default the recommended ``mpjudge``) on the same pairs, loaded with
  ``affectzoo.load`` and scored as ``benchmarks/mpjudge_open_pairs.py`` does, so every row of the
  model card comes from one run.

    python benchmarks/open_pairs_baselines.py [--split test] [--draws 50] [--composition imagemusic ...]
                                              [--judges mpjudge ...]
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


def random_rows(split, preferences, draws: int, note: str) -> list[dict]:
    """Chance level: uniformly random scores, the mean of each metric over ``draws`` seeded draws."""
    rng = np.random.default_rng(0)
    target = split["score"].to_numpy()
    figures: dict[str, list[float]] = {"srcc": [], "plcc": [], "mae": [], "acc": [], "preference accuracy": []}
    for _ in range(draws):
        predicted = rng.random(len(target))
        figures["srcc"].append(spearmanr(predicted, target)[0])
        figures["plcc"].append(pearsonr(predicted, target)[0])
        figures["mae"].append(np.abs(predicted - target).mean())
        figures["acc"].append(((predicted >= 0.5) == (target >= 0.5)).mean())
        figures["preference accuracy"].append((rng.random(len(preferences)) > rng.random(len(preferences))).mean())
    return [{"measurement": f"random scores {name}", "value": round(float(np.mean(values)), 4), "n": draws,
             "note": f"{note}; mean of {draws} draws, sd {np.std(values):.4f}"} for name, values in figures.items()]


def judge_rows(name: str, split_name: str, note: str) -> list[dict]:
    """A pair scorer loaded with ``affectzoo.load`` on the split's pairs and preference pairs."""
    import affectzoo
    from mpjudge_open_pairs import encoded_split, evaluate

    model = affectzoo.load(name).eval()
    pairs, prefs = encoded_split(model, split_name, "../shared/data")
    figures = evaluate(model, pairs, prefs)
    label = model.pretrained_cfg.name or name
    renamed = {"pref_acc": "preference accuracy"}
    return [{"measurement": f"{label} {renamed.get(metric, metric)}", "value": round(value, 4),
             "n": len(prefs) if metric == "pref_acc" else sum(len(b["score"]) for b in pairs), "note": note}
            for metric, value in figures.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", choices=["val", "test"])
    parser.add_argument("--draws", type=int, default=50)
    parser.add_argument("--composition", nargs="+", default=["imagemusic"],
                        help="V/A predictors of the composition rows")
    parser.add_argument("--judges", nargs="*", default=["mpjudge"], help="pair scorers to score beside the baselines")
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
    preferences = preferences[preferences["split"] == args.split]
    rows += random_rows(split, preferences, args.draws, note)
    for predictor in args.composition:
        rows += composition_rows(predictor, split, preferences, note)
    for judge in args.judges:
        rows += judge_rows(judge, args.split, note)
    for row in rows:
        print(f"{row['measurement']}: {row['value']}")
    append_rows("open_pairs_baselines", rows)


if __name__ == "__main__":
    main()
