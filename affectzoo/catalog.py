"""Catalogues: item ids, their embeddings and (optionally) their valence/arousal, saved once and searched fast.

A recommender indexes a collection once (``model.index(items)`` -> :class:`Catalog`) and then
answers queries against it. A catalogue is one safetensors file: ``embeddings`` ``[N, D]``
float32, optionally ``va`` ``[N, 2]`` float32, and metadata (the ids, which model made the
embeddings, which model or labels gave the V/A). It is written atomically and loaded
memory-mapped, so a catalogue of millions of items opens at once and costs memory only for the
blocks a search reads; :meth:`Catalog.search` scores the queries against one block at a time
and keeps the running top ``k``. NumPy only: no torch needed to save, load or search by distance.

:meth:`Catalog.nearest_weighted` answers the Mozart recommender's eq. 7 (the items with the
smallest weighted sum of Euclidean distances to several rated codes) with one GEMM per block.
The embeddings can be stored reduced (:meth:`Catalog.save` ``storage="float16"`` or ``"int8"``,
optionally beside the float32 ones); every file written now also holds ``embeddings_sqnorm``, the
squared norms of the vectors that search scans. ``format_version`` in a file is the oldest
reader that can read it: 1 (float32 or float16 ``embeddings``; version-1 readers ignore the
other arrays) or 2 (int8 only, no ``embeddings`` array). Files of version 1 all still load.
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
FORMAT_VERSION = 2
METRICS = ("l2", "cosine", "dot")
STORAGES = ("float32", "float16", "int8")
DEFAULT_BLOCK = 65536
_CONVERT_ROWS = 4096  # rows of float16/int8 converted to float32 at a time (2 MB at D = 128)
_FLOAT16_MAX = 65504.0


class Recommendation(NamedTuple):
    """One recommended item: its id (a file path, for catalogues of files) and its score."""

    item: str
    score: float


class Int8Rows:
    """Read-only ``[N, D]`` embeddings kept as int8 codes with one float32 scale per row.

    Row ``j`` reads back as ``codes[j] * scale[j]`` (float32): indexing returns dequantised rows,
    ``np.asarray`` the whole array. ``codes`` and ``scale`` stay memory-mapped when loaded so.
    """

    def __init__(self, codes: np.ndarray, scale: np.ndarray):
        if codes.ndim != 2 or codes.dtype != np.int8 or scale.shape != codes.shape[:1]:
            raise ValueError(f"int8 rows need codes [N, D] int8 and scale [N], got {codes.shape} {codes.dtype} "
                             f"and {scale.shape}")
        self.codes = codes
        self.scale = scale

    shape = property(lambda self: self.codes.shape)
    ndim = 2
    dtype = np.dtype(np.float32)

    def __len__(self) -> int:
        return len(self.codes)

    def dequantised(self, rows, dtype=np.float32) -> np.ndarray:
        """``codes[rows] * scale[rows]`` in ``dtype``."""
        return self.codes[rows].astype(dtype) * np.asarray(self.scale[rows], dtype=dtype)[..., None]

    def __getitem__(self, key) -> np.ndarray:
        rows = key[0] if isinstance(key, tuple) else key
        values = self.dequantised(rows)
        return values[(slice(None),) * (values.ndim - 1) + key[1:]] if isinstance(key, tuple) else values

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        values = self[:]
        return values if dtype is None else values.astype(dtype, copy=False)

    def __repr__(self) -> str:
        return f"Int8Rows(shape={self.shape})"


@dataclass
class Catalog:
    """``ids`` ``[N]``, ``embeddings`` ``[N, D]`` and optional ``va`` ``[N, 2]`` in [-1, 1].

    ``model`` names the model (and weights) whose space the embeddings live in; ``va_source`` says
    where the V/A came from (labels, or the V/A predictor that estimated them); ``kind`` is what
    the items are (``"music"``, ``"image"``); ``meta`` holds anything else JSON-serialisable.
    ``embeddings`` is float32, or what a reduced file holds (a float16 memmap, :class:`Int8Rows`).
    """

    ids: list[str]
    embeddings: np.ndarray
    va: np.ndarray | None = None
    model: str = ""
    va_source: str = ""
    kind: str = ""
    meta: dict = field(default_factory=dict)
    # a reduced copy nearest_weighted scans instead of the float32 embeddings (files saved with keep_float32)
    _scan: np.ndarray | Int8Rows | None = field(default=None, init=False, repr=False, compare=False)
    # (scanned array, its squared row norms): read from the file or computed once
    _sqnorm: tuple | None = field(default=None, init=False, repr=False, compare=False)
    #: an approximate index (:class:`~affectzoo.catalog_ann.IVFPQIndex`) nearest_weighted takes its
    #: candidates from: built by :meth:`build_ann`, saved beside the file, attached by :meth:`load`
    ann: object = field(default=None, init=False, repr=False, compare=False)

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

    @property
    def storage(self) -> str:
        """How the vectors :meth:`nearest_weighted` scans are stored: ``"float32"``, ``"float16"`` or ``"int8"``."""
        scanned = self._scanned()
        return "int8" if isinstance(scanned, Int8Rows) else np.dtype(scanned.dtype).name

    def build_ann(self, **options) -> "Catalog":
        """Build and attach a faiss IVF-PQ index (:class:`~affectzoo.catalog_ann.IVFPQIndex`,
        ``options`` its :meth:`~affectzoo.catalog_ann.IVFPQIndex.build` arguments); returns self."""
        from affectzoo.catalog_ann import IVFPQIndex

        self.ann = IVFPQIndex.build(self.embeddings, **options)
        return self

    # ------------------------------------------------------------------------------ files

    def save(self, path: str | os.PathLike, storage: str = "float32", keep_float32: bool = False) -> Path:
        """Write the catalogue to one ``.safetensors`` file, atomically.

        ``storage``: ``"float32"`` (exact), ``"float16"`` (half the size; every value must fit
        float16) or ``"int8"`` (a quarter: per-item symmetric scale, ``embeddings_int8`` ``[N, D]``
        int8 and ``embeddings_scale`` ``[N]`` float32, item ``j`` read back as
        ``int8[j] * scale[j]``). A reduced file holds only the reduced vectors, so
        :meth:`nearest_weighted` on it is exact for those, not for the originals;
        ``keep_float32=True`` also stores the float32 ``embeddings``: the search then scans the
        reduced copy and re-ranks its shortlist on the float32 rows (a larger file, a lighter scan).
        An attached IVF-PQ index (:meth:`build_ann`) is written beside the file
        (:func:`~affectzoo.catalog_ann.sidecar_path`); without one, a stale index there is removed.
        """
        from safetensors.numpy import save_file

        if storage not in STORAGES:
            raise ValueError(f"storage must be one of {STORAGES}, got {storage!r}")
        tensors = {}
        if storage == "float32" or keep_float32:
            tensors["embeddings"] = np.ascontiguousarray(self.embeddings, dtype=np.float32)
        if storage == "float16":
            scanned = _to_float16(self.embeddings)
            tensors["embeddings_f16" if keep_float32 else "embeddings"] = scanned
        elif storage == "int8":
            codes, scale = _quantise_int8(self.embeddings)
            tensors["embeddings_int8"], tensors["embeddings_scale"] = codes, scale
            scanned = Int8Rows(codes, scale)
        else:
            scanned = tensors["embeddings"]
        tensors["embeddings_sqnorm"] = _squared_norms(scanned)
        if self.va is not None:
            tensors["va"] = np.ascontiguousarray(self.va, dtype=np.float32)
        version = 1 if "embeddings" in tensors else FORMAT_VERSION  # the oldest reader that can read the file
        metadata = {"format": FORMAT, "format_version": str(version), "ids": json.dumps(self.ids),
                    "model": self.model, "va_source": self.va_source, "kind": self.kind,
                    "meta": json.dumps(self.meta), "storage": storage}
        written = atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata=metadata))
        from affectzoo.catalog_ann import sidecar_path

        if self.ann is not None:
            self.ann.save(sidecar_path(written))
        else:
            sidecar_path(written).unlink(missing_ok=True)
        return written

    @classmethod
    def load(cls, path: str | os.PathLike, mmap: bool = True, ann: bool = True) -> "Catalog":
        """Open a saved catalogue; ``mmap`` maps the arrays from the file instead of reading them.
        With ``ann`` an IVF-PQ index saved beside the file is attached (if faiss is installed;
        otherwise a warning, and searches stay exact)."""
        path = Path(path)
        header, data_start = _read_header(path)
        meta = header.get("__metadata__", {})
        if meta.get("format") != FORMAT:
            raise InputError(path, "not an affectzoo catalogue (a safetensors file without its metadata)")
        if int(meta.get("format_version", 0)) > FORMAT_VERSION:
            raise InputError(path, "written by a newer affectzoo: upgrade to read it")
        names = ("embeddings", "va", "embeddings_f16", "embeddings_int8", "embeddings_scale", "embeddings_sqnorm")
        arrays = {name: _array(path, header[name], data_start, mmap) for name in names if name in header}
        reduced = arrays.get("embeddings_f16")
        if "embeddings_int8" in arrays:
            if "embeddings_scale" not in arrays:
                raise InputError(path, "catalogue has int8 embeddings without their scale")
            try:
                reduced = Int8Rows(arrays["embeddings_int8"], arrays["embeddings_scale"])
            except ValueError as err:
                raise InputError(path, str(err)) from None
        if "embeddings" not in arrays and reduced is None:
            raise InputError(path, "catalogue has no embeddings")
        catalog = cls(json.loads(meta["ids"]), arrays.get("embeddings", reduced), arrays.get("va"),
                      meta.get("model", ""), meta.get("va_source", ""), meta.get("kind", ""),
                      json.loads(meta.get("meta", "{}")))
        if "embeddings" in arrays and reduced is not None:
            if reduced.shape != catalog.embeddings.shape:
                raise InputError(path, f"reduced embeddings {reduced.shape} do not match {catalog.embeddings.shape}")
            catalog._scan = reduced
        norms = arrays.get("embeddings_sqnorm")
        if norms is not None and norms.shape == (len(catalog),):
            catalog._sqnorm = (catalog._scanned(), norms)
        if ann:
            from affectzoo.catalog_ann import saved_index

            catalog.ann = saved_index(path, len(catalog))
        return catalog

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
        sign = 1.0 if metric == "l2" else -1.0  # the running top-k keeps the smallest
        top = _RunningTopK(len(queries), min(k, len(items)))
        for start in range(0, len(items), block_size):
            block = np.asarray(items[start:start + block_size], dtype=np.float32)
            top.push(sign * np.asarray(_score(queries, block, metric), dtype=np.float64), start)
        return top.index, sign * top.scores

    def top(self, query, k: int = 10, **search_options) -> list[tuple[str, float]]:
        """``(id, score)`` of the ``k`` best items for one query, best first (see :meth:`search`)."""
        index, scores = self.search(query, k, **search_options)
        return [(self.ids[i], float(s)) for i, s in zip(index[0].tolist(), scores[0].tolist())]

    def nearest_weighted(self, queries, weights, k: int = 10, block_size: int = DEFAULT_BLOCK,
                         shortlist: int | None = None, use_ann: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` items with the smallest ``d(p) = sum_i w_i ||z_i - p||_2`` (Mozart's eq. 7):
        (indices ``[k]``, distances ``[k]`` float64), nearest first, ties in catalogue order.

        ``queries`` ``[M, D]`` are the rated codes ``z_i``, ``weights`` ``[M]`` their ``w_i >= 0``
        (used as given; they need not sum to 1, which only scales ``d``). The scan reads
        ``block_size`` items at a time (memory stays flat) and scores each block with one float32
        GEMM against the queries plus the stored squared norms (``|a|^2 + |b|^2 - 2 a.b``, clamped
        at 0, square-rooted: every distance is a true Euclidean one), then the weighted sum, and
        keeps the running best ``shortlist`` (default ``max(10 k, 100)``). The shortlist is re-ranked
        exactly (float64, from the differences) and the best ``k`` returned with those distances.

        What is exact depends on what the file holds. float32 embeddings: the result is eq. 7 on
        them, unless a true top-``k`` item falls outside the float32 shortlist (rounding only). A
        reduced file (``save(storage="float16"|"int8")``) has no float32 vectors left, so the scan
        and the re-ranking both use the dequantised ones: the distances are exact for those, and
        the ranking can differ from the originals' by the quantisation (``benchmarks/
        catalog_speed.py`` measures the recall against float64 on the originals). Saved with
        ``keep_float32=True``, the scan reads the reduced copy and the shortlist is re-ranked on the
        float32 rows (a few reads from the memory map), so the result is exact again.

        With an IVF-PQ index attached (:meth:`build_ann`, or saved beside the file) and ``use_ann``,
        there is no scan: the candidates are the index's ``shortlist`` (default ``max(30 k, 300)``)
        nearest items of each rated code and of their weighted mean (:mod:`affectzoo.catalog_ann`),
        re-ranked exactly the same way.
        """
        queries, weights = self._weighted_inputs(queries, weights)
        if k < 1:
            raise ValueError(f"k must be positive, got {k}")
        if block_size < 1:
            raise ValueError(f"block_size must be positive, got {block_size}")
        if shortlist is not None and shortlist < k:
            raise ValueError(f"shortlist must be at least k = {k}, got {shortlist}")
        n = len(self)
        if n == 0:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        k = min(k, n)
        size = min(n, max(10 * k, 100) if shortlist is None else shortlist)
        if self.ann is not None and use_ann:  # PQ distances are rough: a longer default shortlist per probe
            per_probe = min(n, max(30 * k, 300) if shortlist is None else shortlist)
            candidates = self.ann.candidates(queries, weights, per_probe)
            if len(candidates) >= k:  # else (a sparse index) the scan below answers
                return self._reranked(queries, weights, candidates, k)
        scanned = self._scanned()
        norms = self._scanned_sqnorm(scanned)
        counted = np.flatnonzero(weights > 0)  # a query of weight 0 adds nothing: leave it out of the GEMM
        width = -(-len(counted) // 4) * 4  # zero-padded to a multiple of 4: OpenBLAS runs 12 columns faster than 11
        minus_two_q = np.zeros((width, queries.shape[1]), np.float32)
        minus_two_q[:len(counted)] = -2.0 * queries[counted]
        query_norms = np.zeros(width, np.float32)
        query_norms[:len(counted)] = (queries[counted] ** 2).sum(1)
        w = np.zeros(width, np.float32)
        w[:len(counted)] = weights[counted]
        rows = min(block_size, n)
        gram = np.empty((rows, width), np.float32)
        dist = np.empty(rows, np.float32)
        tiled_norms = np.tile(query_norms, rows)  # added to the flat block: contiguous, unlike a broadcast
        buffer = None if _is_float32(scanned) else np.empty((min(rows, _CONVERT_ROWS), queries.shape[1]), np.float32)
        top = _RunningTopK(1, size)
        for start in range(0, n, block_size):
            stop = min(start + block_size, n)
            g = gram[:stop - start]
            _minus_two_dots(scanned, start, stop, minus_two_q, g, buffer)  # -2 p.z, [B, width]
            flat = g.reshape(-1)
            flat += tiled_norms[:flat.size]
            g += norms[start:stop, None]
            np.maximum(g, 0.0, out=g)
            np.sqrt(g, out=g)
            top.push(np.dot(g, w, out=dist[:stop - start])[None], start)
        return self._reranked(queries, weights, np.sort(top.index[0]), k)

    def _reranked(self, queries, weights, candidates: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The best ``k`` of the sorted ``candidates`` by eq. 7 in float64 (ties in catalogue order)."""
        exact = _weighted_distances(queries, weights, _rows_float64(self.embeddings, candidates))
        order = np.lexsort((candidates, exact))[:k]
        return candidates[order], exact[order]

    def _weighted_inputs(self, queries, weights) -> tuple[np.ndarray, np.ndarray]:
        queries = np.atleast_2d(_as_float64(queries))
        if queries.size == 0:
            raise ValueError("queries are empty: nearest_weighted needs at least one rated code")
        dim = self.embeddings.shape[1]
        if queries.ndim != 2 or queries.shape[1] != dim:
            raise ValueError(f"queries must be [M, {dim}] (the catalogue's embedding size), got {queries.shape}")
        if not np.isfinite(queries).all():
            raise ValueError("queries must be finite (no NaN or inf)")
        weights = _as_float64(weights)
        if weights.shape != (len(queries),):
            raise ValueError(f"weights must be [M] = [{len(queries)}], one per query, got {weights.shape}")
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise ValueError(f"weights must be finite and >= 0, got {weights.tolist()}")
        if not weights.sum() > 0:
            raise ValueError("weights are all 0: at least one query must count")
        return queries, weights

    def _scanned(self):
        return self._scan if self._scan is not None else self.embeddings

    def _scanned_sqnorm(self, scanned) -> np.ndarray:
        """Squared norms of the scanned rows: from the file, or computed once per array (replace the
        array rather than writing into it, or the cached norms go stale)."""
        if self._sqnorm is None or self._sqnorm[0] is not scanned:
            self._sqnorm = (scanned, _squared_norms(scanned))
        return self._sqnorm[1]


class _RunningTopK:
    """The ``k`` smallest scores of each row over column blocks pushed in catalogue order.

    ``scores``/``index`` ``[R, <=k]`` stay sorted by (score, index) and a tie at the cut keeps the
    lower index, so the result equals the first ``k`` of a stable sort of all the scores (NaN
    counts as +inf). Once ``k`` are kept, only the columns that beat a row's worst are merged.
    """

    def __init__(self, rows: int, k: int):
        self.k = k
        self.scores = np.empty((rows, 0))
        self.index = np.empty((rows, 0), np.int64)

    def push(self, scores: np.ndarray, start: int) -> None:
        if np.isnan(scores).any():
            scores = np.where(np.isnan(scores), np.inf, scores)
        if self.scores.shape[1] == self.k:
            beats = scores < self.scores[:, -1:]  # a tie with the worst kept loses: its index is larger
            columns = np.flatnonzero(beats[0] if len(beats) == 1 else beats.any(axis=0))
            if len(columns) == 0:
                return
            scores, index = scores[:, columns], columns + start
        else:
            index = np.arange(start, start + scores.shape[1])
        merged = np.concatenate([self.scores, scores], axis=1)
        merged_index = np.concatenate([self.index, np.broadcast_to(index, scores.shape)], axis=1)
        if merged.shape[1] > self.k:
            # columns are in index order among equal scores, so the first ties are the ones to keep
            cut = np.partition(merged, self.k - 1, axis=1)[:, self.k - 1:self.k]
            below, tied = merged < cut, merged == cut
            keep = below | (tied & (np.cumsum(tied, axis=1) <= self.k - below.sum(axis=1, keepdims=True)))
            merged = merged[keep].reshape(len(merged), self.k)
            merged_index = merged_index[keep].reshape(len(merged), self.k)
        order = np.lexsort((merged_index, merged), axis=1)
        self.scores = np.take_along_axis(merged, order, axis=1)
        self.index = np.take_along_axis(merged_index, order, axis=1)


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


def _weighted_distances(queries: np.ndarray, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Eq. 7 in float64 from the differences: ``sum_i w_i ||z_i - p||`` for each row ``p``."""
    diff = rows[None, :, :] - queries[:, None, :]
    return weights @ np.sqrt(np.einsum("mnd,mnd->mn", diff, diff))


def _is_float32(rows) -> bool:
    return not isinstance(rows, Int8Rows) and rows.dtype == np.float32


def _minus_two_dots(rows, start: int, stop: int, minus_two_q: np.ndarray, out: np.ndarray,
                    buffer: np.ndarray | None) -> None:
    """``out = rows[start:stop] @ minus_two_q.T``: float32 rows are read in place, others are
    converted ``len(buffer)`` rows at a time (a cache-sized buffer) and int8 codes scaled after."""
    if _is_float32(rows):
        np.dot(np.asarray(rows[start:stop]), minus_two_q.T, out=out)
        return
    for first in range(start, stop, len(buffer)):
        last = min(first + len(buffer), stop)
        chunk, part = buffer[:last - first], out[first - start:last - start]
        np.copyto(chunk, rows.codes[first:last] if isinstance(rows, Int8Rows) else rows[first:last], casting="unsafe")
        np.dot(chunk, minus_two_q.T, out=part)
        if isinstance(rows, Int8Rows):
            part *= np.asarray(rows.scale[first:last])[:, None]  # p = scale * codes


def _rows_float64(rows, index: np.ndarray) -> np.ndarray:
    """``rows[index]`` in float64 (int8 rows dequantised in float64)."""
    if isinstance(rows, Int8Rows):
        return rows.dequantised(index, np.float64)
    return np.asarray(rows[index], dtype=np.float64)


def _squared_norms(rows, block_size: int = DEFAULT_BLOCK) -> np.ndarray:
    """``|row|^2`` (float32 ``[N]``) of float arrays or :class:`Int8Rows`, a block at a time."""
    norms = np.empty(len(rows), np.float32)
    for start in range(0, len(rows), block_size):
        if isinstance(rows, Int8Rows):
            codes = rows.codes[start:start + block_size].astype(np.float32)  # integer sums: exact in float32
            scale = np.asarray(rows.scale[start:start + block_size], dtype=np.float32)
            norms[start:start + block_size] = np.einsum("ij,ij->i", codes, codes) * scale * scale
        else:
            block = np.asarray(rows[start:start + block_size], dtype=np.float32)
            norms[start:start + block_size] = np.einsum("ij,ij->i", block, block)
    return norms


def _to_float16(values, block_size: int = DEFAULT_BLOCK) -> np.ndarray:
    """``values`` as float16, a block at a time; every value must be finite and fit float16."""
    if isinstance(values, np.ndarray) and values.dtype == np.float16:
        return np.ascontiguousarray(values)
    half = np.empty(values.shape, np.float16)
    for start in range(0, len(values), block_size):
        block = np.asarray(values[start:start + block_size], dtype=np.float32)
        if not np.isfinite(block).all() or np.abs(block).max(initial=0.0) > _FLOAT16_MAX:
            raise ValueError(f"embeddings must be finite and within +-{_FLOAT16_MAX:g} to be stored as float16")
        half[start:start + block_size] = block
    return half


def _quantise_int8(values, block_size: int = DEFAULT_BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """(codes ``[N, D]`` int8, scale ``[N]`` float32): per-row symmetric, ``scale = max|row| / 127``."""
    if isinstance(values, Int8Rows):
        return np.ascontiguousarray(values.codes), np.ascontiguousarray(values.scale, dtype=np.float32)
    codes = np.empty(values.shape, np.int8)
    scale = np.empty(len(values), np.float32)
    for start in range(0, len(values), block_size):
        block = np.asarray(values[start:start + block_size], dtype=np.float32)
        if not np.isfinite(block).all():
            raise ValueError("embeddings must be finite to be stored as int8")
        row_scale = (np.abs(block).max(axis=1, initial=0.0) / 127).astype(np.float32)
        inverse = np.divide(1.0, row_scale, out=np.zeros_like(row_scale), where=row_scale > 0)
        codes[start:start + block_size] = np.clip(np.rint(block * inverse[:, None]), -127, 127)
        scale[start:start + block_size] = row_scale
    return codes, scale


def _as_array(values) -> np.ndarray:
    if hasattr(values, "detach"):  # a torch tensor
        values = values.detach().cpu().numpy()
    return values if isinstance(values, (np.memmap, Int8Rows)) else np.asarray(values, dtype=np.float32)


def _as_float64(values) -> np.ndarray:
    if hasattr(values, "detach"):  # a torch tensor
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=np.float64)


_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I8": np.int8}


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


def existing_catalogue(items) -> "Catalog | None":
    """``items`` when it is a :class:`Catalog`, the catalogue when it is a saved catalogue file
    (``.safetensors``), else None: what every recommender's ``index`` returns before indexing anything."""
    if isinstance(items, Catalog):
        return items
    if isinstance(items, (str, os.PathLike)) and str(items).endswith(".safetensors"):
        return Catalog.load(items)
    return None


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
