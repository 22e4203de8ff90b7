"""Pieces the task commands share: the ``--model`` option, loading a model for a task, batch loops
that skip bad inputs, and atomic output files."""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

# affectzoo.precision.PRECISIONS, spelled here so building the parser does not import torch
PRECISION_CHOICES = ("32-true", "bf16-mixed", "int8", "int8-static")


def add_model_option(parser: argparse.ArgumentParser, task: str) -> None:
    """``--model NAME``, with the task's models listed in the help (from the registry, torch-free)."""
    from affectzoo._engines import engines_with_task
    from affectzoo._registry import models_with_task

    offering = ", ".join(models_with_task(task) + engines_with_task(task)) or "none yet"
    parser.add_argument("--model", metavar="NAME",
                        help=f"family, arch.tag, checkpoint folder or hf-hub: source (models with the {task} "
                             f"task: {offering}; default: the task's recommended family)")
    parser.add_argument("--precision", choices=PRECISION_CHOICES,
                        help="inference precision (default 32-true): bf16-mixed is several times faster on CPUs "
                             "with AMX/AVX512-BF16 (see `lscpu`), int8 quantises the linear layers, int8-static "
                             "also compiles a model's trunk (first batch slow; docs/precision.md)")


def add_on_error_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--on-error", choices=("raise", "skip"), default="raise",
                        help="unreadable inputs: stop (raise, the default) or leave them out and report them (skip)")


def load_for_task(name: str | None, task: str, precision: str | None = None, **options):
    """The model ``name`` (default: the task's family), after checking it offers ``task`` (a one-line
    :class:`~affectzoo.tasks.TaskError` otherwise, before any weights are read), in ``precision``.
    ``options`` are constructor arguments (e.g. ``music_precision``); ``load`` names one a model does
    not take."""
    from affectzoo._factory import default_model, load, require_task

    name = name or default_model(task)
    require_task(name, task)
    return load(name, precision=precision, **options)


def in_chunks(run: Callable[[list], Sequence], items: list, on_error: str, chunk: int = 64) -> tuple[list, list, list]:
    """``run`` over ``items`` in chunks: (kept items, their results, skipped ``(item, reason)``).

    A chunk that raises an :class:`~affectzoo.errors.InputError` is retried one item at a time
    with ``on_error="skip"``, so one bad file costs only itself; with ``"raise"`` the error stops all.
    """
    from affectzoo.errors import InputError

    kept, results, skipped = [], [], []
    for start in range(0, len(items), chunk):
        part = items[start:start + chunk]
        try:
            results += list(run(part))
            kept += part
        except InputError:
            if on_error == "raise":
                raise
            for item in part:
                try:
                    results += list(run([item]))
                    kept.append(item)
                except InputError as err:
                    skipped.append((str(item), err.problem))
    return kept, results, skipped


def report_skipped(skipped: list[tuple[str, str]]) -> None:
    """Tell the user on stderr which inputs were left out and why."""
    if skipped:
        print(f"skipped {len(skipped)} unreadable input(s):", file=sys.stderr)
        for item, reason in skipped:
            print(f"  {item}: {reason}", file=sys.stderr)
