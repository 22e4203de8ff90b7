"""Exception types of affectzoo.

Every error a user can cause (bad input file, bad checkpoint, unknown model name) is raised as
one of these, with a message that names the file or name involved, what is wrong, and the fix.
"""

from __future__ import annotations


class AffectZooError(Exception):
    """Base class of every error affectzoo raises on purpose."""


class InputError(AffectZooError, ValueError):
    """An input file or value cannot be used (corrupt, empty, wrong format, out of range)."""

    def __init__(self, path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class CheckpointError(AffectZooError):
    """A checkpoint cannot be resolved, verified or loaded.

    ``path`` is the file or source that failed, ``problem`` what is wrong with it and ``fix``
    what the user can do about it.
    """

    def __init__(self, path, problem: str, fix: str = ""):
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        message = f"{self.path}: {problem}"
        if fix:
            message += f"\n  fix: {fix}"
        super().__init__(message)


class UnknownModelError(AffectZooError, KeyError):
    """A model name matches no registered architecture, tag, family or deprecated alias."""

    def __init__(self, name: str, suggestions: list[str] | None = None):
        self.name = name
        self.suggestions = suggestions or []
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown model {name!r}.{hint} `affectzoo list` shows the registered names.")

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.args[0]


def check_readable_file(path) -> None:
    """Raise InputError unless ``path`` is an existing, regular, non-empty file."""
    from pathlib import Path

    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found")
    if not path.is_file():
        raise InputError(path, "is not a regular file")
    if path.stat().st_size == 0:
        raise InputError(path, "file is empty (0 bytes)")
