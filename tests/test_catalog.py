"""Catalogues: atomic save, memory-mapped load, blocked top-k equal to a brute-force ranking."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from affectzoo._io import atomic_write, atomic_write_text
from affectzoo.catalog import Catalog, catalogue_items
from affectzoo.errors import InputError


def catalogue(n: int = 50, d: int = 6, seed: int = 0) -> Catalog:
    rng = np.random.default_rng(seed)
    return Catalog([f"item{i}" for i in range(n)], rng.normal(size=(n, d)), rng.uniform(-1, 1, (n, 2)),
                   model="toy.model", va_source="labels", kind="music", meta={"note": "toy"})


def test_save_and_memory_mapped_load(tmp_path):
    cat = catalogue()
    path = cat.save(tmp_path / "cat.safetensors")
    loaded = Catalog.load(path)
    assert isinstance(loaded.embeddings, np.memmap) and loaded.embeddings.dtype == np.float32
    assert loaded.ids == cat.ids and np.array_equal(loaded.embeddings, cat.embeddings)
    assert np.array_equal(loaded.va, cat.va) and (loaded.model, loaded.va_source, loaded.kind) == ("toy.model",
                                                                                                  "labels", "music")
    assert loaded.meta == {"note": "toy"} and not isinstance(Catalog.load(path, mmap=False).embeddings, np.memmap)
    assert [p.name for p in tmp_path.iterdir()] == ["cat.safetensors"], "no temporary file is left"
    without_va = Catalog(["a"], np.ones((1, 3)))
    assert Catalog.load(without_va.save(tmp_path / "one.safetensors")).va is None


@pytest.mark.parametrize("metric", ["l2", "cosine", "dot", "callable"])
def test_blocked_search_equals_brute_force(metric):
    cat = catalogue(n=53)
    queries = np.random.default_rng(1).normal(size=(4, 6)).astype(np.float32)
    if metric == "l2":
        scores = np.linalg.norm(queries[:, None] - cat.embeddings[None], axis=-1)
        order = np.argsort(scores, axis=1, kind="stable")
    else:
        if metric == "cosine":
            q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
            b = cat.embeddings / np.linalg.norm(cat.embeddings, axis=1, keepdims=True)
            scores = q @ b.T
        else:
            scores = queries @ cat.embeddings.T
        order = np.argsort(-scores, axis=1, kind="stable")
    chosen = (lambda q, block: q @ block.T) if metric == "callable" else metric
    index, found = cat.search(queries, k=7, metric=chosen, block_size=5)
    assert np.array_equal(index, order[:, :7])
    assert np.allclose(found, np.take_along_axis(scores, order[:, :7], axis=1), atol=1e-5)
    assert cat.search(queries[0], k=100, metric=chosen)[0].shape == (1, 53), "k is capped at the catalogue size"


def test_ties_keep_catalogue_order_and_va_space():
    cat = Catalog(list("abcd"), np.zeros((4, 2)), np.array([[0.5, 0.5], [0.1, 0.1], [0.5, 0.5], [-1, -1]]))
    assert [i for i, _ in cat.top(np.zeros(2), k=4)] == ["a", "b", "c", "d"]
    assert [i for i, _ in cat.top(np.array([0.5, 0.5]), k=3, space="va")] == ["a", "c", "b"]
    with pytest.raises(ValueError, match="metric must be one of"):
        cat.search(np.zeros(2), metric="manhattan")


def test_bad_files_are_named(tmp_path):
    (tmp_path / "junk.safetensors").write_bytes(b"\x01\x02")
    with pytest.raises(InputError, match="junk.safetensors: not a catalogue file"):
        Catalog.load(tmp_path / "junk.safetensors")
    with pytest.raises(InputError, match="file not found"):
        Catalog.load(tmp_path / "absent.safetensors")
    from safetensors.numpy import save_file

    save_file({"x": np.zeros(2, np.float32)}, str(tmp_path / "plain.safetensors"))
    with pytest.raises(InputError, match="not an affectzoo catalogue"):
        Catalog.load(tmp_path / "plain.safetensors")


def test_catalogue_items_from_a_table(tmp_path):
    for name in ("a.wav", "b.wav"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "table.csv").write_text("audio_path\na.wav\nb.wav\n")
    paths, skipped = catalogue_items(tmp_path / "table.csv", "audio")
    assert paths == [str(tmp_path / "a.wav"), str(tmp_path / "b.wav")] and skipped == []
    (tmp_path / "bad.csv").write_text("path\na.wav\n")
    with pytest.raises(InputError, match="audio_path"):
        catalogue_items(tmp_path / "bad.csv", "audio")


def test_atomic_writes_are_safe_under_concurrent_writers(tmp_path):
    target = tmp_path / "shared.txt"

    def slow_writer(text: str):
        def write(tmp):
            with open(tmp, "w") as handle:
                for char in text:
                    handle.write(char)
                    handle.flush()
                    time.sleep(0.0005)
        atomic_write(target, write)

    threads = [threading.Thread(target=slow_writer, args=(letter * 200,)) for letter in "abcd"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    content = target.read_text()
    assert content in {letter * 200 for letter in "abcd"}, "one complete write wins, none is mixed or cut"
    assert [p.name for p in tmp_path.iterdir()] == ["shared.txt"]
    with pytest.raises(RuntimeError):
        atomic_write(target, lambda tmp: (_ for _ in ()).throw(RuntimeError("disk full")))
    assert target.read_text() == content and [p.name for p in tmp_path.iterdir()] == ["shared.txt"]
    atomic_write_text(tmp_path / "new" / "file.txt", "made")
    assert (tmp_path / "new" / "file.txt").read_text() == "made"


def test_atomic_writes_get_the_permissions_of_a_plain_write(tmp_path):
    import os

    from affectzoo._io import atomic_write_text

    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    atomic = atomic_write_text(tmp_path / "atomic.txt", "x")
    assert os.stat(atomic).st_mode & 0o777 == os.stat(plain).st_mode & 0o777
