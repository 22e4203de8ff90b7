"""``affectzoo benchmark --efficiency``: what each pretrained model costs on this machine, against its limit.

Per model and task operation: parameters, GFLOPs per item (``torch.utils.flop_counter``, the whole
task method on one item: frozen encoders included), latency of one item (best of 3), throughput and
achieved GFLOP/s at batch 32 (the FLOPs of the batch-32 call over its time),
the process's peak resident memory, and the machine's fp32 matmul GFLOP/s measured in the same
run, so achieved GFLOP/s reads as a fraction of the machine's limit.

Every call gets fresh synthetic files (random pictures, 15-s noise-and-tone clips) and a fresh
feature cache, so what is timed is the cold cost of new media, not a cache read. Each model runs in
its own spawned process, so its peak memory is its own. Operations per task:

* ``pair-scorer``: ``score(images, clip)``; an item is one (painting, clip) pair (batch 32: 32
  paintings with one clip, as ``rank`` does);
* ``va-predictor``: ``predict_va(images=...)`` and ``predict_va(audio=...)``; an item is a picture
  or a clip;
* ``recommender`` (rating-based: Mozart, Salieri, Haydn): ``index(paintings)``; an item is a
  painting added to a catalogue (the EMI adapters' items are IMEMNet ids, not media: parameters only);
* ``palette-generator``: ``generate(clip)``; an item is a clip.
"""

from __future__ import annotations

import csv
import datetime
import io
import multiprocessing
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from affectzoo._io import atomic_write_text

BATCH = 32
REPEATS = 3
CLIP_SECONDS = 15.0
SAMPLE_RATE = 16000
COLUMNS = ("model", "tag", "task", "operation", "item", "params", "gflops_per_item", "latency_b1_ms",
           "throughput_b32_per_s", "achieved_gflops_b32", "fraction_of_fp32_peak", "peak_rss_mb",
           "matmul_fp32_gflops", "threads", "device", "torch_version", "affectzoo_version", "date", "error")


def matmul_gflops(repeats: int = REPEATS, n: int = 2048, dtype=None) -> float:
    """Best-of-``repeats`` GFLOP/s of an ``n``^3 matrix product (fp32 unless ``dtype``)."""
    import torch

    a, b = torch.randn(n, n, dtype=dtype or torch.float32), torch.randn(n, n, dtype=dtype or torch.float32)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


class MediaFactory:
    """Fresh random pictures and clips in a temporary folder (new content every call)."""

    def __init__(self, folder: Path, seed: int = 0) -> None:
        self.folder, self.rng, self.count = folder, np.random.default_rng(seed), 0

    def images(self, n: int) -> list[str]:
        from PIL import Image

        out = []
        for _ in range(n):
            self.count += 1
            path = self.folder / f"image{self.count}.png"
            Image.fromarray(self.rng.integers(0, 255, (256, 256, 3), dtype=np.uint8)).save(path)
            out.append(str(path))
        return out

    def clips(self, n: int) -> list[str]:
        import soundfile as sf

        out = []
        t = np.arange(int(CLIP_SECONDS * SAMPLE_RATE)) / SAMPLE_RATE
        for _ in range(n):
            self.count += 1
            path = self.folder / f"clip{self.count}.wav"
            wave = 0.3 * np.sin(2 * np.pi * self.rng.uniform(110, 880) * t) + 0.05 * self.rng.standard_normal(len(t))
            sf.write(path, wave.astype(np.float32), SAMPLE_RATE)
            out.append(str(path))
        return out


def operations(model, cfg) -> list[tuple[str, str, str, object]]:
    """(task, operation, item, run(media, batch)) for the tasks of ``cfg`` that take media."""
    from affectzoo.leaderboard.open_pairs import RATING_RECOMMENDERS

    out = []
    if "pair-scorer" in cfg.tasks:
        out.append(("pair-scorer", "score", "pair", lambda m, b: model.score(m.images(b), m.clips(1)[0])))
    if "va-predictor" in cfg.tasks:
        out.append(("va-predictor", "predict_va(images)", "picture", lambda m, b: model.predict_va(images=m.images(b))))
        out.append(("va-predictor", "predict_va(audio)", "clip", lambda m, b: model.predict_va(audio=m.clips(b))))
    if "recommender" in cfg.tasks and cfg.family in RATING_RECOMMENDERS:
        out.append(("recommender", "index", "painting", lambda m, b: model.index(m.images(b))))
    if "palette-generator" in cfg.tasks:
        out.append(("palette-generator", "generate", "clip",
                    lambda m, b: [model.generate(clip, seed=0) for clip in m.clips(b)]))
    return out


