"""``affectzoo benchmark`` and ``affectzoo leaderboard``: the leaderboard runs (:mod:`affectzoo.leaderboard`).

Without ``--efficiency``: every pretrained model on every open benchmark it applies to, one
long-format CSV (``OUT/benchmark.csv``). With ``--efficiency``: parameters, GFLOPs, latency,
throughput and peak memory per model beside the machine's matmul peak (``OUT/efficiency_*.csv``).
``affectzoo leaderboard`` runs both and regenerates the documents (:mod:`affectzoo.leaderboard.report`).
"""

from __future__ import annotations

from pathlib import Path


def register(commands) -> dict:
    p = commands.add_parser("benchmark", help="leaderboard runs: every pretrained model on the open benchmarks")
    p.add_argument("--models", default="*", help="fnmatch pattern(s), comma-separated (default: every model)")
    p.add_argument("--datasets", default="*", help="fnmatch pattern(s) over open-pairs, open-image-va, "
                                                    "open-music-va, open-palettes, imemnet-interactions, "
                                                    "recommender-simulation")
    p.add_argument("--root", default="../shared/data", help="the open data (builds are made on first use)")
    p.add_argument("--out", type=Path, default=Path("benchmarks/results/leaderboard"), help="output folder")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--split", default="test", choices=("val", "test"))
    p.add_argument("--peers", action="store_true", help="also the installed public peers (VibeNet, benchmark-only: "
                                                        "python benchmarks/peers_music_va.py --setup)")
    p.add_argument("--efficiency", action="store_true", help="measure speed and size instead of quality")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = commands.add_parser("leaderboard", help="rerun the benchmark and efficiency runs and regenerate "
                                                "docs/leaderboard.md, its plots, the model cards and docs/site/")
    p.add_argument("--root", default="../shared/data", help="the open data (builds are made on first use)")
    p.add_argument("--results", type=Path, default=Path("benchmarks/results/leaderboard"), help="CSV folder")
    p.add_argument("--docs", type=Path, default=Path("docs"), help="documentation folder")
    p.add_argument("--checkpoints", type=Path, default=Path("checkpoints"), help="shipped checkpoints (for the cards)")
    p.add_argument("--docs-only", action="store_true", help="regenerate the documents from the existing CSVs")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return {"benchmark": run, "leaderboard": run_leaderboard}


def run(args) -> int:
    if args.efficiency:
        from affectzoo.leaderboard.efficiency import run_efficiency

        path = run_efficiency(args.models, args.out, show_progress=not args.quiet)
    else:
        from affectzoo.leaderboard.runner import run_benchmark

        path = run_benchmark(args.models, args.datasets, args.root, args.out, args.seed, args.split,
                             show_progress=not args.quiet, peers=args.peers)
    print(f"wrote {path}")
    return 0


def run_leaderboard(args) -> int:
    from affectzoo.leaderboard.report import write_docs

    if not args.docs_only:
        from affectzoo.leaderboard.efficiency import run_efficiency
        from affectzoo.leaderboard.runner import run_benchmark

        command = f"affectzoo leaderboard --root {args.root}"
        print(f"wrote {run_benchmark('*', '*', args.root, args.results, command=command, show_progress=not args.quiet, peers=True)}")
        print(f"wrote {run_efficiency('*', args.results, show_progress=not args.quiet)}")
    from affectzoo import _docs

    index = write_docs(args.results, args.docs, args.checkpoints)
    _docs.main(["--write"])  # the README's score table reads the same CSV
    print(f"wrote {args.docs / 'leaderboard.md'} and the site: {index}")
    return 0
