"""The faiss IVF-PQ index beside a catalogue: candidates re-ranked exactly, saved and attached with the file."""

from __future__ import annotations

import numpy as np
import pytest

from affectzoo.catalog import Catalog
from affectzoo.catalog_ann import IVFPQIndex, sidecar_path
from affectzoo.errors import InputError

pytest.importorskip("faiss", reason="the index extra (faiss-cpu) is installed by the project's set-up script")


def clustered(n: int = 6000, dim: int = 32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, dim))
    return (centres[rng.integers(0, 40, n)] + 0.3 * rng.normal(size=(n, dim))).astype(np.float32)


@pytest.fixture(scope="module")
def indexed():
    vectors = clustered()
    catalogue = Catalog([f"p{i}" for i in range(len(vectors))], vectors)
    return catalogue.build_ann(m=8, nbits=6, nlist=32, nprobe=8)


def test_ivfpq_candidates_recover_the_exact_eq_7_top_10(indexed):
    rng = np.random.default_rng(1)
    hits = []
    for _ in range(10):
        queries = indexed.embeddings[rng.choice(len(indexed), 5)] + 0.1 * rng.normal(size=(5, 32))
        weights = rng.integers(1, 6, 5).astype(float)
        exact, exact_d = indexed.nearest_weighted(queries, weights, k=10, use_ann=False)
        approx, approx_d = indexed.nearest_weighted(queries, weights, k=10)
        hits.append(len(set(exact) & set(approx)) / 10)
        assert np.all(np.diff(approx_d) >= 0) and np.all(approx_d >= exact_d[0] - 1e-9), "exact distances, sorted"
    assert np.mean(hits) >= 0.9


def test_the_index_is_saved_beside_the_file_and_attached_on_load(indexed, tmp_path):
    path = indexed.save(tmp_path / "cat.safetensors")
    assert sidecar_path(path).is_file()
    loaded = Catalog.load(path)
    assert isinstance(loaded.ann, IVFPQIndex) and len(loaded.ann) == len(indexed)
    queries, weights = indexed.embeddings[:3], np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(loaded.nearest_weighted(queries, weights)[0], indexed.nearest_weighted(queries, weights)[0])
    assert Catalog.load(path, ann=False).ann is None
    plain = Catalog(indexed.ids, indexed.embeddings)
    plain.save(path)
    assert not sidecar_path(path).exists(), "re-saving without an index removes the stale one"


def test_a_mismatched_or_broken_index_is_reported(indexed, tmp_path):
    path = indexed.save(tmp_path / "cat.safetensors")
    Catalog(indexed.ids[:-1], indexed.embeddings[:-1]).save(tmp_path / "other.safetensors")
    sidecar_path(path).replace(sidecar_path(tmp_path / "other.safetensors"))
    with pytest.raises(InputError, match="rebuild it"):
        Catalog.load(tmp_path / "other.safetensors")
    sidecar_path(path).write_bytes(b"not an index")
    with pytest.raises(InputError, match="not a faiss index"):
        Catalog.load(path)


def test_an_int8_catalogue_is_indexed_from_its_dequantised_rows(tmp_path):
    vectors = clustered(3000, 16)
    path = Catalog([str(i) for i in range(3000)], vectors).save(tmp_path / "c.safetensors", storage="int8")
    reduced = Catalog.load(path).build_ann(m=4, nbits=5, nlist=16)
    assert reduced.storage == "int8" and len(reduced.ann) == 3000
    found, _ = reduced.nearest_weighted(vectors[:2], [1.0, 1.0], k=5)
    exact, _ = reduced.nearest_weighted(vectors[:2], [1.0, 1.0], k=5, use_ann=False)
    assert len(set(found) & set(exact)) >= 4


def test_small_catalogues_and_bad_sub_quantisers_are_refused():
    vectors = clustered(3000, 16)
    catalogue = Catalog([str(i) for i in range(3000)], vectors)
    with pytest.raises(ValueError, match="needs at least"):
        catalogue.build_ann(m=4, nbits=8)
    with pytest.raises(ValueError, match="must divide"):
        catalogue.build_ann(m=5, nbits=4)


def test_without_faiss_a_saved_index_is_ignored_with_a_warning(indexed, tmp_path, monkeypatch):
    import builtins

    path = indexed.save(tmp_path / "cat.safetensors")
    real_import = builtins.__import__

    def no_faiss(name, *args, **kwargs):
        if name == "faiss":
            raise ImportError("no faiss")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_faiss)
    with pytest.warns(UserWarning, match="faiss is not installed"):
        assert Catalog.load(path).ann is None
