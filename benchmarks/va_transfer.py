"""Which valence/arousal design transfers to data nobody tuned to: leave-one-source-out on the open data.

Every cell holds out a source (or all real recordings, or nothing: the sources' own test splits),
fits on the rest, and scores on the held-out items (SRCC; EMOPIA's binary labels: AUC). Beside our
trained V/A model (``imagemusic_va``, trained here by Lightning on each fold through the ``open-va``
DataModule) every cell has its floors and, for music, the public peer:

* hand features read as they are, no fitting: RMS level and spectral flux (music), brightness
  and saturation (pictures);
* a ridge probe: ridge regression on the standardised frozen features of the clean training
  items (the ``train`` split of every source not held out, as our model's), its strength chosen
  by 5-fold cross-validation grouped by item;
* VibeNet (music; ``energy`` for arousal), a fixed model, scored on the same items (from the
  predictions ``peers_music_va.py`` keeps in ``.cache/peers``).

Designs (feature sets) are named by their encoders: ``MTT``/``MSD`` musicnn (``/Npatches``: N 3-s
patches spread over the clip instead of all), ``stats`` (audio statistics), ``colour`` (colour
statistics), ``lite0/1/2`` (EfficientNet-Lite) with ``center`` or ``tta`` (mean of four views).
Fill the feature cache first (``va_features.py``).

    python benchmarks/va_transfer.py music --ours MSD+stats MTT+MSD+stats
    python benchmarks/va_transfer.py image --ours lite2-tta+colour
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from affectzoo.backbones.musicnn import spread_patches
from results_csv import append_rows
from va_scores import agreement

ROOT = Path(__file__).resolve().parent.parent
MUSIC_DESIGNS = ("stats", "MTT", "MSD", "MTT+MSD", "MTT+stats", "MSD+stats", "MTT+MSD+stats", "MSD+stats/1patches",
                 "MSD+stats/2patches", "MSD+stats/3patches", "MTT+stats/2patches", "MTT+MSD+stats/2patches")
IMAGE_DESIGNS = ("colour",) + tuple(f"lite{k}-{views}{extra}" for k in range(3) for views in ("center", "tta")
                                    for extra in ("", "+colour"))
HAND = {"music": {"rms": "rms_db", "spectral flux": "spectral_flux"},
        "image": {"brightness": "brightness", "saturation": "saturation"}}
ALPHAS = (0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0)


# ------------------------------------------------------------------------------------ designs


def encoder_names(design: str) -> tuple[str, ...]:
    """The encoders of a design name (``MSD+stats``, ``lite2-tta+stats``)."""
    body = design.split("/")[0]
    names = []
    for part in body.split("+"):
        if part in ("MTT", "MSD"):
            names.append(f"{part}_musicnn")
        elif part == "stats":
            names.append("audio-statistics")
        elif part == "colour":
            names.append("colour-statistics")
        else:
            names.append(f"tf_efficientnet_{part.split('-')[0]}")
    return tuple(names)


def patch_budget(design: str) -> int | None:
    """How many spread 3-s patches a music design reads (``/Npatches``), or None for all."""
    return int(design.split("/")[1].removesuffix("patches")) if "/" in design else None


def model_args(side: str, design: str) -> dict:
    """Constructor arguments of ``imagemusic_va`` for a design (the other side left empty)."""
    names = encoder_names(design)
    if side == "music":
        # arousal from the head unless --model-args asks for the tag vote (which needs a musicnn tagger)
        return {"music_encoders": names, "image_encoders": (), "music_patches": patch_budget(design),
                "music_arousal": "head"}
    views = ("center",) if "-center" in design else ("center", "flip", "full", "full_flip")
    return {"image_encoders": names, "music_encoders": (), "image_views": views}


# ------------------------------------------------------------------------------------ features


def load_features(table: pd.DataFrame, side: str, names: set[str]) -> dict[str, list]:
    """Every row's cached features per encoder (all views / all patches, as the cache holds them)."""
    from affectzoo.backbones.named import build_encoder

    column = "audio_path" if side == "music" else "image_path"
    out = {}
    for name in sorted(names):
        encoder = build_encoder(name)
        out[name] = [encoder.cached(path, augment=None if pd.isna(aug) else int(aug))
                     for path, aug in tqdm(list(zip(table[column], table["augment"])), desc=f"features {name}")]
    return out


