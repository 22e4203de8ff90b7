"""The build registry: what a build function returns and how builds are registered by name."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

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
    fn: Callable[..., BuildResult]
    needs: tuple[str, ...] = ()


_builds: dict[str, _Build] = {}


def register_build(name: str, version: int, description: str, needs: tuple[str, ...] = ()):
    """Register ``fn(root: Path, seed: int) -> BuildResult`` as the build ``name`` (bump version on change).

    A build made from other builds names them in ``needs``: they are built first, and ``fn`` is
    called as ``fn(root, seed, inputs)`` with ``inputs[name]`` = that build's tables.
    """

    def decorate(fn):
        _builds[name] = _Build(name, version, description, fn, tuple(needs))
        return fn

    return decorate
