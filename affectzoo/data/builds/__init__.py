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
from pathlib import Path

import pandas as pd

from affectzoo._io import atomic_write, atomic_write_text
from affectzoo.data.builds.registry import BuildError, BuildResult, _Build, _builds, register_build
from affectzoo.data.cache import cache_root

__all__ = ["BuildError", "BuildResult", "_Build", "_builds", "build", "build_card", "build_dir", "card_markdown",
           "describe", "list_builds", "load_build", "register_build"]


def list_builds() -> list[str]:
    _import_builds()
    return sorted(_builds)


def _get(name: str) -> _Build:
    _import_builds()
    if name not in _builds:
        raise BuildError(f"unknown build {name!r}; builds: {', '.join(sorted(_builds))}")
    return _builds[name]


def describe(name: str) -> str:
    """The one-line description of a build."""
    return _get(name).description


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
    for dependency in spec.needs:
        build(dependency, root, seed)
    result = spec.fn(root, seed, {n: load_build(n, seed) for n in spec.needs}) if spec.needs else spec.fn(root, seed)
    out.mkdir(parents=True, exist_ok=True)
    checksums = {}
    for table, frame in result.tables.items():
        path = atomic_write(out / f"{table}.csv", lambda tmp: frame.to_csv(tmp, index=False, float_format="%.6g"))
        checksums[f"{table}.csv"] = hashlib.sha256(path.read_bytes()).hexdigest()
    for file_name, payload in result.json_files.items():
        path = atomic_write_text(out / f"{file_name}.json", json.dumps(payload, sort_keys=True) + "\n")
        checksums[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    card = {
        "name": name, "version": spec.version, "seed": seed, "description": spec.description,
        "root": str(root), "command": f"affectzoo data build {name} --root {root} --seed {seed}",
        "rows": {table: len(frame) for table, frame in result.tables.items()},
        "counts": result.counts, "label_sources": result.label_sources, "licences": result.licences,
        "notes": result.notes, "sha256": checksums,
    }
    atomic_write_text(out / "card.md", card_markdown(card))
    atomic_write_text(out / "build_log.json", json.dumps({"seconds": round(time.perf_counter() - started, 2),
                                                          "finished": time.strftime("%Y-%m-%dT%H:%M:%S")}) + "\n")
    # the card last: its presence marks a finished build
    atomic_write_text(out / "card.json", json.dumps(card, indent=2, sort_keys=True, default=str) + "\n")
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
