"""Music valence/arousal of affectzoo's V/A predictor beside the public peer VibeNet, on the same clips, in one run.

For every labelled music source of the open data (clean clips of ``--split``: by default the
test split, which our shipped weights never trained on; ``all`` includes our training clips, so
it flatters ours; transfer to unseen sources is ``va_transfer.py``'s job): SRCC of VibeNet's ``energy`` and
our arousal against the arousal labels, of VibeNet's ``valence`` and ours against the valence
labels (EMOPIA's binary labels: AUC instead); and throughput, clips per second on one thread from
audio files to V/A, on ``--speed-clips`` real recordings (ours from an empty feature cache: every
file decoded and encoded, and again from a warm cache; musicnn in float32 and in bfloat16, with
the largest change of a V/A value that bfloat16 makes).

VibeNet (Shim, GPL-3.0; an ONNX EfficientNet distilled on the Free Music Archive) is only a
benchmark dependency and is never imported here: it runs in its own environment through
``vibenet_worker.py``. Create that environment once with ``--setup`` (``pip install vibenet==0.1.0``
into ``.cache/peers``), or point ``--vibenet-python`` at a Python that has it.

``--json`` writes, per source, our figures beside VibeNet's (``vibenet_*``) and the throughput
ratios, for ``affectzoo export --metrics-json`` (the model card shows the peer next to ours).

    python benchmarks/peers_music_va.py --setup
    python benchmarks/peers_music_va.py --model imagemusic --json results/peers_music_va.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from results_csv import append_rows
from va_scores import agreement

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / ".cache" / "peers"
WORKER = Path(__file__).resolve().parent / "vibenet_worker.py"


def setup() -> Path:
    """A virtual environment with VibeNet, made once."""
    python = PEERS / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "vibenet==0.1.0"], check=True)
    return python


def vibenet_predictions(python: Path, paths: list[str]) -> dict:
    """VibeNet's predictions of ``paths``, kept in ``.cache/peers`` (the study reads them too)."""
    saved = PEERS / "vibenet_predictions.json"
    known = json.loads(saved.read_text()) if saved.is_file() else {}
    missing = [p for p in paths if p not in known]
    if missing:
        known.update(vibenet(python, missing)[0])
        saved.write_text(json.dumps(known))
    return {p: known[p] for p in paths if p in known}


