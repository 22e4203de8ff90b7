"""Batch loading with ``on_error="raise"|"skip"``: bad items are reported, nothing else is lost."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Generic, Iterable, TypeVar

from affectzoo.errors import InputError

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class BatchResult(Generic[T]):
    """Outcome of a batch load: ``items`` as ``(path, value)`` in input order, ``skipped`` as ``(path, reason)``."""

    items: list[tuple[Path, T]] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def load_each(paths: Iterable[Path | str], load: Callable[[Path], T], on_error: str = "raise") -> BatchResult[T]:
    """Apply ``load`` to every path; on an :class:`InputError` raise (``"raise"``) or record and go on (``"skip"``).

    Only InputError is skipped: any other exception is a bug and propagates.
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    result: BatchResult[T] = BatchResult()
    for path in map(Path, paths):
        try:
            result.items.append((path, load(path)))
        except InputError as err:
            if on_error == "raise":
                raise
            log.warning("skipping %s", err)
            result.skipped.append((path, err.problem))
    return result
