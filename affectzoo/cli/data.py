"""``affectzoo data`` (open benchmark builds; ``data build emid-like`` pairs your own music and images
as EMID was built, :mod:`affectzoo.models.emi_adapter.pairing`) and ``affectzoo cache`` (the feature cache)."""

from __future__ import annotations

import sys

EMID_LIKE = "emid-like"


def register(commands) -> dict:
    p = commands.add_parser("data", help="open benchmark builds: list, build, info")
    data = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    data.add_parser("list", help="list the builds and whether they are built")
    q = data.add_parser("build", help="build a benchmark manifest from the open data, or pair your own music "
                                      "and images as EMID was built (emid-like)")
    q.add_argument("name", help=f"a build (`affectzoo data list`) or {EMID_LIKE}")
    q.add_argument("--root", default="../shared/data", help="folder of the open data (default ../shared/data)")
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--force", action="store_true", help="rebuild even when the manifest exists")
    _add_emid_like_options(q)
    q = data.add_parser("info", help="print a build's card")
    q.add_argument("name")
    q.add_argument("--seed", type=int, default=0)

    p = commands.add_parser("cache", help="inspect or empty the feature cache")
    cache = p.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    cache.add_parser("info", help="entries and size per namespace")
    q = cache.add_parser("clear", help="delete a namespace, or everything")
    q.add_argument("namespace", nargs="?")
    return {"data": run_data, "cache": run_cache}


def _add_emid_like_options(q) -> None:
    from affectzoo.cli._common import add_on_error_option

    e = q.add_argument_group(f"{EMID_LIKE} (EMID's section 3.1 pairing of your own music and images)")
    e.add_argument("--embedder", default="mozart", metavar="NAME",
                   help="joint space: mozart (default), imagebind (where installed with its weights), or an "
                        "embedding file (.npz with arrays ids, vectors; or a CSV id,v0,v1,...)")
    e.add_argument("--music", nargs="+", metavar="DIR", help="music files or folders")
    e.add_argument("--images", nargs="+", metavar="DIR", help="image files or folders")
    e.add_argument("--out", default="emid_like/EMID_data.csv", metavar="FILE.csv",
                   help="the pairs in the EMID_data.csv layout (default emid_like/EMID_data.csv); "
                        "diagnostics beside it as .diagnostics.json")
    e.add_argument("--alpha", type=float, default=0.6, help="weight of the semantic score in T (default 0.6)")
    e.add_argument("--top-k", type=int, default=100, help="semantic candidates per clip (default 100)")
    e.add_argument("--m", type=int, default=3, help="images kept per clip (default 3)")
    e.add_argument("--semantic", choices=("softmax", "cosine"), default="softmax",
                   help="S: row-wise softmax of X Y^T (the paper's formula, default) or cosine")
    e.add_argument("--temperature", type=float, default=1.0, help="softmax temperature (default 1)")
    e.add_argument("--va-labels", metavar="CSV",
                   help="known V/A in [-1, 1]: columns id (or file), valence, arousal; others are predicted")
    add_on_error_option(e)


def run_emid_like(args) -> int:
    from affectzoo.models.emi_adapter.pairing import build_emid_like, format_diagnostics

    missing = [option for option, value in (("--music", args.music), ("--images", args.images)) if not value]
    if missing:
        print(f"error: {EMID_LIKE} needs {' and '.join(missing)}", file=sys.stderr)
        return 2
    _, diagnostics = build_emid_like(args.music, args.images, args.embedder, args.out, alpha=args.alpha,
                                     top_k=args.top_k, m=args.m, semantic=args.semantic,
                                     temperature=args.temperature, va_labels=args.va_labels, on_error=args.on_error)
    print(f"wrote {diagnostics['csv']}")
    print(f"diagnostics: {diagnostics['diagnostics_file']}")
    print(format_diagnostics(diagnostics))
    if diagnostics["skipped"]:
        from affectzoo.cli._common import report_skipped

        report_skipped([(row["file"], row["reason"]) for row in diagnostics["skipped"]])
    return 0


def run_data(args) -> int:
    from affectzoo.data import builds

    if args.data_command == "list":
        for name in builds.list_builds():
            built = (builds.build_dir(name) / "card.json").is_file()
            print(f"{name:<16} {'built' if built else 'not built'}  {builds.describe(name)}")
        print(f"{EMID_LIKE:<16} {'(yours)':<9}  pairs your own music and images as EMID was built: "
              f"data build {EMID_LIKE} --music DIR --images DIR")
    elif args.data_command == "build" and args.name == EMID_LIKE:
        return run_emid_like(args)
    elif args.data_command == "build":
        folder = builds.build(args.name, args.root, seed=args.seed, force=args.force)
        print(f"wrote {folder}")
        print((folder / "card.md").read_text())
    else:
        print(builds.card_markdown(builds.build_card(args.name, args.seed)))
    return 0


def run_cache(args) -> int:
    from affectzoo.data.cache import cache_info, cache_root, clear_cache

    if args.cache_command == "clear":
        freed = clear_cache(args.namespace)
        print(f"freed {freed / 1e6:.1f} MB from {cache_root()}")
        return 0
    info = cache_info()
    print(f"cache: {cache_root()}")
    for namespace, stats in info.items():
        print(f"  {namespace:<24} {stats['entries']:>7} entries {stats['bytes'] / 1e6:>10.1f} MB")
    if not info:
        print("  (empty)")
    return 0
