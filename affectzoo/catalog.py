"""Catalogues: item ids, their embeddings and (optionally) their valence/arousal, saved once and searched fast.

A recommender indexes a collection once (``model.index(items)`` -> :class:`Catalog`) and then
answers queries against it. A catalogue is one safetensors file: ``embeddings`` ``[N, D]``
float32, optionally ``va`` ``[N, 2]`` float32, and metadata (the ids, which model made the
embeddings, which model or labels gave the V/A). It is written atomically and loaded
memory-mapped, so a catalogue of millions of items opens at once and costs memory only for the
blocks a search reads; :meth:`Catalog.search` scores the queries against one block at a time
and keeps the running top ``k``. NumPy only: no torch needed to save, load or search by distance.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from affectzoo._io import atomic_write
from affectzoo.errors import InputError

FORMAT = "affectzoo-catalog"
FORMAT_VERSION = 1
METRICS = ("l2", "cosine", "dot")
DEFAULT_BLOCK = 65536


class Recommendation(NamedTuple):
    """One recommended item: its id (a file path, for catalogues of files) and its score."""

    item: str
    score: float


@dataclass
class Catalog:
    """``ids`` ``[N]``, ``embeddings`` ``[N, D]`` and optional ``va`` ``[N, 2]`` in [-1, 1].

    ``model`` names the model (and weights) whose space the embeddings live in; ``va_source`` says
    where the V/A came from (labels, or the V/A predictor that estimated them); ``kind`` is what
    the items are (``"music"``, ``"image"``); ``meta`` holds anything else JSON-serialisable.
    """

    ids: list[str]
    embeddings: np.ndarray
    va: np.ndarray | None = None
    model: str = ""
    va_source: str = ""
    kind: str = ""
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ids = [str(i) for i in self.ids]
        self.embeddings = _as_array(self.embeddings)
        if self.embeddings.ndim != 2 or len(self.embeddings) != len(self.ids):
            raise ValueError(f"embeddings must be [N, D] with N = {len(self.ids)} ids, got {self.embeddings.shape}")
        if self.va is not None:
            self.va = _as_array(self.va)
            if self.va.shape != (len(self.ids), 2):
                raise ValueError(f"va must be [N, 2] with N = {len(self.ids)}, got {self.va.shape}")

    def __len__(self) -> int:
        return len(self.ids)

    # ------------------------------------------------------------------------------ files

    def save(self, path: str | os.PathLike) -> Path:
        """Write the catalogue to one ``.safetensors`` file, atomically."""
        from safetensors.numpy import save_file

        tensors = {"embeddings": np.ascontiguousarray(self.embeddings, dtype=np.float32)}
        if self.va is not None:
            tensors["va"] = np.ascontiguousarray(self.va, dtype=np.float32)
        metadata = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "ids": json.dumps(self.ids),
                    "model": self.model, "va_source": self.va_source, "kind": self.kind,
                    "meta": json.dumps(self.meta)}
        return atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata=metadata))

    @classmethod
    def load(cls, path: str | os.PathLike, mmap: bool = True) -> "Catalog":
        """Open a saved catalogue; ``mmap`` maps the arrays from the file instead of reading them."""
        path = Path(path)
        header, data_start = _read_header(path)
        meta = header.get("__metadata__", {})
        if meta.get("format") != FORMAT:
            raise InputError(path, "not an affectzoo catalogue (a safetensors file without its metadata)")
        if int(meta.get("format_version", 0)) > FORMAT_VERSION:
            raise InputError(path, "written by a newer affectzoo: upgrade to read it")
        arrays = {name: _array(path, header[name], data_start, mmap) for name in ("embeddings", "va") if name in header}
        if "embeddings" not in arrays:
            raise InputError(path, "catalogue has no embeddings")
        return cls(json.loads(meta["ids"]), arrays["embeddings"], arrays.get("va"), meta.get("model", ""),
                   meta.get("va_source", ""), meta.get("kind", ""), json.loads(meta.get("meta", "{}")))

    # ------------------------------------------------------------------------------ search

    def search(self, queries, k: int = 10, metric: str | Callable = "l2", block_size: int = DEFAULT_BLOCK,
               space: str = "embeddings") -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best items per query: (indices ``[Q, k]``, scores ``[Q, k]``), best first.

        ``queries`` ``[Q, D]`` (or one ``[D]``) live in the same space as ``space`` (``"embeddings"``
        or ``"va"``). ``metric``: ``"l2"`` (score = distance, smallest first), ``"cosine"`` or
        ``"dot"`` (largest first), or a callable ``(queries, block) -> scores [Q, B]`` (largest
        first) for learned scorers. Items are read ``block_size`` at a time; ties keep catalogue order.
        """
        if k < 1:
            raise ValueError(f"k must be positive, got {k}")
        items = self.embeddings if space == "embeddings" else self.va
        if items is None:
            raise InputError(self.model or "catalogue", f"has no {space}")
        queries = np.atleast_2d(_as_array(queries))
        if not callable(metric) and metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS} or a callable, got {metric!r}")
        smallest = metric == "l2"
        k = min(k, len(items))
        best_scores = np.empty((len(queries), 0), dtype=np.float64)
        best_index = np.empty((len(queries), 0), dtype=np.int64)
        for start in range(0, len(items), block_size):
            block = np.asarray(items[start:start + block_size], dtype=np.float32)
            scores = np.asarray(_score(queries, block, metric), dtype=np.float64)
            index = np.broadcast_to(np.arange(start, start + len(block)), scores.shape)
            best_scores = np.concatenate([best_scores, scores], axis=1)
            best_index = np.concatenate([best_index, index], axis=1)
            if best_scores.shape[1] > k:
                keep = np.argpartition(best_scores if smallest else -best_scores, k - 1, axis=1)[:, :k]
                best_scores = np.take_along_axis(best_scores, keep, axis=1)
                best_index = np.take_along_axis(best_index, keep, axis=1)
        order = np.lexsort((best_index, best_scores if smallest else -best_scores), axis=1)
        return np.take_along_axis(best_index, order, axis=1), np.take_along_axis(best_scores, order, axis=1)

    def top(self, query, k: int = 10, **search_options) -> list[tuple[str, float]]:
        """``(id, score)`` of the ``k`` best items for one query, best first (see :meth:`search`)."""
        index, scores = self.search(query, k, **search_options)
        return [(self.ids[i], float(s)) for i, s in zip(index[0].tolist(), scores[0].tolist())]