def design_matrix(features: dict[str, list], design: str) -> np.ndarray:
    """One row per item: the design's features, pooled as the V/A model pools them."""
    parts = []
    for name in encoder_names(design):
        values = features[name]
        if name.endswith("_musicnn"):
            pooled = []
            for patches in values:
                budget = patch_budget(design)
                if budget and len(patches) > budget:
                    patches = patches[spread_patches(len(patches), budget)]
                pooled.append(torch.cat([patches.mean(0), patches.std(0, unbiased=False)]))
            parts.append(torch.stack(pooled).numpy())
        elif values[0].ndim == 2:  # image views
            stacked = torch.stack(values)
            parts.append((stacked[:, 0] if "-center" in design else stacked.mean(1)).numpy())
        else:
            parts.append(torch.stack(values).numpy())
    return np.concatenate(parts, axis=1).astype(np.float64)


# ------------------------------------------------------------------------------------ floors


def ridge_fit(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, ...]:
    mean, std = x.mean(0), x.std(0) + 1e-6
    z = (x - mean) / std
    target_mean = y.mean(0)
    weights = np.linalg.solve(z.T @ z + alpha * np.eye(z.shape[1]), z.T @ (y - target_mean))
    return mean, std, weights, target_mean


def ridge_predict(model: tuple[np.ndarray, ...], x: np.ndarray) -> np.ndarray:
    mean, std, weights, target_mean = model
    return ((x - mean) / std) @ weights + target_mean


def ridge_probe(x: np.ndarray, y: np.ndarray, groups: np.ndarray, x_test: np.ndarray) -> np.ndarray:
    """Ridge predictions of ``x_test``; strength by 5-fold CV grouped by item (mean squared error)."""
    unique = np.unique(groups)
    folds = np.random.default_rng(0).permutation(len(unique)) % 5
    fold_of = dict(zip(unique, folds))
    assigned = np.array([fold_of[g] for g in groups])
    errors = []
    for alpha in ALPHAS:
        error = 0.0
        for k in range(5):
            train, held = assigned != k, assigned == k
            error += ((ridge_predict(ridge_fit(x[train], y[train], alpha), x[held]) - y[held]) ** 2).sum()
        errors.append(error)
    return ridge_predict(ridge_fit(x, y, ALPHAS[int(np.argmin(errors))]), x_test)


# ------------------------------------------------------------------------------------ ours


def train_ours(side: str, design: str, hold_out: tuple[str, ...], args) -> pd.DataFrame:
    """Train ``imagemusic_va`` on a fold with Lightning; its V/A of the fold's test items."""
    import lightning as L

    import affectzoo
    from affectzoo.data.va_datamodule import SOURCES, OpenVADataModule

    torch.manual_seed(args.seed)
    model = affectzoo.create_model("imagemusic_va", **{**model_args(side, design), "hidden": args.hidden,
                                                       **args.model_args})
    data = OpenVADataModule(root=args.root, modalities=(side,), hold_out=hold_out, augments=args.augments,
                            programs=args.programs, source_weights=args.source_weights)
    data.attach_model(model)
    trainer = L.Trainer(max_epochs=args.epochs, accelerator="cpu", logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
                        limit_val_batches=0)
    trainer.fit(model, data)
    rows = []
    model.eval()
    with torch.no_grad():
        for loader in data.test_dataloader():
            for batch in loader:
                part = batch[side]
                va = model.va_of(side, model.side_vector(side, part["features"])).numpy()
                rows += [{"id": i, "source": SOURCES[s], "pred_valence": v, "pred_arousal": a}
                         for i, s, (v, a) in zip(part["id"], part["source"].tolist(), va)]
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------ folds


def folds(side: str) -> dict[str, tuple[str, ...]]:
    from affectzoo.data.va_items import IMAGE_SOURCES, MUSIC_SOURCES, REAL_SOURCES

    sources = MUSIC_SOURCES if side == "music" else IMAGE_SOURCES
    out = {f"hold out {s}": (s,) for s in sources}
    if side == "music":
        out["hold out all real recordings"] = REAL_SOURCES
    out["own test splits"] = ()
    return out


def test_rows(clean: pd.DataFrame, hold_out: tuple[str, ...]) -> pd.Series:
    return clean["source"].isin(hold_out) if hold_out else clean["split"] == "test"


