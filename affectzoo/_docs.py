"""Generate the model, task and score tables of README.md and docs/models.md (registry, index, leaderboard CSV).

``python -m affectzoo._docs --write`` rewrites the text between ``<!-- generated:NAME -->`` and
``<!-- end:NAME -->`` markers; ``--check`` exits non-zero when a table is out of date (a test runs
the same check). Torch-free: everything comes from the registry manifest and the checkpoint index.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from affectzoo import _index, _registry
from affectzoo._io import atomic_write_text
from affectzoo.tasks import TASKS

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"README.md": ("tasks", "models", "scores"), "docs/models.md": ("tasks", "models", "tags")}
LEADERBOARD = ROOT / "benchmarks" / "results" / "leaderboard" / "benchmark.csv"
#: The README's score columns: (leaderboard dataset, metric, heading), one headline figure per benchmark.
HEADLINES = (("open_pairs", "srcc", "open-pairs SRCC"), ("open_image_va", "oasis_valence_srcc", "OASIS valence SRCC"),
             ("open_music_va", "vgmidi_arousal_srcc", "VGMIDI arousal SRCC"), ("open_palettes", "es", "palettes ES"),
             ("imemnet_interactions", "hr_at_10", "IMEMNet HR@10"),
             ("recommender_simulation", "affective_distance", "simulated users' affective distance (lower is better)"))


def _params(count: int | None) -> str:
    return "?" if not count else f"{count / 1e6:.1f} M"


def tasks_table() -> str:
    lines = ["| task | methods | command | models |", "|---|---|---|---|"]
    for task in TASKS.values():
        methods = ", ".join(f"`{m}`" for m in task.methods)
        models = ", ".join(_registry.models_with_task(task.name)) or "_none yet_"
        lines.append(f"| `{task.name}` | {methods} | `affectzoo {task.command}` | {models} |")
    return "\n".join(lines)


def models_table() -> str:
    lines = ["| architecture | family | tasks | parameters | shipped weights | default tag |", "|---|---|---|---|---|---|"]
    archs = _registry.architectures()
    pretrained = _registry.list_pretrained()
    for name in sorted(archs):
        arch = archs[name]
        first = next(iter(arch.cfgs.values()))
        weights = [p for p in pretrained if _registry.split_name(p)[0] == name]
        recommended = {_index.recommended(f) for f in _registry.families()}
        shown = ", ".join(f"`{w}`" + (" (recommended)" if w in recommended else "") for w in weights) or "-"
        tasks = ", ".join(arch.tasks) or "-"
        # shipped weights give the true size of models whose size depends on their data (id vocabularies)
        params = _registry.get_pretrained_cfg(weights[0]).num_params if weights else first.num_params
        lines.append(f"| `{name}` | {arch.family or '-'} | {tasks} | {_params(params)} | {shown} | "
                     f"`{first.tag or '-'}` |")
    return "\n".join(lines)


def tags_table() -> str:
    lines = ["| name | parameters | description |", "|---|---|---|"]
    for cfg in sorted(_registry._all_cfgs().values(), key=lambda c: c.name):
        description = cfg.description.replace("|", "/")
        lines.append(f"| `{cfg.name}` | {_params(cfg.num_params)} | {description} |")
    return "\n".join(lines)


def scores_table() -> str:
    """One headline figure per benchmark for every model of the leaderboard CSV (``affectzoo leaderboard``);
    a pair scorer's own score on open-pairs is shown rather than its V/A composition, and a public peer
    is marked as one."""
    import csv

    if not LEADERBOARD.is_file():
        return "_no leaderboard run yet: `affectzoo leaderboard --root ../shared/data`_"
    with open(LEADERBOARD, newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["value"]]
    figures: dict[str, dict[str, str]] = {}
    for dataset, metric, heading in HEADLINES:
        for row in sorted(rows, key=lambda r: r["task"] != "pair-scorer", reverse=True):  # pair-scorer written last
            if row["dataset"] == dataset and row["metric"] == metric:
                name = f"`{row['model']}` (public peer)" if row["tag"] == "peer" else f"`{row['model']}`"
                figures.setdefault(name, {})[heading] = f"{float(row['value']):.3f}"
    headings = [heading for _, _, heading in HEADLINES]
    lines = ["| weights | " + " | ".join(headings) + " |", "|---" * (len(headings) + 1) + "|"]
    lines += [f"| {model} | " + " | ".join(values.get(h, "-") for h in headings) + " |"
              for model, values in sorted(figures.items())]
    return "\n".join(lines)


TABLES = {"tasks": tasks_table, "models": models_table, "tags": tags_table, "scores": scores_table}


def render(text: str, names: tuple[str, ...]) -> str:
    """``text`` with every listed generated block replaced by its fresh table."""
    for name in names:
        pattern = re.compile(rf"(<!-- generated:{name} -->\n)(?:.*?\n)?(<!-- end:{name} -->)", re.DOTALL)
        if not pattern.search(text):
            raise ValueError(f"no <!-- generated:{name} --> ... <!-- end:{name} --> block")
        text = pattern.sub(lambda m: m.group(1) + TABLES[name]() + "\n" + m.group(2), text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the tables in place")
    parser.add_argument("--check", action="store_true", help="fail when a table is out of date")
    args = parser.parse_args(argv)
    stale = []
    for relative, names in TARGETS.items():
        path = ROOT / relative
        old = path.read_text()
        new = render(old, names)
        if new != old:
            stale.append(relative)
            if args.write:
                atomic_write_text(path, new)
    for relative in stale:
        print(f"{relative}: {'rewritten' if args.write else 'out of date (python -m affectzoo._docs --write)'}")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