def _parameters(model) -> list:
    """The distinct parameters of ``model`` and of the torch modules it holds (engines hold their models)."""
    import torch

    modules = [model] + [v for v in vars(model).values() if isinstance(v, torch.nn.Module)]
    seen = {}
    for module in modules:
        if isinstance(module, torch.nn.Module):
            seen.update({id(p): p for p in module.parameters()})
    return list(seen.values())


def peak_memory_mb() -> float:
    """This process's peak resident memory in MB: ``VmHWM`` (reset by exec, unlike ``ru_maxrss``,
    which a spawned child inherits from its parent on Linux), else ``ru_maxrss``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_model(name: str) -> list[dict]:
    """The efficiency rows of one model (runs in its own process; see the module docstring)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    import affectzoo
    from affectzoo.leaderboard.runner import candidate_models

    cfg = candidate_models()[name]
    base = {"model": name, "tag": cfg.tag or "", "threads": torch.get_num_threads()}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["AFFECTZOO_CACHE"] = str(Path(tmp) / "cache")
        media = MediaFactory(Path(tmp))
        model = affectzoo.load(name)
        parameters = _parameters(model)
        params = sum(p.numel() for p in parameters)
        for p in parameters:  # inference only; the FLOP counter's module hooks expect no leaf that needs grad
            p.requires_grad_(False)
        rows = []
        ops = operations(model, cfg)
        if not ops:
            rows.append({**base, "task": ",".join(cfg.tasks), "operation": "-", "item": "-", "params": params})
        for task, operation, item, run in ops:
            with torch.no_grad():
                run(media, 1)  # warm-up: lazy loads, first-call allocations
                with FlopCounterMode(display=False) as counter:
                    run(media, 1)
                latency = float("inf")
                for _ in range(REPEATS):
                    start = time.perf_counter()
                    run(media, 1)
                    latency = min(latency, time.perf_counter() - start)
                with FlopCounterMode(display=False) as batch_counter:
                    run(media, BATCH)
                start = time.perf_counter()
                run(media, BATCH)
                seconds = time.perf_counter() - start
            gflops = counter.get_total_flops() / 1e9
            rows.append({**base, "task": task, "operation": operation, "item": item, "params": params,
                         "gflops_per_item": round(gflops, 4), "latency_b1_ms": round(latency * 1000, 1),
                         "throughput_b32_per_s": round(BATCH / seconds, 2),
                         "achieved_gflops_b32": round(batch_counter.get_total_flops() / 1e9 / seconds, 2)})
    return [{**row, "peak_rss_mb": round(peak_memory_mb(), 1)} for row in rows]


def _child(name: str, queue) -> None:
    try:
        queue.put(measure_model(name))
    except Exception as error:  # noqa: BLE001 - reported as the model's error row
        queue.put([{"model": name, "error": f"{type(error).__name__}: {error}".replace("\n", " ")[:500]}])


def run_efficiency(models: str = "*", out: Path | str = "benchmarks/results/leaderboard",
                   show_progress: bool = True) -> Path:
    """Measure the selected models; writes ``out/efficiency_<device>_torch-<version>.csv``."""
    import torch
    from tqdm.auto import tqdm

    from affectzoo._version import __version__
    from affectzoo.leaderboard.runner import candidate_models, select

    names = select(candidate_models(), models)
    if not names:
        raise ValueError(f"no model matches {models!r}; models: {sorted(candidate_models())}")
    peak = matmul_gflops()
    device = f"cpu-{platform.machine()}"
    context = {"matmul_fp32_gflops": round(peak, 1), "device": device, "torch_version": torch.__version__,
               "affectzoo_version": __version__, "date": datetime.date.today().isoformat()}
    spawn = multiprocessing.get_context("spawn")
    rows = []
    for name in tqdm(names, desc="efficiency", unit="model", disable=not show_progress):
        queue = spawn.Queue()
        process = spawn.Process(target=_child, args=(name, queue))
        process.start()
        result = queue.get()
        process.join()
        for row in result:
            if row.get("achieved_gflops_b32") is not None:
                row["fraction_of_fp32_peak"] = round(row["achieved_gflops_b32"] / peak, 4)
            rows.append({**context, **row})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({c: row.get(c, "") for c in COLUMNS} for row in rows)
    version = torch.__version__.split("+")[0]
    return atomic_write_text(Path(out) / f"efficiency_{device}_torch-{version}.csv", buffer.getvalue())