def score_cells(fold: str, method: str, design: str, frame: pd.DataFrame, columns: dict[str, str]) -> list[dict]:
    """One row per (test source, axis) of predictions ``frame[columns[axis]]`` against the labels."""
    rows = []
    for source, group in frame.groupby("source"):
        for axis, column in columns.items():
            metric, value = agreement(group[axis].to_numpy(), group[column].to_numpy(), group["label_type"].iloc[0])
            rows.append({"fold": fold, "test": source, "axis": axis, "method": method, "design": design,
                         "metric": metric, "value": value, "n": len(group)})
    return rows


def run(side: str, args) -> list[dict]:
    from affectzoo.data.va_items import image_items, music_items

    table = (music_items(args.root, augments=args.augments, programs=args.programs) if side == "music"
             else image_items(args.root))
    designs = args.designs or (MUSIC_DESIGNS if side == "music" else IMAGE_DESIGNS)
    stats = "audio-statistics" if side == "music" else "colour-statistics"
    needed = set(itertools.chain.from_iterable(encoder_names(d) for d in designs)) | {stats}
    clean_rows = table["variant"] == "clean"
    clean = table[clean_rows].reset_index(drop=True)
    features = load_features(clean, side, needed)
    hand = torch.stack(features[stats]).numpy()
    from affectzoo.backbones.named import build_encoder

    names = list(build_encoder(stats).names)
    for label, column in HAND[side].items():
        clean[f"hand {label}"] = hand[:, names.index(column)]
    peer = _vibenet(clean) if side == "music" else None
    matrices = {design: design_matrix(features, design) for design in designs}
    labels = clean[["valence", "arousal"]].to_numpy()
    cells = []
    chosen = {name: held for name, held in folds(side).items() if not args.folds or name in args.folds}
    for fold, hold_out in tqdm(chosen.items(), desc=f"{side} folds"):
        test = test_rows(clean, hold_out)
        train = ~clean["source"].isin(hold_out) & (clean["split"] == "train")  # as the DataModule trains ours
        frame = clean[test].copy()
        for label in HAND[side]:
            cells += score_cells(fold, f"hand: {label}", "-", frame, {"valence": f"hand {label}",
                                                                        "arousal": f"hand {label}"})
        if peer is not None:
            frame = frame.join(peer, on="audio_path")
            cells += score_cells(fold, "VibeNet 0.1.0", "-", frame.dropna(subset=["peer_energy"]),
                                 {"valence": "peer_valence", "arousal": "peer_energy"})
        for design in designs:
            x = matrices[design]
            predicted = ridge_probe(x[train.to_numpy()], labels[train.to_numpy()], clean.loc[train, "id"].to_numpy(),
                                    x[test.to_numpy()])
            frame = frame.assign(ridge_valence=predicted[:, 0], ridge_arousal=predicted[:, 1])
            cells += score_cells(fold, "ridge probe", design, frame, {"valence": "ridge_valence",
                                                                      "arousal": "ridge_arousal"})
        for design in args.ours:
            ours = train_ours(side, design, hold_out, args).set_index("id")
            scored = frame.join(ours[["pred_valence", "pred_arousal"]], on="id")
            cells += score_cells(fold, "ours: imagemusic_va", design, scored,
                                 {"valence": "pred_valence", "arousal": "pred_arousal"})
    if side == "image" and not args.folds:
        cells += cross_validation_cells(clean, matrices, labels)
    return cells


def cross_validation_cells(clean: pd.DataFrame, matrices: dict, labels: np.ndarray, source: str = "oasis",
                           other: str = "bass", k: int = 10) -> list[dict]:
    """Ridge probes scored by ``k``-fold cross-validation over every item of ``source`` (less noisy than
    its 75-item test split): trained on the other folds alone, and with all of ``other`` added."""
    cells = []
    inside = (clean["source"] == source).to_numpy()
    fold_of = np.random.default_rng(0).permutation(inside.sum()) % k
    for label, extra in ((f"{source} only", np.zeros(len(clean), bool)), (f"{source} + {other}",
                                                                           (clean["source"] == other).to_numpy())):
        for design, x in matrices.items():
            predicted = np.zeros((inside.sum(), 2))
            for fold in range(k):
                train = extra.copy()
                train[np.flatnonzero(inside)[fold_of != fold]] = True
                held = np.flatnonzero(inside)[fold_of == fold]
                predicted[fold_of == fold] = ridge_probe(x[train], labels[train], clean["id"].to_numpy()[train], x[held])
            frame = clean[inside].assign(ridge_valence=predicted[:, 0], ridge_arousal=predicted[:, 1])
            cells += score_cells(f"{k}-fold CV, train {label}", "ridge probe", design, frame,
                                 {"valence": "ridge_valence", "arousal": "ridge_arousal"})
    return cells


