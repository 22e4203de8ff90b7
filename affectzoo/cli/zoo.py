"""Zoo commands: ``list``, ``info`` (both torch-free: they read the registry manifest), ``export``, ``publish``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def register(commands) -> dict:
    from affectzoo.tasks import TASKS

    p = commands.add_parser("list", help="list registered models (fnmatch PATTERN)")
    p.add_argument("pattern", nargs="?", default="*")
    p.add_argument("--pretrained", action="store_true", help="only arch.tag names that have weights")
    p.add_argument("--task", choices=sorted(TASKS), help="only models that offer this task")

    p = commands.add_parser("info", help="describe a model: family, tasks, tags, parameters, weights, metrics")
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
    p.add_argument("--limitations", default="", help="what the weights should not be trusted for (for the card)")
    p.add_argument("--metrics-csv", metavar="METRICS.CSV",
                   help="metrics.csv of an `affectzoo test` run (CSVLogger); its test/* values go into the card")
    p.add_argument("--dataset", default="", help="dataset name the --metrics-csv values were measured on")
    p.add_argument("--metrics-command", default="", help="the command that produced --metrics-csv")
    p.add_argument("--metrics-json", metavar="FILE", action="append", default=[],
                   help='more measured metrics: {"DATASET": {"metrics": {NAME: VALUE}, "command": "..."}} '
                        "as the benchmark scripts write them (repeatable)")
    p.add_argument("--index", action="store_true", help="also add the checkpoint to checkpoints/index.json")
    p.add_argument("--recommended-for", metavar="FAMILY", help="make it the family's load() default (with --index)")
    p.add_argument("--allow-dirty", action="store_true",
                   help="export even though the weights were trained, or are exported, from a work tree with "
                        "uncommitted changes (the card then records a '+dirty' revision)")

    p = commands.add_parser("publish", help="upload a checkpoint folder to the Hugging Face Hub")
    p.add_argument("source", help="checkpoint folder, local-dir:DIR, or a shipped arch.tag")
    p.add_argument("--repo-id", required=True, help="org/name of the Hub repository")
    p.add_argument("--revision", help="branch to upload to")
    p.add_argument("--private", action="store_true")
    p.add_argument("--dry-run", action="store_true", help="verify and list the files, upload nothing")
    return {"list": run_list, "info": run_info, "export": run_export, "publish": run_publish}


def run_list(args) -> int:
    from affectzoo import _registry

    names = _registry.list_models(args.pattern, pretrained=args.pretrained, task=args.task)
    if not names:
        what = f"{'pretrained ' if args.pretrained else ''}model" + (f" with the {args.task} task" if args.task else "")
        print(f"no {what} matches {args.pattern!r}", file=sys.stderr)
        return 0
    width = max(map(len, names))
    for name in names:
        cfg = _registry.get_pretrained_cfg(name)
        tasks = f"[{', '.join(cfg.tasks)}] " if cfg.tasks else ""
        print(f"{name:<{width}}  {tasks}{cfg.description}")
    return 0


def run_info(args) -> int:
    from affectzoo import _index, _registry

    archs = _registry.architectures()
    if args.name in _registry.families() and args.name not in archs:
        recommended = _index.recommended(args.name)
        members = sorted(n for n, a in archs.items() if a.family == args.name)
        print(json.dumps({"family": args.name, "load": recommended, "architectures": members}, indent=2))
        return 0
    cfg = _registry.get_pretrained_cfg(args.name)
    arch = archs[cfg.architecture]
    info = {
        "name": cfg.name,
        "family": arch.family,
        "tasks": list(arch.tasks),
        "builder": arch.builder,
        "tags": sorted(c for c in _registry._all_cfgs() if _registry.split_name(c)[0] == cfg.architecture),
        "pretrained_tags": _registry.list_pretrained(f"{cfg.architecture}.*"),
        "num_params": cfg.num_params,
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


def run_export(args) -> int:
    from affectzoo import _folder, _index
    from affectzoo._checkpoint import export_lightning_checkpoint
    from affectzoo._pretrained import PretrainedCfg

    updates = {"recipe": args.recipe, "training_data": args.training_data, "held_out": args.held_out,
               "license": args.license, "limitations": args.limitations}
    if args.metrics_csv:
        if not (args.dataset and args.metrics_command):
            raise SystemExit("--metrics-csv needs --dataset and --metrics-command (the card says how numbers were made)")
        updates["metrics"] = {args.dataset: test_metrics_from_csv(Path(args.metrics_csv))}
        updates["metric_commands"] = {args.dataset: args.metrics_command}
    for path in args.metrics_json:
        for dataset, measured in metrics_from_json(Path(path)).items():
            updates.setdefault("metrics", {})[dataset] = measured["metrics"]
            updates.setdefault("metric_commands", {})[dataset] = measured["command"]
    folder = export_lightning_checkpoint(args.checkpoint, args.out, name=args.name, allow_dirty=args.allow_dirty,
                                         **updates)
    cfg = PretrainedCfg.from_dict(_folder.read_config(folder)["pretrained_cfg"])
    print(f"wrote {folder}  sha256 {cfg.sha256}  {cfg.file_size} bytes  {cfg.num_params} parameters")
    if args.index:
        if not cfg.architecture:
            raise SystemExit("--index needs the registered name of the weights: pass --name ARCH.TAG")
        entry = cfg.replace(file=os.path.relpath(folder.resolve(), _index.checkpoints_dir().resolve()))
        print(f"indexed as {entry.name} in {_index.add_to_index(entry, args.recommended_for)}")
    return 0


def run_publish(args) -> int:
    from affectzoo import _folder, _hub, _index, _registry
    from affectzoo._checkpoint import load_folder

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
        load_folder(folder)
        for name in _folder.FILES:
            print(f"would upload {folder / name} -> {args.repo_id}")
        return 0
    info = _hub.publish(folder, args.repo_id, revision=args.revision, private=args.private)
    print(f"published {folder} -> hf-hub:{args.repo_id}@{getattr(info, 'oid', '')}")
    return 0
