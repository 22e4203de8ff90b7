"""``affectzoo data`` (open benchmark builds) and ``affectzoo cache`` (the feature cache)."""

from __future__ import annotations


def register(commands) -> dict:
    p = commands.add_parser("data", help="open benchmark builds: list, build, info")
    data = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    data.add_parser("list", help="list the builds and whether they are built")
    q = data.add_parser("build", help="build a benchmark manifest from the open data")
    q.add_argument("name")
    q.add_argument("--root", default="../shared/data", help="folder of the open data (default ../shared/data)")
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--force", action="store_true", help="rebuild even when the manifest exists")
    q = data.add_parser("info", help="print a build's card")
    q.add_argument("name")
    q.add_argument("--seed", type=int, default=0)

    p = commands.add_parser("cache", help="inspect or empty the feature cache")
    cache = p.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    cache.add_parser("info", help="entries and size per namespace")
    q = cache.add_parser("clear", help="delete a namespace, or everything")
    q.add_argument("namespace", nargs="?")
    return {"data": run_data, "cache": run_cache}


def run_data(args) -> int:
    from affectzoo.data import builds

    if args.data_command == "list":
        for name in builds.list_builds():
            built = (builds.build_dir(name) / "card.json").is_file()
            print(f"{name:<16} {'built' if built else 'not built'}  {builds.describe(name)}")
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
