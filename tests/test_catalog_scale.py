"""Catalogues at scale: eq. 7 by blocked GEMM equals brute force; int8/float16 files; old files still load."""

from __future__ import annotations

import json

import numpy as np
import pytest

from affectzoo.catalog import Catalog, Int8Rows


def eq7(queries, weights, items) -> np.ndarray:
    """Mozart's eq. 7 in float64 from the differences: sum_i w_i ||z_i - p||."""
    items = np.asarray(items, dtype=np.float64)
    diff = items[None] - np.asarray(queries, dtype=np.float64)[:, None]
    return np.asarray(weights, dtype=np.float64) @ np.sqrt((diff ** 2).sum(-1))


def header(path) -> dict:
    data = path.read_bytes()
    return json.loads(data[8:8 + int.from_bytes(data[:8], "little")])


def toy(n: int = 203, d: int = 8, m: int = 5, seed: int = 0):
    rng = np.random.default_rng(seed)
    items = rng.normal(size=(n, d)).astype(np.float32)
    return Catalog([f"item{i}" for i in range(n)], items), rng.normal(size=(m, d)), rng.dirichlet(np.ones(m))


@pytest.mark.parametrize("block_size", [1, 3, 7, 64, 203, 1000])
@pytest.mark.parametrize("shortlist", [None, 10, 17])
def test_nearest_weighted_equals_brute_force(block_size, shortlist):
    cat, queries, weights = toy()
    truth = eq7(queries, weights, cat.embeddings)
    order = np.argsort(truth, kind="stable")
    index, found = cat.nearest_weighted(queries, weights, k=10, block_size=block_size, shortlist=shortlist)
    assert index.dtype == np.int64 and found.dtype == np.float64
    assert np.array_equal(index, order[:10])
    assert np.allclose(found, truth[order[:10]], rtol=0, atol=1e-12)


def test_zero_weights_ties_and_small_catalogues():
    cat, queries, weights = toy(n=30)
    weights[[1, 3]] = 0.0  # left out of the GEMM, same answer
    truth = eq7(queries, weights, cat.embeddings)
    assert np.array_equal(cat.nearest_weighted(queries, weights, k=5, block_size=4)[0],
                          np.argsort(truth, kind="stable")[:5])
    index, found = cat.nearest_weighted(queries, weights, k=100)
    assert len(index) == 30 and np.all(np.diff(found) >= 0), "k is capped at the catalogue size"
    same = Catalog(list("abcdef"), np.tile([[1.0, 2.0]], (6, 1)))
    for block_size in (1, 4, 6):
        assert same.nearest_weighted([[0.0, 0.0], [1.0, 1.0]], [0.5, 0.5], k=4, block_size=block_size,
                                     shortlist=4)[0].tolist() == [0, 1, 2, 3], "ties keep catalogue order"
    one = Catalog(["only"], np.ones((1, 3)))
    index, found = one.nearest_weighted(np.ones(3), [1.0], k=3)
    assert index.tolist() == [0] and found.tolist() == [0.0], "a query equal to an item: distance 0, not NaN"


@pytest.mark.parametrize("storage", ["float16", "int8"])
def test_reduced_storage_round_trip(tmp_path, storage):
    rng = np.random.default_rng(1)
    centres = rng.normal(scale=10.0, size=(40, 16))
    items = (centres[np.arange(400) % 40] + rng.normal(scale=0.05, size=(400, 16))).astype(np.float32)
    cat = Catalog([f"c{i}" for i in range(400)], items, rng.uniform(-1, 1, (400, 2)))
    path = cat.save(tmp_path / f"{storage}.safetensors", storage=storage)
    stored = {name: entry for name, entry in header(path).items() if name.startswith("embeddings_") or
              name == "embeddings"}
    vector_bytes = sum(entry["data_offsets"][1] - entry["data_offsets"][0] for name, entry in stored.items()
                       if name != "embeddings_sqnorm")
    assert vector_bytes <= (0.5 if storage == "float16" else 0.25) * items.nbytes + 4 * 400
    loaded = Catalog.load(path)
    assert loaded.storage == storage and loaded.embeddings.shape == (400, 16) and loaded.ids == cat.ids
    maps = [loaded.embeddings.codes, loaded.embeddings.scale] if storage == "int8" else [loaded.embeddings]
    assert all(isinstance(array, np.memmap) for array in maps + [loaded.va, loaded._sqnorm[1]])
    half_step = np.abs(items).max(axis=1, keepdims=True) / 254  # int8: half a step of max|row| / 127
    assert np.all(np.abs(np.asarray(loaded.embeddings) - items) <= half_step * 1.001)
    if storage == "int8":
        assert stored["embeddings_int8"]["dtype"] == "I8" and stored["embeddings_scale"]["shape"] == [400]
        assert "embeddings" not in stored and header(path)["__metadata__"]["format_version"] == "2"
    queries, weights = centres[[3, 3, 17]] + 0.01, np.array([0.5, 0.3, 0.2])
    truth = np.argsort(eq7(queries, weights, items), kind="stable")[:10]
    index, found = loaded.nearest_weighted(queries, weights, k=10, block_size=64)
    assert len(np.intersect1d(index, truth)) == 10, "recall@10 is 1 on well-separated clusters"
    vectors = np.asarray(loaded.embeddings, dtype=np.float64)
    if storage == "int8":
        vectors = loaded.embeddings.codes * np.asarray(loaded.embeddings.scale, dtype=np.float64)[:, None]
    assert np.allclose(found, eq7(queries, weights, vectors[index]), rtol=0, atol=1e-9), "exact on the stored vectors"
    both = Catalog.load(cat.save(tmp_path / "both.safetensors", storage=storage, keep_float32=True))
    assert both.storage == storage and both.embeddings.dtype == np.float32 and isinstance(both.embeddings, np.memmap)
    index, found = both.nearest_weighted(queries, weights, k=10, block_size=64)
    assert np.array_equal(index, truth) and np.allclose(found, eq7(queries, weights, items[index]), atol=1e-12)
    again = Catalog.load(loaded.save(tmp_path / "again.safetensors", storage=storage))
    assert np.array_equal(np.asarray(again.embeddings), np.asarray(loaded.embeddings)), "re-saving is lossless"
    assert loaded.search(queries[:1], k=3)[0].shape == (1, 3), "search() reads reduced files too"


