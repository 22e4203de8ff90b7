"""How fast the zoo answers ``affectzoo list`` and ``affectzoo info``, against ``python -c "import torch"``.

Each command runs as a fresh process (what a user at a shell waits for), ``--repeat`` times,
interleaved so that machine noise hits all alike; the median wall time of each is written with
its ratio to the median of ``import torch`` in the same run. Listing and info read the registry
manifest and never import torch, so they should be a small fraction of it.

    python benchmarks/listing_speed.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from results_csv import append_rows

BIN = Path(sys.executable).parent
COMMANDS = {
    'python -c "import torch"': [sys.executable, "-c", "import torch"],
    "affectzoo list": [str(BIN / "affectzoo"), "list"],
    "affectzoo list --pretrained": [str(BIN / "affectzoo"), "list", "--pretrained"],
    "affectzoo info mpjudge": [str(BIN / "affectzoo"), "info", "mpjudge"],
    "affectzoo --help": [str(BIN / "affectzoo"), "--help"],
}
REFERENCE = 'python -c "import torch"'


def seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    for command in COMMANDS.values():  # warm the file cache once
        seconds(command)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.repeat):
        for name, command in COMMANDS.items():
            times[name].append(seconds(command))
    medians = {name: statistics.median(values) for name, values in times.items()}
    reference = medians[REFERENCE]
    append_rows("listing_speed", [
        {"measurement": name, "value": round(median, 4), "unit": "s (median wall time, fresh process)",
         "ratio_to": REFERENCE, "ratio": round(median / reference, 3), "n": args.repeat,
         "note": f"min {min(times[name]):.4f} s, max {max(times[name]):.4f} s"}
        for name, median in medians.items()])


if __name__ == "__main__":
    main()
