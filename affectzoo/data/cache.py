"""On-disk feature cache: mel spectrograms, rendered MIDI, frozen-backbone embeddings.

An entry's key is the sha256 of (content hash of the source file, the preprocessing cfg as
canonical JSON, the encoder name and revision), so a changed file, cfg or encoder never reads a
stale entry. Entries are written to a temporary file and renamed into place (atomic), so two
dataloader workers computing the same entry at once both succeed and readers never see a partial
file. Tensors are stored as safetensors (no pickle).

Location: ``$AFFECTZOO_CACHE`` if set, else ``.cache/affectzoo`` in a source checkout (gitignored),
else ``~/.cache/affectzoo``. ``affectzoo cache info|clear`` inspects and empties it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Callable

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from affectzoo._io import atomic_write, file_sha256
#: (namespace folder, entry key) -> tensor, for caches made with ``keep_in_memory=True``.
_tensor_memo: dict[tuple[str, str], torch.Tensor] = {}


def cache_root() -> Path:
    """The cache folder (see module docstring for how it is chosen)."""
    env = os.environ.get("AFFECTZOO_CACHE")
    if env:
        return Path(env).expanduser()
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "setup.cfg").is_file() and (checkout / "affectzoo").is_dir():
        return checkout / ".cache" / "affectzoo"
    return Path.home() / ".cache" / "affectzoo"


def entry_key(source: Path | str | None, cfg: dict, encoder: str = "", revision: str = "") -> str:
    """Cache key of ``source`` (a file, or any string id) processed with ``cfg`` by ``encoder@revision``."""
    if source is not None and Path(source).is_file():
        source_id = "file:" + file_sha256(Path(source))
    else:
        source_id = f"id:{source}"
    payload = json.dumps({"source": source_id, "cfg": cfg, "encoder": encoder, "revision": revision},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


class FeatureCache:
    """One namespace of the cache (e.g. ``"mel"``, ``"midi-render"``, ``"emb-efficientnet_lite0"``)."""

    def __init__(self, namespace: str, root: Path | str | None = None, keep_in_memory: bool = False) -> None:
        """``keep_in_memory=True`` also keeps every tensor this process reads or computes through
        :meth:`tensor` in memory: an epoch over cached features then reads each entry from disk
        once, not once per sample it appears in (meant for small per-file features)."""
        if not namespace or "/" in namespace or namespace.startswith("."):
            raise ValueError(f"bad cache namespace {namespace!r}")
        self.namespace = namespace
        self.folder = Path(root or cache_root()) / namespace
        self.keep_in_memory = keep_in_memory

    def path(self, key: str, suffix: str = ".safetensors") -> Path:
        return self.folder / key[:2] / f"{key}{suffix}"

    def load(self, key: str) -> dict[str, torch.Tensor] | None:
        """Cached tensors of ``key``, or None when absent or unreadable (then it is recomputed)."""
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            return load_file(str(path))
        except (SafetensorError, OSError, ValueError):
            return None

    def save(self, key: str, tensors: dict[str, torch.Tensor]) -> None:
        data = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
        atomic_write(self.path(key), lambda tmp: save_file(data, str(tmp)))

    def tensor(self, source, cfg: dict, compute: Callable[[], torch.Tensor], encoder: str = "",
               revision: str = "") -> torch.Tensor:
        """The cached tensor for (source, cfg, encoder), computing and storing it on a miss."""
        key = entry_key(source, cfg, encoder, revision)
        memo_key = (str(self.folder), key)
        if self.keep_in_memory and memo_key in _tensor_memo:
            return _tensor_memo[memo_key]
        cached = self.load(key)
        if cached is not None:
            value = cached["data"]
        else:
            value = compute()
            self.save(key, {"data": value})
        if self.keep_in_memory:
            _tensor_memo[memo_key] = value
        return value

    def lookup(self, source, cfg: dict, encoder: str = "", revision: str = "") -> torch.Tensor | None:
        """The cached tensor for (source, cfg, encoder) if there is one (kept in memory as :meth:`tensor`
        does), else None; nothing is computed."""
        key = entry_key(source, cfg, encoder, revision)
        memo_key = (str(self.folder), key)
        if memo_key in _tensor_memo:
            return _tensor_memo[memo_key]
        cached = self.load(key)
        if cached is None:
            return None
        if self.keep_in_memory:
            _tensor_memo[memo_key] = cached["data"]
        return cached["data"]

    def file(self, source, cfg: dict, produce: Callable[[Path], None], suffix: str, encoder: str = "",
             revision: str = "") -> Path:
        """Path of a cached derived file (e.g. rendered audio); ``produce(tmp_path)`` writes it on a miss."""
        path = self.path(entry_key(source, cfg, encoder, revision), suffix)
        if not path.is_file():
            atomic_write(path, produce)
        return path


def cache_info(root: Path | str | None = None) -> dict[str, dict[str, int]]:
    """Namespace -> {"entries": n, "bytes": size} for the cache at ``root``."""
    root = Path(root or cache_root())
    info = {}
    if root.is_dir():
        for namespace in sorted(p for p in root.iterdir() if p.is_dir()):
            files = [f for f in namespace.rglob("*") if f.is_file() and not f.name.endswith(".tmp")]
            info[namespace.name] = {"entries": len(files), "bytes": sum(f.stat().st_size for f in files)}
    return info


def clear_cache(namespace: str | None = None, root: Path | str | None = None) -> int:
    """Delete one namespace (or the whole cache); returns the bytes freed."""
    root = Path(root or cache_root())
    targets = [root / namespace] if namespace else [p for p in root.iterdir() if p.is_dir()] if root.is_dir() else []
    freed = 0
    for target in targets:
        if target.is_dir():
            freed += sum(f.stat().st_size for f in target.rglob("*") if f.is_file())
            shutil.rmtree(target)
    return freed
