"""The leaderboard's long-format rows: one measured value per row, with what produced it.

Columns (:data:`COLUMNS`): model, tag, task, dataset, split, metric, value, n, seed,
weights_sha256, affectzoo_version, torch_version, device, date, command, error. Dataset and metric
keys are normalised (:func:`key`: lower case, ``@`` as ``_at_``, other runs of non-alphanumerics as
``_``), so ``MAP@10`` and ``map@10`` are one column of a pivot. A model that fails on a dataset gets
one row with ``metric = "error"``, no value and the message in ``error``.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

from affectzoo._io import atomic_write_text

COLUMNS = ("model", "tag", "task", "dataset", "split", "metric", "value", "n", "seed", "weights_sha256",
           "affectzoo_version", "torch_version", "device", "date", "command", "error")


def key(text: str) -> str:
    """A normalised dataset or metric key: ``"MAP@10"`` -> ``"map_at_10"``, ``"SRCC (test)"`` -> ``"srcc_test"``."""
    text = str(text).strip().lower().replace("@", "_at_")
    return re.sub(r"[^a-z0-9.]+", "_", text).strip("_")


@dataclass(frozen=True)
class Measurement:
    """What an evaluator returns: one metric on one split (``n`` items it was computed over)."""

    split: str
    metric: str
    value: float
    n: int
    task: str


def write_csv(path: Path | str, rows: list[dict]) -> Path:
    """Write ``rows`` (dicts with :data:`COLUMNS`) as CSV atomically; values with 6 significant digits."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        value = row.get("value")
        formatted = "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{float(value):.6g}"
        writer.writerow({**{c: row.get(c, "") for c in COLUMNS}, "value": formatted})
    return atomic_write_text(path, buffer.getvalue())


def read_csv(path: Path | str) -> list[dict]:
    """The rows of a leaderboard CSV (values as floats, missing ones as None)."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["value"] = float(row["value"]) if row["value"] else None
    return rows