def test_int8_rows_index_like_an_array():
    rows = Int8Rows(np.array([[1, -2], [127, 0]], np.int8), np.array([0.5, 2.0], np.float32))
    assert np.array_equal(rows[1], [254.0, 0.0]) and np.array_equal(rows[:, 1], [-1.0, 0.0])
    assert np.asarray(rows).dtype == np.float32 and len(rows) == 2 and rows.shape == (2, 2)
    with pytest.raises(ValueError, match="int8 rows need"):
        Int8Rows(np.zeros((2, 2), np.int8), np.ones(3, np.float32))


def test_bad_inputs_are_named(tmp_path):
    cat, queries, weights = toy(n=20, d=4, m=3)
    with pytest.raises(ValueError, match=r"queries must be \[M, 4\]"):
        cat.nearest_weighted(np.zeros((3, 5)), weights)
    with pytest.raises(ValueError, match="queries are empty"):
        cat.nearest_weighted(np.zeros((0, 4)), [])
    with pytest.raises(ValueError, match=r"weights must be \[M\] = \[3\]"):
        cat.nearest_weighted(queries, [0.5, 0.5])
    with pytest.raises(ValueError, match="weights must be finite and >= 0"):
        cat.nearest_weighted(queries, [0.5, -0.1, 0.6])
    with pytest.raises(ValueError, match="weights are all 0"):
        cat.nearest_weighted(queries, [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="queries must be finite"):
        cat.nearest_weighted(np.full((3, 4), np.nan), weights)
    with pytest.raises(ValueError, match="k must be positive"):
        cat.nearest_weighted(queries, weights, k=0)
    with pytest.raises(ValueError, match="block_size must be positive"):
        cat.nearest_weighted(queries, weights, block_size=0)
    with pytest.raises(ValueError, match="shortlist must be at least k"):
        cat.nearest_weighted(queries, weights, k=5, shortlist=4)
    with pytest.raises(ValueError, match="storage must be one of"):
        cat.save(tmp_path / "x.safetensors", storage="int4")
    with pytest.raises(ValueError, match="within"):
        Catalog(["big"], np.full((1, 4), 1e6)).save(tmp_path / "big.safetensors", storage="float16")


def test_a_file_of_the_old_format_still_loads(tmp_path):
    """Version 1 wrote float32 ``embeddings`` (and ``va``) only: no squared norms, no storage key."""
    from safetensors.numpy import save_file

    cat, queries, weights = toy(n=50, d=6)
    metadata = {"format": "affectzoo-catalog", "format_version": "1", "ids": json.dumps(cat.ids),
                "model": "old.model", "va_source": "", "kind": "music", "meta": "{}"}
    save_file({"embeddings": cat.embeddings}, str(tmp_path / "old.safetensors"), metadata=metadata)
    old = Catalog.load(tmp_path / "old.safetensors")
    assert old.storage == "float32" and isinstance(old.embeddings, np.memmap) and old.model == "old.model"
    assert old._sqnorm is None, "the norms are computed on the first search, not read"
    expected = cat.nearest_weighted(queries, weights, k=7)
    found = old.nearest_weighted(queries, weights, k=7, block_size=9)
    assert np.array_equal(found[0], expected[0]) and np.allclose(found[1], expected[1], rtol=0, atol=1e-12)
    assert old.nearest_weighted(queries, weights, k=7)[1] is not None and old._sqnorm[0] is old.embeddings
    newer = dict(metadata, format_version="3")
    save_file({"embeddings": cat.embeddings}, str(tmp_path / "newer.safetensors"), metadata=newer)
    with pytest.raises(Exception, match="newer affectzoo"):
        Catalog.load(tmp_path / "newer.safetensors")
    assert header(cat.save(tmp_path / "new.safetensors"))["__metadata__"]["format_version"] == "1", \
        "a float32 file stays readable by version-1 readers"
