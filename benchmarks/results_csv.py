"""Append measurement rows to ``benchmarks/results/<name>.csv`` with the context that makes them comparable."""

from __future__ import annotations

import csv
import platform
import sys
import time
from pathlib import Path

import torch

import affectzoo

RESULTS = Path(__file__).resolve().parent / "results"
FIELDS = ["date", "benchmark", "measurement", "value", "unit", "ratio_to", "ratio", "n", "device", "threads",
          "torch", "affectzoo", "command", "note"]


def append_rows(name: str, rows: list[dict]) -> Path:
    """Write ``rows`` (dicts with some of FIELDS) to ``results/<name>.csv`` with the context columns, and print them."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.csv"
    new = not path.is_file()
    context = {"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "benchmark": name,
               "device": f"cpu ({platform.processor() or platform.machine()})", "threads": torch.get_num_threads(),
               "torch": torch.__version__, "affectzoo": affectzoo.__version__,
               "command": "python " + " ".join(sys.argv)}
    with path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        if new:
            writer.writeheader()
        for row in rows:
            writer.writerow({**context, **row})
    for row in rows:
        print(f"{row['measurement']:<50} {row['value']:>10} {row.get('unit', '')}  {row.get('ratio') or ''}")
    print(f"rows appended to {path}")
    return path
