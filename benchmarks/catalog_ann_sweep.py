"""Recall and time of the IVF-PQ candidates (affectzoo.catalog_ann) across nprobe and shortlist.

The same seeded catalogue and users as ``catalog_speed.py`` (clustered 128-d codes, 11 rated codes
per user); recall@k against exact float64 eq. 7. One index is built and queried at every setting.

    python benchmarks/catalog_ann_sweep.py --n 1000000 --nprobe 16 32 64 --shortlist 100 300 1000
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from affectzoo.catalog import Catalog
from catalog_speed import exact_top, make_catalogue, make_user


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--queries", type=int, default=11)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--users", type=int, default=5)
    parser.add_argument("--nprobe", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--shortlist", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    codes, member = make_catalogue(args.n, args.dim, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    users = [make_user(codes, member, args.queries, rng) for _ in range(args.users + 1)][1:]  # as catalog_speed
    truth = [exact_top(codes, q, w, args.k) for q, w in users]
    catalogue = Catalog([str(i) for i in range(len(codes))], codes).build_ann(seed=args.seed)
    rows = []
    for nprobe in args.nprobe:
        catalogue.ann.nprobe = nprobe
        for shortlist in args.shortlist:
            started, recall = time.perf_counter(), []
            for (q, w), expected in zip(users, truth):
                found = catalogue.nearest_weighted(q, w, args.k, shortlist=shortlist)[0]
                recall.append(len(np.intersect1d(found, expected)) / args.k)
            rows.append({"nprobe": nprobe, "shortlist": shortlist, f"recall_at_{args.k}": float(np.mean(recall)),
                         "ms_per_user": round((time.perf_counter() - started) / len(users) * 1000, 1)})
            print(json.dumps(rows[-1]), flush=True)


if __name__ == "__main__":
    main()
