"""File helpers every part of affectzoo shares: atomic writes and content hashes.

:func:`atomic_write` writes into a temporary file with a unique name in the target's folder and
renames it into place, so readers never see a partial file and two processes writing the same
path at once both succeed (the last rename wins; each wrote a complete file). A fixed ``.tmp``
name would let concurrent writers truncate each other's file.
"""

from __future__ import annotations

import hashlib
import os
import stat as stat_mode
import tempfile
from pathlib import Path
from typing import Callable

from affectzoo.errors import check_readable_file

_hash_memo: dict[tuple[str, int, int], str] = {}


def atomic_write(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Create ``path`` atomically: ``write(tmp)`` fills a unique temporary file, which is then renamed.

    The folder is created if needed; on any error the temporary file is removed and ``path`` is
    left as it was. The file gets the permissions a plain ``open(path, "w")`` would give (the
    umask applied to 0o666), not the owner-only ones of a temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's content, remembered per (path, size, mtime) within the process.

    A missing, empty or non-regular file raises :class:`~affectzoo.errors.InputError` naming it.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        stat = None
    if stat is None or not stat_mode.S_ISREG(stat.st_mode) or stat.st_size == 0:
        check_readable_file(path)
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _hash_memo:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _hash_memo[key] = digest.hexdigest()
    return _hash_memo[key]