def _score(queries: np.ndarray, block: np.ndarray, metric) -> np.ndarray:
    if callable(metric):
        return metric(queries, block)
    if metric == "dot":
        return queries @ block.T
    if metric == "cosine":
        q = queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
        b = block / np.maximum(np.linalg.norm(block, axis=1, keepdims=True), 1e-12)
        return q @ b.T
    squared = (queries * queries).sum(1)[:, None] - 2 * queries @ block.T + (block * block).sum(1)[None]
    return np.sqrt(np.maximum(squared, 0.0))


def _as_array(values) -> np.ndarray:
    if hasattr(values, "detach"):  # a torch tensor
        values = values.detach().cpu().numpy()
    return values if isinstance(values, np.memmap) else np.asarray(values, dtype=np.float32)


_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16}


def _read_header(path: Path) -> tuple[dict, int]:
    """The safetensors JSON header of ``path`` and the byte offset where the data starts."""
    try:
        with open(path, "rb") as handle:
            size = struct.unpack("<Q", handle.read(8))[0]
            if size > os.path.getsize(path):
                raise ValueError("header larger than the file")
            header = json.loads(handle.read(size))
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except (OSError, ValueError, struct.error) as err:
        raise InputError(path, f"not a catalogue file ({err})") from None
    return header, 8 + size


def _array(path: Path, entry: dict, data_start: int, mmap: bool) -> np.ndarray:
    dtype = _DTYPES.get(entry.get("dtype"))
    if dtype is None:
        raise InputError(path, f"unsupported array type {entry.get('dtype')!r} in the catalogue")
    start, end = entry["data_offsets"]
    shape = tuple(entry["shape"])
    if mmap and end > start:
        return np.memmap(path, dtype=dtype, mode="r", offset=data_start + start, shape=shape)
    with open(path, "rb") as handle:
        handle.seek(data_start + start)
        return np.frombuffer(handle.read(end - start), dtype=dtype).reshape(shape).copy()


def catalogue_items(source, kind: str, on_error: str = "raise") -> tuple[list[str], list[tuple[str, str]]]:
    """(files, skipped) of a catalogue source: a folder (its ``kind`` files, recursively, sorted), a
    list of files and folders, or a ``.csv``/``.tsv`` table with a ``<kind>_path`` column (paths
    relative to the table's folder)."""
    from affectzoo import media

    if media.is_path(source) and Path(source).suffix.lower() in (".csv", ".tsv"):
        from affectzoo.data.readers._common import read_table

        table_path = Path(source).expanduser()
        column = f"{kind}_path"
        table = read_table(table_path, [column], sep="\t" if table_path.suffix.lower() == ".tsv" else ",")
        source = [p if os.path.isabs(p) else str(table_path.parent / p) for p in table[column]]
        if not source:
            raise InputError(table_path, f"table has no rows in {column!r}")
    collected = media.collect(source, kind, on_error)
    if not collected.items:
        raise InputError(str(source), f"no {kind} files ({', '.join(media.SUFFIXES[kind])}) in the catalogue")
    return [str(p) for p in collected.items], list(collected.skipped)


def encode_catalogue(source, kind: str, encode, on_error: str = "raise") -> tuple[list[str], list]:
    """(files, values) of a catalogue source (:func:`catalogue_items`) with ``encode(path)`` of each
    readable file, with a progress bar on long catalogues. A file that fails with an InputError
    raises, or with ``on_error="skip"`` is left out (:func:`~affectzoo.data.batch.load_each`) and
    named in one warning; a catalogue with no readable file raises."""
    import warnings

    from tqdm.auto import tqdm

    from affectzoo.data.batch import load_each

    paths, skipped = catalogue_items(source, kind, on_error)
    progress = tqdm(paths, desc=f"indexing {'music' if kind == 'audio' else kind}", unit="item",
                    disable=len(paths) < 20)
    result = load_each(progress, lambda path: encode(str(path)), on_error)
    skipped += [(str(path), reason) for path, reason in result.skipped]
    if skipped:
        warnings.warn(f"left out {len(skipped)} unreadable catalogue files: "
                      + "; ".join(f"{p}: {r}" for p, r in skipped[:5]))
    if not result.items:
        raise InputError(str(source), f"no readable {kind} file in the catalogue")
    return [str(path) for path, _ in result.items], [value for _, value in result.items]
