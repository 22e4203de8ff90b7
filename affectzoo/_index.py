"""The checkpoint index: ``checkpoints/index.json``, the list of weights affectzoo ships or publishes.

Layout::

    {"recommended": {"<family>": "<arch.tag>", ...},
     "tasks": {"<task>": "<family>", ...},
     "checkpoints": {"<arch.tag>": {<PretrainedCfg fields>}, ...}}

An entry's ``file`` is a checkpoint folder relative to the index (shipped weights); an entry with
``hf_hub_id``/``hf_hub_revision`` instead points to published weights. ``"tasks"`` names the
family each task's command uses by default.

Where the index is: ``AFFECTZOO_CHECKPOINTS`` (a folder with an ``index.json``: a private zoo, or a
test's), else ``affectzoo/_checkpoints``: in a source checkout a link to the top-level
``checkpoints/`` folder (the one source), in an installed wheel a copy of it (package data).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from affectzoo._io import atomic_write_text
from affectzoo._pretrained import PretrainedCfg
from affectzoo.errors import CheckpointError

INDEX_NAME = "index.json"
_cache: dict[tuple[str, int], tuple[dict[str, PretrainedCfg], dict[str, str], dict[str, str]]] = {}


def checkpoints_dir() -> Path:
    """The folder holding ``index.json`` and the shipped checkpoint folders (see the module docstring)."""
    env = os.environ.get("AFFECTZOO_CHECKPOINTS")
    return Path(env) if env else Path(__file__).resolve().parent / "_checkpoints"


def _read() -> tuple[dict[str, PretrainedCfg], dict[str, str], dict[str, str]]:
    path = checkpoints_dir() / INDEX_NAME
    if not path.is_file():
        return {}, {}, {}
    key = (str(path), path.stat().st_mtime_ns)
    if key not in _cache:
        try:
            data = json.loads(path.read_text())
            cfgs = {name: PretrainedCfg.from_dict(entry) for name, entry in data.get("checkpoints", {}).items()}
        except (ValueError, TypeError) as err:
            raise CheckpointError(path, f"the checkpoint index is not valid: {err}", "restore it from git") from err
        _cache[key] = cfgs, dict(data.get("recommended", {})), dict(data.get("tasks", {}))
    return _cache[key]


def indexed_cfgs() -> dict[str, PretrainedCfg]:
    """``arch.tag`` -> cfg of every indexed checkpoint."""
    return dict(_read()[0])


def recommended(family: str) -> str | None:
    """The ``arch.tag`` that ``load(family)`` gives, or None when the family ships no weights yet."""
    return _read()[1].get(family)


def task_default(task: str) -> str | None:
    """The family a task's command uses when no ``--model`` is given, if the index names one."""
    return _read()[2].get(task)


def local_weights_dir(cfg: PretrainedCfg) -> Path | None:
    """Absolute folder of an indexed checkpoint's shipped weights, if it has a ``file``."""
    if not cfg.file:
        return None
    path = Path(cfg.file)
    return path if path.is_absolute() else checkpoints_dir() / path


def add_to_index(cfg: PretrainedCfg, recommended_for: str | None = None) -> Path:
    """Add or replace the index entry of ``cfg`` (and optionally make it a family's recommendation)."""
    path = checkpoints_dir() / INDEX_NAME
    data = json.loads(path.read_text()) if path.is_file() else {"recommended": {}, "checkpoints": {}}
    data.setdefault("checkpoints", {})[cfg.name] = cfg.to_dict()
    if recommended_for:
        data.setdefault("recommended", {})[recommended_for] = cfg.name
    return atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
