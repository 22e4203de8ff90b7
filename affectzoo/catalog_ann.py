"""An approximate index beside a catalogue file (faiss IVF-PQ), for catalogues that do not fit in memory.

The exact eq. 7 scan (:meth:`~affectzoo.catalog.Catalog.nearest_weighted`) reads every vector once
per query. With an IVF-PQ index (``pip install affectzoo[index]``, i.e. ``faiss-cpu``) only the
index lives in memory: per item, a ``m``-byte product-quantised code and its inverted list, about
16 bytes at the defaults against 512 for a float32 128-d vector. A query then:

1. finds candidates: for every rated code with a positive weight, and for their weighted mean,
   the ``shortlist`` nearest items by the index (``nprobe`` of ``nlist`` lists visited);
2. re-ranks the union exactly: eq. 7 in float64 on those items' vectors, read from the memory-mapped
   catalogue file (a few thousand rows).

Eq. 7's minimiser lies in the convex hull of the rated codes, so items near one of them or near
their weighted mean are where its best items are; how often a true top-``k`` item is missed is
measured (recall against the exact scan) by ``benchmarks/catalog_speed.py --faiss``.

The index is saved beside the catalogue as ``<catalogue file>.ivfpq.faiss`` (written atomically),
and :meth:`Catalog.load <affectzoo.catalog.Catalog.load>` attaches it when faiss is installed, so
every recommender's ``recommend`` uses it with no change of API.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from affectzoo._io import atomic_write_bytes
from affectzoo.errors import InputError

SUFFIX = ".ivfpq.faiss"


def sidecar_path(catalogue_path: str | os.PathLike) -> Path:
    """Where the IVF-PQ index of the catalogue file ``catalogue_path`` is kept."""
    return Path(f"{catalogue_path}{SUFFIX}")


def _faiss():
    try:
        import faiss
    except ImportError:
        raise ImportError("the IVF-PQ index needs faiss: pip install 'affectzoo[index]' (faiss-cpu)") from None
    return faiss


class IVFPQIndex:
    """A trained faiss IVF-PQ index over a catalogue's embeddings (see the module docstring)."""

    def __init__(self, index, nprobe: int = 16) -> None:
        self.index = index
        self.nprobe = nprobe

    @classmethod
    def build(cls, embeddings, nlist: int | None = None, m: int = 16, nbits: int = 8, nprobe: int = 16,
              train_size: int = 100_000, block_size: int = 65536, seed: int = 0) -> "IVFPQIndex":
        """Train on a seeded sample of ``train_size`` rows and add every row in blocks of ``block_size``
        (``embeddings`` may be a memory map or :class:`~affectzoo.catalog.Int8Rows`: rows are read a
        block at a time). ``nlist`` defaults to about ``4 sqrt(N)`` lists; ``m`` sub-quantisers of
        ``nbits`` bits (``m`` must divide the dimension)."""
        faiss = _faiss()
        n, dim = embeddings.shape
        if dim % m:
            raise ValueError(f"m = {m} sub-quantisers must divide the embedding size {dim}")
        nlist = nlist or max(1, min(int(4 * np.sqrt(n)), n // 39))
        needed = max(nlist, 2 ** nbits) * 39  # faiss wants about 39 training points per centroid
        if n < needed:
            raise ValueError(f"an IVF-PQ index with nlist={nlist}, nbits={nbits} needs at least {needed} items, "
                             f"the catalogue has {n}: search it exactly, or lower nlist/nbits")
        rng = np.random.default_rng(seed)
        sample = np.sort(rng.choice(n, size=min(n, max(train_size, needed)), replace=False))
        index = faiss.IndexIVFPQ(faiss.IndexFlatL2(dim), dim, nlist, m, nbits)
        index.cp.seed = seed
        index.pq.cp.seed = seed
        index.train(_float32_rows(embeddings, sample))
        for start in range(0, n, block_size):
            index.add(_float32_rows(embeddings, np.arange(start, min(start + block_size, n))))
        return cls(index, nprobe)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def candidates(self, queries: np.ndarray, weights: np.ndarray, shortlist: int) -> np.ndarray:
        """Sorted unique item indices near the rated codes with ``weights > 0`` and near their weighted mean."""
        counted = queries[weights > 0]
        mean = (weights[weights > 0, None] * counted).sum(0, keepdims=True) / weights.sum()
        probes = np.ascontiguousarray(np.concatenate([counted, mean]), dtype=np.float32)
        self.index.nprobe = self.nprobe
        _, found = self.index.search(probes, min(shortlist, len(self)))
        return np.unique(found[found >= 0])

    def save(self, path: str | os.PathLike) -> Path:
        """Write the index to ``path`` atomically (usually :func:`sidecar_path` of the catalogue)."""
        faiss = _faiss()
        return atomic_write_bytes(path, faiss.serialize_index(self.index).tobytes())

    @classmethod
    def load(cls, path: str | os.PathLike, expected_items: int | None = None, nprobe: int = 16) -> "IVFPQIndex":
        faiss = _faiss()
        path = Path(path)
        try:
            index = faiss.deserialize_index(np.fromfile(path, dtype=np.uint8))
        except RuntimeError as err:
            raise InputError(path, f"not a faiss index ({str(err).splitlines()[0]})") from None
        if expected_items is not None and index.ntotal != expected_items:
            raise InputError(path, f"indexes {index.ntotal} items, its catalogue has {expected_items}: rebuild it")
        return cls(index, nprobe)


def saved_index(catalogue_path: Path, items: int) -> IVFPQIndex | None:
    """The index saved beside the catalogue file, or None (none there; or no faiss, with a warning)."""
    sidecar = sidecar_path(catalogue_path)
    if not sidecar.is_file():
        return None
    try:
        return IVFPQIndex.load(sidecar, expected_items=items)
    except ImportError:
        import warnings

        warnings.warn(f"{sidecar}: an IVF-PQ index, but faiss is not installed; searching {catalogue_path} exactly",
                      stacklevel=3)
        return None


def _float32_rows(rows, index: np.ndarray) -> np.ndarray:
    """``rows[index]`` as a contiguous float32 array (:class:`~affectzoo.catalog.Int8Rows` dequantised)."""
    if hasattr(rows, "dequantised"):
        return np.ascontiguousarray(rows.dequantised(index, np.float32))
    return np.ascontiguousarray(rows[index], dtype=np.float32)
