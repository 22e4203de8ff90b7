"""Shared helpers of the dataset readers: find a file, read a table strictly, convert columns.

Every table is read as text (no type guessing, no "NA" magic), each cell and header name is
stripped of surrounding whitespace (DEAM puts a space after each comma, OASIS and BASS have
trailing spaces, 1000-Songs wraps its info cells in tabs), and each column a reader uses is then
converted explicitly, so that a bad file fails with an ``InputError`` that names the file, the
column, the data row and the value.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from affectzoo.errors import InputError


def find_in(folder: Path, name: str) -> Path | None:
    """The file ``name`` directly in ``folder``, else the first one below it, else None."""
    if (folder / name).is_file():
        return folder / name
    return next(iter(sorted(p for p in folder.rglob(name) if p.is_file())), None)


def find_file(path: str | os.PathLike, names: Iterable[str], what: str) -> Path:
    """``path`` itself if it is a file, else the first of ``names`` found in or below the folder ``path``.

    Published archives nest their files (e.g. DEAM's ``annotations/annotations averaged per
    song/song_level/``), so a folder is searched recursively.
    """
    path = Path(path).expanduser()
    names = list(names)
    if path.is_file():
        return path
    if not path.is_dir():
        raise InputError(path, "no such file or folder")
    for name in names:
        found = find_in(path, name)
        if found is not None:
            return found
    raise InputError(path, f"no {what} found in this folder (looked for {', '.join(names)})")


def read_table(path: str | os.PathLike, required: Iterable[str] = (), *, sep: str = ",",
               header: bool = True, names: list[str] | None = None, quoting: int = csv.QUOTE_MINIMAL) -> pd.DataFrame:
    """Read a delimited text file as stripped strings and check that ``required`` columns exist.

    ``quoting=csv.QUOTE_NONE`` reads quote characters as text (tab-separated files whose titles
    contain unbalanced quotes).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True,
                            encoding="utf-8-sig", header=0 if header else None, names=names, quoting=quoting)
    except UnicodeDecodeError as error:
        raise InputError(path, f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    except pd.errors.EmptyDataError:
        raise InputError(path, "the file is empty") from None
    except pd.errors.ParserError as error:
        raise InputError(path, f"cannot be parsed as a {'tab' if sep == chr(9) else repr(sep)}-separated "
                               f"table: {str(error).strip()}") from None
    frame.columns = [str(column).strip() for column in frame.columns]
    frame = frame.apply(lambda column: column.str.strip())
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(map(repr, missing))}; "
                               f"the file has {', '.join(map(repr, frame.columns))}")
    if frame.empty:
        raise InputError(path, "the table has a header but no data rows")
    return frame


def numeric(frame: pd.DataFrame, column: str, path: str | os.PathLike, *, low: float | None = None,
            high: float | None = None, allow_empty: bool = False) -> pd.Series:
    """Column ``column`` as floats; empty, non-numeric or out-of-range cells raise ``InputError``."""
    text = frame[column]
    values = pd.to_numeric(text.where(text != ""), errors="coerce").astype(float)
    empty = text == ""
    if empty.any() and not allow_empty:
        raise InputError(path, f"column {column!r} is empty at data row {_row(empty)}")
    bad = values.isna() & ~empty
    if bad.any():
        row = _row(bad)
        raise InputError(path, f"column {column!r} has a non-number {text.iloc[row - 1]!r} at data row {row}")
    outside = pd.Series(False, index=values.index)
    if low is not None:
        outside |= values < low
    if high is not None:
        outside |= values > high
    if outside.any():
        row = _row(outside)
        raise InputError(path, f"column {column!r} has {values.iloc[row - 1]} at data row {row}, outside "
                               f"[{low}, {high}]; is this the right file for this reader?")
    return values


def one_of(values: pd.Series, allowed: Iterable[float], path: str | os.PathLike, column: str) -> pd.Series:
    """``values`` unchanged if each is one of ``allowed``, else ``InputError`` naming the first other one."""
    allowed = list(allowed)
    other = ~values.isin(allowed)
    if other.any():
        row = _row(other)
        raise InputError(path, f"column {column!r} should be one of {', '.join(map(str, allowed))}, "
                               f"got {values.iloc[row - 1]} at data row {row}")
    return values


def unique_ids(ids: pd.Series, path: str | os.PathLike, column: str) -> pd.Series:
    """``ids`` unchanged if no value repeats, else ``InputError`` naming the first repeated id."""
    repeated = ids.duplicated()
    if repeated.any():
        raise InputError(path, f"column {column!r} repeats the id {ids[repeated].iloc[0]!r}")
    return ids


def media_path(folder: str | os.PathLike, name: str) -> str:
    """Absolute, normalised path of the media file ``name`` in ``folder`` (it need not exist)."""
    return os.path.abspath(os.path.join(os.path.expanduser(os.fspath(folder)), name))


def load_json(path: str | os.PathLike) -> Any:
    """Parsed JSON of ``path``; a missing or malformed file raises ``InputError``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as error:
        raise InputError(path, f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise InputError(path, f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}") from None


def weighted_va(intensities: np.ndarray, coordinates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Valence and arousal of mixtures of categories.

    ``intensities`` [items, categories] are normalised per item to sum to 1 and average the
    categories' ``coordinates`` [categories, 2] (valence, arousal); an item whose intensities are
    all zero gets NaN.
    """
    totals = intensities.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        weights = np.where(totals > 0, intensities / totals, np.nan)
    va = weights @ coordinates
    return va[:, 0], va[:, 1]


def _row(mask: pd.Series) -> int:
    """1-based data row number of the first True in ``mask``."""
    return int(mask.to_numpy().argmax()) + 1