def vibenet(python: Path, paths: list[str]) -> tuple[dict, float]:
    """VibeNet's predictions of ``paths`` and the seconds it took (one thread, pinned)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(["taskset", "-c", "0", str(python), "-W", "ignore", str(WORKER)], input=json.dumps(paths),
                          capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"VibeNet worker failed:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout)
    for path, why in result["failed"].items():
        print(f"VibeNet could not read {path}: {why}", file=sys.stderr)
    return result["predictions"], result["seconds"]


def ours(model, paths: list[str], cache: Path) -> tuple[np.ndarray, float]:
    """Our music V/A of ``paths`` (one thread) and the seconds it took, with the feature cache at ``cache``."""
    os.environ["AFFECTZOO_CACHE"] = str(cache)
    started = time.perf_counter()
    va = model.predict_va(audio=paths)["music"].numpy()
    return va, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="imagemusic")
    parser.add_argument("--root", default="../shared/data")
    parser.add_argument("--vibenet-python", type=Path, default=PEERS / "bin" / "python")
    parser.add_argument("--setup", action="store_true", help="create the VibeNet environment and exit")
    parser.add_argument("--split", default="test", choices=("test", "val", "all"),
                        help="clips scored for accuracy (default: the test split, never trained on)")
    parser.add_argument("--speed-clips", type=int, default=40)
    parser.add_argument("--precisions", nargs="+", default=["fp32", "bf16"],
                        help="musicnn precisions to time (a model without that option: fp32 only)")
    parser.add_argument("--json", type=Path, help="also write the accuracy figures for `affectzoo export --metrics-json`")
    args = parser.parse_args()
    if args.setup:
        print(f"VibeNet environment: {setup()}")
        return
    import affectzoo
    from affectzoo.data.va_items import REAL_SOURCES, music_items

    torch.set_num_threads(1)
    every = music_items(args.root)
    items = every if args.split == "all" else every[every["split"] == args.split].reset_index(drop=True)
    paths = items["audio_path"].tolist()
    peer = vibenet_predictions(args.vibenet_python, paths)
    model = affectzoo.load(args.model)
    name = model.pretrained_cfg.name or args.model
    va, _ = ours(model, paths, Path(os.environ.get("AFFECTZOO_CACHE", ROOT / ".cache" / "affectzoo")))
    items = items.assign(our_valence=va[:, 0], our_arousal=va[:, 1],
                         peer_valence=items["audio_path"].map(lambda p: peer.get(p, {}).get("valence", np.nan)),
                         peer_energy=items["audio_path"].map(lambda p: peer.get(p, {}).get("energy", np.nan)))
    rows, measured = [], {}
    for source, group in items.groupby("source"):
        label_type = group["label_type"].iloc[0]
        for axis, peer_column in (("valence", "peer_valence"), ("arousal", "peer_energy")):
            kept = group.dropna(subset=[peer_column])
            for who, column in ((name, f"our_{axis}"), ("VibeNet 0.1.0", peer_column)):
                metric, value = agreement(kept[axis].to_numpy(), kept[column].to_numpy(), label_type)
                rows.append({"measurement": f"{source} {axis} {metric}: {who}", "value": round(value, 4),
                             "n": len(kept), "note": f"{args.split} split; {group['label_type'].iloc[0]} labels; "
                                                     f"VibeNet: {'energy' if axis == 'arousal' else 'valence'}"})
                prefix = "" if who == name else "vibenet_"  # the peer's figure beside ours on the card
                if not np.isnan(value):  # too few clips for a rank correlation: nothing to record
                    measured.setdefault(f"peers, {args.split} split: {source}", {})[f"{prefix}{axis}_{metric}"] = round(value, 4)
    real = every[every["source"].isin(REAL_SOURCES)]
    speed = real.groupby("source").head(max(1, args.speed_clips // len(REAL_SOURCES)))["audio_path"].tolist()
    _, peer_seconds = vibenet(args.vibenet_python, speed)
    peer_rate = len(speed) / peer_seconds
    reference = None
    for precision in args.precisions:
        variant = affectzoo.load(args.model, music_precision=precision) if precision != "fp32" else model
        with tempfile.TemporaryDirectory() as empty:
            va_cold, cold = ours(variant, speed, Path(empty))
            _, warm = ours(variant, speed, Path(empty))
        reference = va_cold if reference is None else reference
        drift = float(np.abs(va_cold - reference).max())
        measured.setdefault("peers: throughput (clips/s, 1 thread, cold cache)", {}).update(
            {f"ours_{precision}": round(len(speed) / cold, 2), f"ratio_{precision}_to_vibenet":
             round(len(speed) / cold / peer_rate, 3), "vibenet": round(peer_rate, 2)})
        for label, seconds in (("cold cache", cold), ("warm cache", warm)):
            rows.append({"measurement": f"throughput {name} musicnn {precision} ({label})",
                         "value": round(len(speed) / seconds, 2), "unit": "clips/s (1 thread)",
                         "ratio_to": "VibeNet 0.1.0", "ratio": round(len(speed) / seconds / peer_rate, 3),
                         "n": len(speed), "note": f"largest V/A difference to {args.precisions[0]}: {drift:.4f}"})
    rows.append({"measurement": "throughput VibeNet 0.1.0", "value": round(peer_rate, 2), "unit": "clips/s (1 thread)",
                 "n": len(speed), "note": "onnxruntime, one intra-op thread, pinned to one core"})
    append_rows("peers_music_va", rows)
    if args.json:
        command = f"python benchmarks/peers_music_va.py --model {args.model} --split {args.split}"
        payload = {dataset: {"metrics": values, "command": command} for dataset, values in measured.items()}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=1) + "\n")


if __name__ == "__main__":
    main()
