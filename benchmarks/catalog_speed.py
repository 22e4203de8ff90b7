"""How fast a memory-mapped catalogue answers the Mozart recommender's eq. 7, against one plain GEMM.

Eq. 7 ranks catalogue items p by d(p) = sum_i w_i ||z_i - p||_2 over M rated codes z_i. A seeded
catalogue of clustered Gaussian codes (uneven cluster sizes, decaying per-dimension spread, like a
learned embedding) is saved to a temporary file in each storage and loaded memory-mapped, as a
user would. Each repeat is a new "user": M rated clips drawn mostly from a few favourite clusters,
weights from their star ratings. In the same run, interleaved per repeat (with a 0.25 s pause
before each call so that idle thread pools settle), it times (median ms):

* ``ours``: ``Catalog.nearest_weighted`` on the float32 file (blocked GEMM + shortlist re-rank);
* ``ours_int8`` / ``ours_fp16``: the same on int8 / float16 files (nothing else stored), and
  ``ours_int8_f32copy``: int8 scan with the float32 copy kept for the re-rank;
* ``gemm_fp32``: one fp32 GEMM of the whole in-memory catalogue against the queries, with the
  same precomputed item norms, weighted sum and argpartition top-k (no blocking);
  ``gemm_fp32_with_norms`` also computes the item norms in the timed call;
* ``naive``: eq. 7 as a Python loop of ``torch.cdist`` per rated clip, weighted sum, ``topk``;
* with ``--faiss``: ``ours_ivfpq``, the float32 file with a faiss IVF-PQ index beside it
  (:mod:`affectzoo.catalog_ann`: candidates near each rated code and their weighted mean, re-ranked
  exactly); its build time and index size are reported too.

Recall@k of each is measured against exact float64 eq. 7 on the original float32 vectors. Peak
memory per call: ``tracemalloc`` (NumPy/Python heap allocated during the call; torch's allocator
is invisible to it) and RssAnon sampled from /proc/self/status every ~0.5 ms after glibc's
malloc_trim (anonymous resident memory, all libraries; memory-mapped file pages are not anonymous),
both minus the level before the call.

    python benchmarks/catalog_speed.py --n 1000000 --dim 128 --queries 11 --k 10 --repeat 5 --json OUT [--faiss]
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import gc
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_csv import append_rows  # noqa: E402

from affectzoo._io import atomic_write_text  # noqa: E402
from affectzoo.catalog import DEFAULT_BLOCK, Catalog  # noqa: E402

REFERENCE = "gemm_fp32"
SETTLE_S = 0.25


def make_catalogue(n: int, dim: int, seed: int) -> np.ndarray:
    """Clustered Gaussian codes: n // 1000 clusters of Zipf-like sizes, decaying per-dimension spread."""
    rng = np.random.default_rng(seed)
    clusters = max(8, n // 1000)
    spread = (1.0 + np.arange(dim)) ** -0.5
    spread = (spread / np.sqrt((spread ** 2).mean())).astype(np.float32)
    centres = rng.standard_normal((clusters, dim), dtype=np.float32) * spread
    width = rng.uniform(0.25, 0.6, clusters).astype(np.float32)
    sizes = 1.0 / (1.0 + np.arange(clusters)) ** 0.8
    member = rng.choice(clusters, size=n, p=sizes / sizes.sum())
    codes = np.empty((n, dim), np.float32)
    for start in range(0, n, 65536):
        part = member[start:start + 65536]
        noise = rng.standard_normal((len(part), dim), dtype=np.float32)
        codes[start:start + 65536] = centres[part] + noise * spread * width[part, None]
    return codes, member


def make_user(codes: np.ndarray, member: np.ndarray, m: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """M rated clips (about 3/4 from three favourite clusters, the rest anywhere) and weights from 1-5 stars."""
    favourites = rng.choice(np.unique(member), 3, replace=False)
    liked = np.flatnonzero(np.isin(member, favourites))
    picks = np.concatenate([rng.choice(liked, m - m // 4, replace=False), rng.choice(len(codes), m // 4)])
    stars = rng.integers(1, 6, m).astype(np.float64)
    return codes[picks].astype(np.float64), stars / stars.sum()


def exact_top(codes: np.ndarray, queries: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
    """Indices of the exact float64 top-k of eq. 7: float64 GEMM for candidates, then differences."""
    qn = (queries ** 2).sum(1)
    scores = np.empty(len(codes))
    for start in range(0, len(codes), 65536):
        block = codes[start:start + 65536].astype(np.float64)
        squared = (block ** 2).sum(1)[:, None] + qn - 2 * block @ queries.T
        scores[start:start + 65536] = np.sqrt(np.maximum(squared, 0)) @ weights
    candidates = np.sort(np.argpartition(scores, 50 * k)[:50 * k])
    diff = codes[candidates].astype(np.float64)[None] - queries[:, None]
    exact = weights @ np.sqrt((diff ** 2).sum(-1))
    return candidates[np.lexsort((candidates, exact))[:k]]


def gemm_fp32(codes, norms, queries32, weights32, k, with_norms=False):
    """The plain reference: one GEMM over the whole in-memory catalogue, then norms, sqrt, weights, top-k."""
    if with_norms:
        norms = np.einsum("ij,ij->i", codes, codes)
    squared = codes @ (-2 * queries32).T
    squared += (queries32 ** 2).sum(1)
    squared += norms[:, None]
    np.maximum(squared, 0, out=squared)
    np.sqrt(squared, out=squared)
    scores = squared @ weights32
    best = np.argpartition(scores, k - 1)[:k]
    return best[np.lexsort((best, scores[best]))]


def naive(codes_t, queries, weights, k):
    """Eq. 7 as written: a torch.cdist per rated clip over the whole catalogue, weighted sum, topk."""
    total = torch.zeros(len(codes_t))
    for z, w in zip(torch.from_numpy(queries.astype(np.float32)), weights.tolist()):
        total += w * torch.cdist(z[None], codes_t)[0]
    return torch.topk(total, k, largest=False).indices.numpy()


def _rss_anon_kb() -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


def _release_free_memory() -> None:
    """Hand freed heap pages back to the OS (glibc malloc_trim), so that a call's allocations show in RssAnon."""
    gc.collect()
    try:
        ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)
    except (OSError, AttributeError, TypeError):
        pass


def peak_memory(call) -> tuple[float, float]:
    """(tracemalloc peak MB, sampled RssAnon peak MB) of one call, above the level before it."""
    _release_free_memory()
    peak, stop = [_rss_anon_kb()], threading.Event()
    base = peak[0]

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], _rss_anon_kb())
            time.sleep(0.0005)

    sampler = threading.Thread(target=sample, daemon=True)
    tracemalloc.start()
    sampler.start()
    try:
        call()
    finally:
        stop.set()
        sampler.join()
        traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return traced / 2**20, (max(peak[0], _rss_anon_kb()) - base) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--queries", type=int, default=11)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--block-size", type=int, default=DEFAULT_BLOCK)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write every figure to this JSON file")
    parser.add_argument("--faiss", action="store_true", help="also time an IVF-PQ index (needs faiss-cpu)")
    parser.add_argument("--nprobe", type=int, default=16, help="IVF lists visited per probe (with --faiss)")
    args = parser.parse_args()
    started = time.perf_counter()

    print(f"making {args.n} x {args.dim} clustered codes ...", flush=True)
    codes, member = make_catalogue(args.n, args.dim, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    users = [make_user(codes, member, args.queries, rng) for _ in range(args.repeat + 1)]  # [0] warms up
    with tempfile.TemporaryDirectory(prefix="catalog_speed.") as folder:
        catalog = Catalog([str(i) for i in range(args.n)], codes, kind="music")
        files = {}
        for name, storage, keep in (("ours", "float32", False), ("ours_int8", "int8", False),
                                    ("ours_fp16", "float16", False), ("ours_int8_f32copy", "int8", True)):
            print(f"saving {name} ({storage}{' + float32' if keep else ''}) ...", flush=True)
            files[name] = catalog.save(Path(folder) / f"{name}.safetensors", storage=storage, keep_float32=keep)
        del catalog
        loaded = {name: Catalog.load(path) for name, path in files.items()}
        index_facts = {}
        if args.faiss:
            print("building the IVF-PQ index ...", flush=True)
            t = time.perf_counter()
            indexed = Catalog.load(files["ours"]).build_ann(nprobe=args.nprobe, seed=args.seed)
            index_facts["ivfpq_build_s"] = round(time.perf_counter() - t, 1)
            sidecar = indexed.ann.save(Path(folder) / "ours.ivfpq.faiss")
            index_facts["ivfpq_index_mb"] = round(os.path.getsize(sidecar) / 2**20, 1)
            index_facts["ivfpq"] = {"nlist": int(indexed.ann.index.nlist), "m": int(indexed.ann.index.pq.M),
                                    "nbits": int(indexed.ann.index.pq.nbits), "nprobe": args.nprobe}
            loaded["ours_ivfpq"] = indexed
        assert all(isinstance(c._scanned().codes if c.storage == "int8" else c._scanned(), np.memmap)
                   for c in loaded.values()), "catalogues are memory-mapped"
        norms = np.einsum("ij,ij->i", codes, codes)  # the reference gets the same precomputed norms
        codes_t = torch.from_numpy(codes)
        methods = {name: (lambda c: lambda q, w: c.nearest_weighted(q, w, args.k, args.block_size)[0])(c)
                   for name, c in loaded.items()}
        methods["gemm_fp32"] = lambda q, w: gemm_fp32(codes, norms, q.astype(np.float32), w.astype(np.float32),
                                                      args.k)
        methods["gemm_fp32_with_norms"] = lambda q, w: gemm_fp32(codes, norms, q.astype(np.float32),
                                                                 w.astype(np.float32), args.k, with_norms=True)
        methods["naive"] = lambda q, w: naive(codes_t, q, w, args.k)

        print("exact float64 answers ...", flush=True)
        truth = [exact_top(codes, q, w, args.k) for q, w in users]
        times = {name: [] for name in methods}
        recalls = {name: [] for name in methods}
        for name, method in methods.items():  # warm up: page in the maps, import torch's kernels
            method(*users[0])
        for r, (q, w) in enumerate(users[1:], 1):
            print(f"repeat {r}/{args.repeat}", flush=True)
            for name, method in methods.items():
                time.sleep(SETTLE_S)  # let the previous method's idle BLAS/OpenMP threads stop spinning
                t = time.perf_counter()
                found = method(q, w)
                times[name].append((time.perf_counter() - t) * 1000)
                recalls[name].append(len(np.intersect1d(found, truth[r])) / args.k)
        print("peak memory ...", flush=True)
        memory = {name: peak_memory(lambda: method(*users[1])) for name, method in methods.items()}
        sizes = {name: os.path.getsize(path) / 2**20 for name, path in files.items()}

    medians = {name: statistics.median(values) for name, values in times.items()}
    reference = medians[REFERENCE]
    result = {
        "config": {**{key: (str(value) if isinstance(value, Path) else value) for key, value in vars(args).items()},
                   "threads_torch": torch.get_num_threads(), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
                   "data": "clustered Gaussian codes (n/1000 Zipf-sized clusters, decaying spread), seeded",
                   "storage": "temporary safetensors files, loaded memory-mapped (Catalog.load)"},
        **{f"{name}_ms": round(value, 2) for name, value in medians.items()},
        "ratio_to_gemm_fp32": {name: round(value / reference, 3) for name, value in medians.items()},
        "recall_at_10" if args.k == 10 else f"recall_at_{args.k}":
            {name: round(float(np.mean(values)), 4) for name, values in recalls.items()},
        "times_ms": {name: [round(v, 2) for v in values] for name, values in times.items()},
        "peak_memory_mb": {name: {"tracemalloc": round(traced, 1), "rss_anon_sampled": round(rss, 1)}
                           for name, (traced, rss) in memory.items()},
        "memory_method": "tracemalloc peak (NumPy/Python heap; not torch's allocator) and RssAnon sampled every "
                         "~0.5 ms after malloc_trim, both above the level before one call; neither counts the "
                         "catalogue itself (mapped file pages, or the in-memory array of the references)",
        "file_mb": {name: round(value, 1) for name, value in sizes.items()},
        "reference_catalogue_in_memory_mb": round(codes.nbytes / 2**20, 1),
        **index_facts,
        "runtime_s": round(time.perf_counter() - started, 1),
    }
    if args.json:
        atomic_write_text(args.json, json.dumps(result, indent=2) + "\n")
        print(f"wrote {args.json}")
    recall_key = next(key for key in result if key.startswith("recall_at_"))
    rows = [{"measurement": f"{name} eq.7 top-{args.k}", "value": round(median, 2), "unit": "ms (median per query set)",
             "ratio_to": REFERENCE, "ratio": round(median / reference, 3), "n": args.repeat,
             "note": f"N={args.n} D={args.dim} M={args.queries}; {recall_key} {result[recall_key][name]}; "
                     f"peak tracemalloc {memory[name][0]:.1f} MB, RssAnon {memory[name][1]:.1f} MB"}
            for name, median in medians.items()]
    append_rows("catalog_speed", rows)
    print(f"total {result['runtime_s']} s")


if __name__ == "__main__":
    main()
