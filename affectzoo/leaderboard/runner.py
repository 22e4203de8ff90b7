"""``affectzoo benchmark``: every pretrained model on every open benchmark it applies to, as long-format rows.

Models are the shipped checkpoints of the index plus the weight-free engines that can be scored
(Haydn), and with ``--peers`` the installed public peers (VibeNet); ``--models`` / ``--datasets``
are fnmatch patterns over their names. One process, one CPU
device, no distributed sampler; torch, numpy and Python are seeded before every (model, dataset),
so a rerun on the same inputs gives the same numbers. A model that fails to load or to evaluate
gets an error row and the run goes on.
"""

from __future__ import annotations

import contextlib
import datetime
import fnmatch
import platform
import random
import shlex
import sys
import traceback
from pathlib import Path

from affectzoo.leaderboard.datasets import DATASETS
from affectzoo.leaderboard.peers import PEER_DATASETS, installed_peers, peer_keeps
from affectzoo.leaderboard.rows import key, write_csv

#: Weight-free engines scored beside the checkpoints (Visual needs rated paintings, no benchmark has them).
ENGINES = ("haydn",)


def candidate_models() -> dict:
    """name -> cfg of every model the leaderboard can run: indexed checkpoints, then engines."""
    from affectzoo._engines import engine_cfg
    from affectzoo._index import indexed_cfgs

    models = dict(sorted(indexed_cfgs().items()))
    models.update({name: engine_cfg(name) for name in ENGINES})
    return models


def select(names, pattern: str) -> list[str]:
    """The names matching any comma-separated fnmatch pattern (as written, or as a normalised key:
    ``open_pairs`` selects ``open-pairs``)."""
    patterns = [p.strip() for p in pattern.split(",") if p.strip()]
    return [n for n in names if any(fnmatch.fnmatchcase(n, p) or fnmatch.fnmatchcase(key(n), p) for p in patterns)]


def _seed(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _context(seed: int, command: str) -> dict:
    import torch

    from affectzoo._version import __version__

    return {"seed": seed, "affectzoo_version": __version__, "torch_version": torch.__version__,
            "device": f"cpu ({platform.machine()})", "date": datetime.date.today().isoformat(), "command": command}


def run_benchmark(models: str = "*", datasets: str = "*", root: str = "../shared/data", out: Path | str = "leaderboard",
                  seed: int = 0, split: str = "test", command: str | None = None, show_progress: bool = True,
                  peers: bool = False) -> Path:
    """Run the selection and write ``out/benchmark.csv``; returns its path. ``peers``: also the public
    peers that are installed (:mod:`~affectzoo.leaderboard.peers`), on the datasets they can read."""
    import torch
    from tqdm.auto import tqdm

    import affectzoo

    command = command or "affectzoo benchmark " + " ".join(shlex.quote(a) for a in sys.argv[2:])
    context = _context(seed, command)
    cfgs = candidate_models()
    chosen = select(cfgs, models)
    benchmarks = select(DATASETS, datasets)
    if not chosen or not benchmarks:
        raise ValueError(f"nothing to run: models {models!r} match {chosen}, datasets {datasets!r} match {benchmarks}"
                         f" (models: {sorted(cfgs)}; datasets: {sorted(DATASETS)})")
    plan = [(name, dataset) for name in chosen for dataset in benchmarks if DATASETS[dataset][0](cfgs[name])]
    installed = installed_peers() if peers else {}
    if peers and not installed:
        print("no public peer installed (VibeNet: python benchmarks/peers_music_va.py --setup); running without",
              file=sys.stderr)
    plan += [(name, dataset) for name in installed for dataset in benchmarks if dataset in PEER_DATASETS]
    rows, loaded = [], {}
    for name, dataset in tqdm(plan, desc="benchmark", unit="run", disable=not show_progress):
        cfg = installed[name].pretrained_cfg if name in installed else cfgs[name]
        base = {**context, "model": name, "tag": cfg.tag or "", "dataset": key(dataset),
                "weights_sha256": cfg.sha256 or "", "split": split}
        try:
            _seed(seed)
            if name not in loaded:  # one model in memory at a time
                loaded = {name: installed[name] if name in installed else affectzoo.load(name)}
            model = loaded[name]
            _seed(seed)
            with contextlib.nullcontext() if dataset == "imemnet-interactions" else torch.no_grad():
                measured = DATASETS[dataset][1](model, cfg, root, split)
            rows += [{**base, "task": m.task, "split": m.split, "metric": key(m.metric), "value": m.value, "n": m.n}
                     for m in measured if name not in installed or peer_keeps(key(m.metric))]
        except Exception as error:  # noqa: BLE001 - a failing model is reported and the run goes on
            message = f"{type(error).__name__}: {error}".replace("\n", " ")[:500]
            rows.append({**base, "task": ",".join(DATASETS[dataset][0](cfg)), "metric": "error", "value": None,
                         "n": 0, "error": message})
            traceback.print_exc(limit=2, file=sys.stderr)
    return write_csv(Path(out) / "benchmark.csv", rows)

