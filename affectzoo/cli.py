"""Command line: ``affectzoo`` (also installed as ``lightning``).

* ``fit | validate | test | predict --config recipes/X.yaml``: LightningCLI, with model and
  DataModule chosen by class path (subclass mode), ``${...}`` interpolation (omegaconf parser
  mode), ``seed_everything`` and the resolved config saved beside each run's logs.
* zoo commands: ``list``, ``info``, ``export``, ``publish``; inference: ``judge``, ``recommend-music``, ``va``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

LIGHTNING_COMMANDS = {
    "fit": "train a model from a recipe (LightningCLI)",
    "validate": "evaluate on the validation split (LightningCLI)",
    "test": "evaluate on the test split (LightningCLI)",
    "predict": "run predictions (LightningCLI)",
}


def run_lightning(argv: list[str]):
    """Run LightningCLI on ``argv`` (e.g. ``["fit", "--config", "recipes/mpjudge.yaml"]``)."""
    import lightning as L
    from lightning.pytorch.cli import LightningCLI

    from affectzoo.models.base import ZooModule

    return LightningCLI(
        ZooModule,
        L.LightningDataModule,
        subclass_mode_model=True,
        subclass_mode_data=True,
        parser_kwargs={"parser_mode": "omegaconf"},
        save_config_kwargs={"overwrite": True},
        trainer_defaults={"logger": {"class_path": "lightning.pytorch.loggers.CSVLogger",
                                     "init_args": {"save_dir": "runs"}}},
        # LightningCLI warns when given args that equal the command line; pass None then
        args=None if argv == sys.argv[1:] else argv,
    )


def _build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="affectzoo: models that connect music and visual art through emotion.",
        epilog=f"Training commands take a recipe: `{prog} fit --config recipes/X.yaml` "
               f"(see `{prog} fit --help`).")
    from affectzoo import __version__

    parser.add_argument("--version", action="version", version=f"affectzoo {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, text in LIGHTNING_COMMANDS.items():
        commands.add_parser(name, help=text, add_help=False)

    p = commands.add_parser("list", help="list registered models (fnmatch PATTERN)")
    p.add_argument("pattern", nargs="?", default="*")
    p.add_argument("--pretrained", action="store_true", help="only arch.tag names that have weights")

    p = commands.add_parser("info", help="describe a model: tags, arguments, parameters, weights, metrics")
    p.add_argument("name")

    p = commands.add_parser("export", help="turn a Lightning .ckpt into model.safetensors + config.json + card")
    p.add_argument("checkpoint")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--name", metavar="ARCH.TAG",
                   help="registered name the weights belong to (its cfg fills the card's description, outputs, ...)")
    p.add_argument("--recipe", default="", help="the recipe command that trained the weights (for the card)")
    p.add_argument("--training-data", default="", help="what the weights were trained on, with labels")
    p.add_argument("--held-out", default="", help="what was held out for validation and testing")
    p.add_argument("--license", default="", help="licence of the weights (follows the training data)")
    p.add_argument("--metrics-csv", metavar="METRICS.CSV",
                   help="metrics.csv of an `affectzoo test` run (CSVLogger); its test/* values go into the card")
    p.add_argument("--dataset", default="", help="dataset name the --metrics-csv values were measured on")
    p.add_argument("--metrics-command", default="", help="the command that produced --metrics-csv")
    p.add_argument("--metrics-json", metavar="FILE", action="append", default=[],
                   help='more measured metrics: {"DATASET": {"metrics": {NAME: VALUE}, "command": "..."}} '
                        "as the benchmark scripts write them (repeatable)")
    p.add_argument("--index", action="store_true", help="also add the checkpoint to checkpoints/index.json")
    p.add_argument("--recommended-for", metavar="FAMILY", help="make it the family's load() default (with --index)")

    p = commands.add_parser("publish", help="upload a checkpoint folder to the Hugging Face Hub")
    p.add_argument("source", help="checkpoint folder, local-dir:DIR, or a shipped arch.tag")
    p.add_argument("--repo-id", required=True, help="org/name of the Hub repository")
    p.add_argument("--revision", help="branch to upload to")
    p.add_argument("--private", action="store_true")
    p.add_argument("--dry-run", action="store_true", help="verify and list the files, upload nothing")

    p = commands.add_parser("judge", help="score how well paintings fit a piece of music (MPJudge)")
    p.add_argument("--image", nargs="+", required=True, help="painting file(s)")
    p.add_argument("--audio", required=True, help="music file (its first 15 s are judged)")
    p.add_argument("--model", default="mpjudge", help="family, arch.tag, checkpoint folder or hf-hub: source")
    p.add_argument("--explain", metavar="OUT.png", help="write the modulation maps of the first painting")

    p = commands.add_parser("recommend-music", help="rank a music catalogue for an image (ImageMusic)")
    p.add_argument("--image", required=True, help="image file")
    p.add_argument("--catalog", required=True,
                   help="folder of audio files, .csv/.tsv table with an audio_path column, "
                        "or a saved .safetensors music index")
    p.add_argument("-k", type=int, default=10, help="how many clips to return (default 10)")
    p.add_argument("--model", default="imagemusic", help="family, arch.tag, checkpoint folder or hf-hub: source")
    p.add_argument("--on-error", choices=("raise", "skip"), default="raise",
                   help="unreadable catalogue files: stop (raise) or leave them out with a warning (skip)")

    p = commands.add_parser("va", help="predict valence and arousal in [-1, 1] of image and audio files (ImageMusic)")
    p.add_argument("files", nargs="+", metavar="FILE", help="image and/or audio files (told apart by suffix)")
    p.add_argument("--model", default="imagemusic", help="family, arch.tag, checkpoint folder or hf-hub: source")

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
    return parser


def _cmd_list(args) -> int:
    import affectzoo

    names = affectzoo.list_models(args.pattern, pretrained=args.pretrained)
    if not names:
        print(f"no {'pretrained ' if args.pretrained else ''}model matches {args.pattern!r}", file=sys.stderr)
        return 0
    width = max(map(len, names))
    for name in names:
        print(f"{name:<{width}}  {affectzoo.get_pretrained_cfg(name).description}")
    return 0


def _cmd_info(args) -> int:
    import affectzoo
    from affectzoo import _index, _registry

    if args.name in _registry.FAMILIES and args.name not in _registry.list_models():
        recommended = _index.recommended(args.name)
        print(f"family {args.name}: load() gives {recommended or 'nothing yet (no shipped weights)'}")
        return 0
    cfg = affectzoo.get_pretrained_cfg(args.name)
    arch = cfg.architecture
    model = affectzoo.create_model(cfg.name)
    info = {
        "name": cfg.name,
        "family": _registry.model_family(arch),
        "class": type(model).class_path(),
        "tags": sorted(c for c in _registry._all_cfgs() if _registry.split_name(c)[0] == arch),
        "pretrained_tags": affectzoo.list_pretrained(f"{arch}.*"),
        "num_params": model.num_params,
        "init_args": model.init_args,
        "pretrained_cfg": cfg.to_dict(),
    }
    print(json.dumps(info, indent=2, default=str))
    return 0


def test_metrics_from_csv(path: Path) -> dict[str, float]:
    """The ``test/*`` values a CSVLogger wrote during ``affectzoo test`` (prefix dropped)."""
    import csv

    rows = [row for row in csv.DictReader(path.open()) if any(k.startswith("test/") and v for k, v in row.items())]
    if not rows:
        raise SystemExit(f"{path}: no test/* metrics in this file (run `affectzoo test` with a CSVLogger)")
    return {k[len("test/"):]: round(float(v), 6) for k, v in rows[-1].items() if k.startswith("test/") and v}


def metrics_from_json(path: Path) -> dict[str, dict]:
    """``{dataset: {"metrics": {name: value}, "command": str}}`` from a benchmark script's JSON, checked."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise SystemExit(f"{path}: cannot read metrics JSON ({err})") from err
    for dataset, measured in data.items() if isinstance(data, dict) else [(None, None)]:
        if not (isinstance(measured, dict) and isinstance(measured.get("metrics"), dict) and measured.get("command")
                and all(isinstance(v, (int, float)) for v in measured["metrics"].values())):
            raise SystemExit(f"{path}: expected {{DATASET: {{\"metrics\": {{NAME: NUMBER}}, \"command\": STR}}}}, "
                             f"entry {dataset!r} is not")
    return data


def _cmd_export(args) -> int:
    from affectzoo import _hub, _index

    updates = {"recipe": args.recipe, "training_data": args.training_data, "held_out": args.held_out,
               "license": args.license}
    if args.metrics_csv:
        if not (args.dataset and args.metrics_command):
            raise SystemExit("--metrics-csv needs --dataset and --metrics-command (the card says how numbers were made)")
        updates["metrics"] = {args.dataset: test_metrics_from_csv(Path(args.metrics_csv))}
        updates["metric_commands"] = {args.dataset: args.metrics_command}
    for path in args.metrics_json:
        for dataset, measured in metrics_from_json(Path(path)).items():
            updates.setdefault("metrics", {})[dataset] = measured["metrics"]
            updates.setdefault("metric_commands", {})[dataset] = measured["command"]
    folder = _hub.export_lightning_checkpoint(args.checkpoint, args.out, name=args.name, **updates)
    config = _hub.read_config(folder)
    cfg = _hub.PretrainedCfg.from_dict(config["pretrained_cfg"])
    print(f"wrote {folder}  sha256 {cfg.sha256}  {cfg.file_size} bytes  {cfg.num_params} parameters")
    if args.index:
        if not cfg.architecture:
            raise SystemExit("--index needs the registered name of the weights: pass --name ARCH.TAG")
        entry = cfg.replace(file=os.path.relpath(folder.resolve(), _index.checkpoints_dir().resolve()))
        print(f"indexed as {entry.name} in {_index.add_to_index(entry, args.recommended_for)}")
    return 0


def _cmd_publish(args) -> int:
    from affectzoo import _hub, _index, _registry

    source = args.source
    if source.startswith(_hub.LOCAL_DIR_PREFIX):
        folder = Path(source[len(_hub.LOCAL_DIR_PREFIX):]).expanduser()
    elif Path(source).exists():
        folder = Path(source)
    else:
        folder = _index.local_weights_dir(_registry.get_pretrained_cfg(source))
        if folder is None:
            raise SystemExit(f"{source}: no shipped checkpoint folder to publish")
    if args.dry_run:
        _hub.load_folder(folder)
        for name in (_hub.WEIGHTS_NAME, _hub.CONFIG_NAME, _hub.CARD_NAME):
            print(f"would upload {folder / name} -> {args.repo_id}")
        return 0
    info = _hub.publish(folder, args.repo_id, revision=args.revision, private=args.private)
    print(f"published {folder} -> hf-hub:{args.repo_id}@{getattr(info, 'oid', '')}")
    return 0


def _cmd_judge(args) -> int:
    import affectzoo
    from affectzoo.data.datasets import MediaLoader

    model = affectzoo.load(args.model)
    scores = model.score(args.image, args.audio)
    for path, value in zip(args.image, scores.tolist()):
        print(f"{value:.4f}  {path}")
    if args.explain:
        loader = MediaLoader(model.preprocess)
        out = model.explain(loader.image(args.image[0]), model.music_input(args.audio), args.explain)
        print(f"wrote {out}")
    return 0


def _cmd_recommend_music(args) -> int:
    import affectzoo

    model = affectzoo.load(args.model)
    recommendations = model.recommend_music(args.image, args.catalog, args.k, args.on_error)
    for rank, (path, similarity) in enumerate(recommendations, start=1):
        print(f"{rank:>3}  {similarity:.4f}  {path}")
    return 0


def _cmd_va(args) -> int:
    import affectzoo
    from affectzoo.models.imagemusic import split_media

    images, audio = split_media(args.files)
    model = affectzoo.load(args.model)
    va = model.predict_va(images=images or None, audio=audio or None)
    print("valence  arousal  kind   file")
    for kind, paths in (("image", images), ("music", audio)):
        if paths:
            for path, (valence, arousal) in zip(paths, va[kind].tolist()):
                print(f"{valence:>7.4f}  {arousal:>7.4f}  {kind:<5}  {path}")
    return 0


def _cmd_data(args) -> int:
    from affectzoo.data import builds

    if args.data_command == "list":
        for name in builds.list_builds():
            built = (builds.build_dir(name) / "card.json").is_file()
            print(f"{name:<16} {'built' if built else 'not built'}  {builds._get(name).description}")
    elif args.data_command == "build":
        folder = builds.build(args.name, args.root, seed=args.seed, force=args.force)
        print(f"wrote {folder}")
        print((folder / "card.md").read_text())
    else:
        print(builds.card_markdown(builds.build_card(args.name, args.seed)))
    return 0


def _cmd_cache(args) -> int:
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


ZOO_COMMANDS = {"list": _cmd_list, "info": _cmd_info, "export": _cmd_export, "publish": _cmd_publish,
                "judge": _cmd_judge, "recommend-music": _cmd_recommend_music, "va": _cmd_va, "data": _cmd_data,
                "cache": _cmd_cache}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``affectzoo`` and ``lightning`` console scripts."""
    from affectzoo.errors import AffectZooError

    argv = sys.argv[1:] if argv is None else list(argv)
    prog = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "affectzoo"
    if argv and argv[0] in LIGHTNING_COMMANDS:
        run_lightning(argv)
        return 0
    parser = _build_parser(prog if prog in {"affectzoo", "lightning"} else "affectzoo")
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return ZOO_COMMANDS[args.command](args)
    except AffectZooError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
