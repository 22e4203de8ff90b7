"""Open benchmark builds: deterministic, seeded, versioned manifests made from ``../shared/data``.

A build is a function ``(root, seed) -> BuildResult`` registered with :func:`register_build`.
:func:`build` runs it and writes, under ``<cache>/builds/<name>/v<version>-seed<seed>/``:

* one CSV per table (the manifest; same inputs and seed give byte-identical files),
* ``card.json`` and ``card.md`` (counts, label sources, licences, notes, CSV checksums),
* ``build_log.json`` (when and how long; the only non-deterministic file).

``affectzoo data build NAME --root ../shared/data`` and ``affectzoo data info NAME`` wrap these.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from affectzoo.data.cache import cache_root
from affectzoo.errors import AffectZooError


class BuildError(AffectZooError):
    """A build cannot run (missing source data) or has not been built yet."""


@dataclass
class BuildResult:
    """What a build function returns: its tables and the facts for its card."""

    tables: dict[str, pd.DataFrame]
    counts: dict = field(default_factory=dict)
    label_sources: dict[str, str] = field(default_factory=dict)
    licences: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    json_files: dict[str, dict] = field(default_factory=dict)  # extra artefacts, e.g. a fitted model


@dataclass
class _Build:
    name: str
    version: int
    description: str
    fn: Callable[[Path, int], BuildResult]


_builds: dict[str, _Build] = {}


def register_build(name: str, version: int, description: str):
    """Register ``fn(root: Path, seed: int) -> BuildResult`` as the build ``name`` (bump version on change)."""

    def decorate(fn):
        _builds[name] = _Build(name, version, description, fn)
        return fn

    return decorate


def list_builds() -> list[str]:
    _import_builds()
    return sorted(_builds)


def _get(name: str) -> _Build:
    _import_builds()
    if name not in _builds:
        raise BuildError(f"unknown build {name!r}; builds: {', '.join(sorted(_builds))}")
    return _builds[name]


def _import_builds() -> None:
    """Import the modules that register the builds (lazily: they pull in readers and renderers)."""
    from affectzoo.data.builds import open_image_va, open_music_va, open_pairs, open_palettes  # noqa: F401


def build_dir(name: str, seed: int = 0) -> Path:
    spec = _get(name)
    return cache_root() / "builds" / name / f"v{spec.version}-seed{seed}"


def build(name: str, root: Path | str, seed: int = 0, force: bool = False) -> Path:
    """Run the build ``name`` on the data under ``root``; returns the manifest folder."""
    spec, out = _get(name), build_dir(name, seed)
    if (out / "card.json").is_file() and not force:
        return out
    root = Path(root).resolve()
    if not root.is_dir():
        raise BuildError(f"{root}: data root not found (pass --root, e.g. ../shared/data)")
    started = time.perf_counter()
    result = spec.fn(root, seed)
    out.mkdir(parents=True, exist_ok=True)
    checksums = {}
    for table, frame in result.tables.items():
        path = out / f"{table}.csv"
        tmp = path.with_suffix(".csv.tmp")
        frame.to_csv(tmp, index=False, float_format="%.6g")
        tmp.replace(path)
        checksums[f"{table}.csv"] = hashlib.sha256(path.read_bytes()).hexdigest()
    for file_name, payload in result.json_files.items():
        path = out / f"{file_name}.json"
        path.write_text(json.dumps(payload, sort_keys=True) + "\n")
        checksums[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    card = {
        "name": name, "version": spec.version, "seed": seed, "description": spec.description,
        "root": str(root), "command": f"affectzoo data build {name} --root {root} --seed {seed}",
        "rows": {table: len(frame) for table, frame in result.tables.items()},
        "counts": result.counts, "label_sources": result.label_sources, "licences": result.licences,
        "notes": result.notes, "sha256": checksums,
    }
    (out / "card.json").write_text(json.dumps(card, indent=2, sort_keys=True, default=str) + "\n")
    (out / "card.md").write_text(card_markdown(card))
    (out / "build_log.json").write_text(json.dumps({"seconds": round(time.perf_counter() - started, 2),
                                                    "finished": time.strftime("%Y-%m-%dT%H:%M:%S")}) + "\n")
    return out


def build_card(name: str, seed: int = 0) -> dict:
    path = build_dir(name, seed) / "card.json"
    if not path.is_file():
        raise BuildError(f"{path}: build {name!r} (seed {seed}) has not been built; run "
                         f"`affectzoo data build {name} --root ../shared/data --seed {seed}`")
    return json.loads(path.read_text())


def load_build(name: str, seed: int = 0) -> dict[str, pd.DataFrame]:
    """The tables of a finished build."""
    card = build_card(name, seed)
    folder = build_dir(name, seed)
    return {table: pd.read_csv(folder / f"{table}.csv") for table in card["rows"]}


def card_markdown(card: dict) -> str:
    lines = [f"# {card['name']} (v{card['version']}, seed {card['seed']})", "", card["description"], "",
             f"Built with `{card['command']}`.", "", "## Tables", "", "| table | rows |", "|---|---|"]
    lines += [f"| {t} | {n} |" for t, n in card["rows"].items()]
    lines += ["", "## Counts", "", "```", json.dumps(card["counts"], indent=2, sort_keys=True), "```", "",
              "## Labels", ""]
    lines += [f"- **{k}**: {v}" for k, v in card["label_sources"].items()]
    lines += ["", "## Licences", ""] + [f"- **{k}**: {v}" for k, v in card["licences"].items()]
    if card["notes"]:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in card["notes"]]
    return "\n".join(lines) + "\n"