def _vibenet(clean: pd.DataFrame) -> pd.DataFrame | None:
    saved = ROOT / ".cache" / "peers" / "vibenet_predictions.json"
    if not saved.is_file():
        print("no VibeNet predictions yet (run peers_music_va.py first): the peer column stays empty")
        return None
    known = json.loads(saved.read_text())
    rows = {path: {"peer_valence": v["valence"], "peer_energy": v["energy"]} for path, v in known.items()}
    return pd.DataFrame.from_dict(rows, orient="index").reindex(clean["audio_path"].unique())


def markdown(cells: list[dict]) -> str:
    """A table per axis: rows = method [design], columns = held-out fold -> test source (metric)."""
    frame = pd.DataFrame(cells)
    frame["cell"] = frame["fold"].str.replace("hold out ", "-") + " → " + frame["test"] + " (" + frame["metric"] + ")"
    frame["row"] = frame["method"] + frame["design"].map(lambda d: "" if d == "-" else f" [{d}]")
    out = []
    for axis in ("valence", "arousal"):
        table = frame[frame["axis"] == axis].pivot_table(index="row", columns="cell", values="value", sort=False)
        lines = ["| method | " + " | ".join(table.columns) + " |", "|---" * (len(table.columns) + 1) + "|"]
        lines += [f"| {row} | " + " | ".join("" if pd.isna(v) else f"{v:.3f}" for v in values) + " |"
                  for row, values in zip(table.index, table.to_numpy())]
        out.append(f"### {axis}\n\n" + "\n".join(lines) + "\n")
    return "\n".join(out)


def cells_from_csv(side: str) -> list[dict]:
    """The cells of the latest run written to ``results/va_transfer_<side>.csv``."""
    frame = pd.read_csv(Path(__file__).resolve().parent / "results" / f"va_transfer_{side}.csv")
    frame = frame[frame["date"] == frame["date"].max()]
    parts = frame["measurement"].str.split(" \\| ", expand=True, regex=True)
    return [{"fold": f, "test": t, "axis": a, "method": m, "design": d, "metric": unit, "value": v, "n": n}
            for (f, t, a, m, d), unit, v, n in zip(parts.itertuples(index=False), frame["unit"], frame["value"],
                                                  frame["n"])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("side", choices=("music", "image"))
    parser.add_argument("--ours", nargs="*", default=[], help="designs to train our model on, fold by fold")
    parser.add_argument("--designs", nargs="*", default=None, help="designs of the ridge probes (default: all)")
    parser.add_argument("--folds", nargs="*", default=None, help="fold names to run (default: all)")
    parser.add_argument("--source-weights", type=json.loads, default=None,
                        help='JSON of per-source draw weights for our model, e.g. \'{"emotify_rock": 2}\'')
    parser.add_argument("--root", default="../shared/data")
    parser.add_argument("--augments", type=int, default=2)
    parser.add_argument("--programs", default="none", choices=("none", "one", "all"))
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--hidden", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0, help="seed of our model's initialisation and sampling")
    parser.add_argument("--model-args", type=json.loads, default={},
                        help='more constructor arguments of our model, e.g. \'{"weight_decay": 0.1}\'')
    parser.add_argument("--markdown", type=Path, help="also write the tables as markdown")
    parser.add_argument("--render", action="store_true", help="only print the tables of the latest run's CSV rows")
    args = parser.parse_args()
    if args.render:
        text = markdown(cells_from_csv(args.side))
        print(text)
        if args.markdown:
            args.markdown.write_text(text)
        return
    torch.set_num_threads(1)
    cells = run(args.side, args)
    append_rows(f"va_transfer_{args.side}", [{"measurement": f"{c['fold']} | {c['test']} | {c['axis']} | {c['method']}"
                                              f" | {c['design']}", "value": round(c["value"], 4), "unit": c["metric"],
                                              "n": c["n"]} for c in cells])
    text = markdown(cells)
    print(text)
    if args.markdown:
        args.markdown.write_text(text)


if __name__ == "__main__":
    main()
