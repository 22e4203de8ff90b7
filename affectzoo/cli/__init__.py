"""Command line: ``affectzoo`` (also installed as ``lightning``).

* ``fit | validate | test | predict --config recipes/X.yaml``: LightningCLI (:mod:`.lightning`);
* zoo commands: ``list``, ``info``, ``export``, ``publish`` (:mod:`.zoo`);
* one command per task, each taking ``--model NAME`` (default: the task's recommended family):
  ``judge`` (pair-scorer), ``va`` (va-predictor), ``index`` / ``recommend`` (recommender),
  ``palette`` (palette-generator). A model without the task is a one-line error naming the models
  that have it (exit code 2);
* data: ``data``, ``cache`` (:mod:`.data`).

Building the parser and running ``list`` / ``info`` import no torch: every command module imports
what it needs when it runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from affectzoo.cli.lightning import LIGHTNING_COMMANDS, run_lightning

#: Command modules, in the order their commands appear in ``--help``.
COMMAND_MODULES = ("demo", "zoo", "judge", "va", "recommend", "palette", "data", "benchmark")


def build_parser(prog: str = "affectzoo") -> tuple[argparse.ArgumentParser, dict]:
    """The argument parser and the command -> handler table."""
    import importlib

    from affectzoo._version import __version__

    parser = argparse.ArgumentParser(
        prog=prog, description="affectzoo: models that connect music and visual art through emotion.",
        epilog=f"Training commands take a recipe: `{prog} fit --config recipes/X.yaml` (see `{prog} fit --help`).")
    parser.add_argument("--version", action="version", version=f"affectzoo {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, text in LIGHTNING_COMMANDS.items():
        commands.add_parser(name, help=text, add_help=False)
    handlers = {}
    for module in COMMAND_MODULES:
        handlers.update(importlib.import_module(f"affectzoo.cli.{module}").register(commands))
    return parser, handlers


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``affectzoo`` and ``lightning`` console scripts."""
    from affectzoo.errors import AffectZooError

    argv = sys.argv[1:] if argv is None else list(argv)
    prog = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "affectzoo"
    if argv and argv[0] in LIGHTNING_COMMANDS:
        run_lightning(argv)
        return 0
    parser, handlers = build_parser(prog if prog in {"affectzoo", "lightning"} else "affectzoo")
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return handlers[args.command](args)
    except AffectZooError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


__all__ = ["build_parser", "main", "run_lightning"]


if __name__ == "__main__":
    sys.exit(main())
