"""Feature cache: keys, hits and misses, atomic writes, two concurrent writers, info and clear."""

from __future__ import annotations

import multiprocessing as mp

import torch

from affectzoo.data.cache import FeatureCache, cache_info, cache_root, clear_cache, entry_key


def test_root_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "c"))
    assert cache_root() == tmp_path / "c"


def test_key_depends_on_content_cfg_and_encoder(tmp_path):
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"one"), b.write_bytes(b"one")
    assert entry_key(a, {"sr": 16000}) == entry_key(b, {"sr": 16000}), "same content, same key"
    keys = {entry_key(a, {"sr": 16000}), entry_key(a, {"sr": 22050}), entry_key(a, {"sr": 16000}, "enc"),
            entry_key(a, {"sr": 16000}, "enc", "rev2")}
    assert len(keys) == 4
    before = entry_key(a, {"sr": 16000})
    a.write_bytes(b"two!")
    assert entry_key(a, {"sr": 16000}) != before, "changed content, new key"


def test_tensor_is_computed_once(tmp_path):
    cache = FeatureCache("mel", root=tmp_path)
    source = tmp_path / "x.wav"
    source.write_bytes(b"audio")
    calls = []

    def compute():
        calls.append(1)
        return torch.arange(6.0).reshape(2, 3)

    first = cache.tensor(source, {"n_mels": 3}, compute)
    second = cache.tensor(source, {"n_mels": 3}, compute)
    torch.testing.assert_close(first, second)
    assert len(calls) == 1
    cache.tensor(source, {"n_mels": 4}, compute)
    assert len(calls) == 2


def test_unreadable_entry_is_recomputed(tmp_path):
    cache = FeatureCache("emb", root=tmp_path)
    key = entry_key("item-1", {})
    cache.path(key).parent.mkdir(parents=True)
    cache.path(key).write_bytes(b"garbage")
    assert cache.tensor("item-1", {}, lambda: torch.ones(2)).tolist() == [1.0, 1.0]
    assert cache.load(key)["data"].tolist() == [1.0, 1.0]


def _worker(root: str, out: "mp.Queue") -> None:
    cache = FeatureCache("shared", root=root)
    values = [cache.tensor(f"item-{i}", {"k": 1}, lambda i=i: torch.full((256,), float(i))).sum().item()
              for i in range(40)]
    out.put(values)


def test_two_concurrent_workers_write_safely(tmp_path):
    ctx = mp.get_context("fork")  # like DataLoader workers on Linux
    queue = ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(str(tmp_path), queue)) for _ in range(2)]
    for w in workers:
        w.start()
    results = [queue.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    expected = [256.0 * i for i in range(40)]
    assert results == [expected, expected]
    assert cache_info(tmp_path)["shared"]["entries"] == 40, "no leftovers from racing writers"


def test_file_entries_info_and_clear(tmp_path):
    cache = FeatureCache("midi-render", root=tmp_path)
    path = cache.file("song", {"sr": 22050}, lambda tmp: tmp.write_bytes(b"RIFF...."), suffix=".wav")
    assert path.read_bytes() == b"RIFF...." and path.suffix == ".wav"
    assert cache.file("song", {"sr": 22050}, lambda tmp: 1 / 0, suffix=".wav") == path, "hit: not produced again"
    FeatureCache("mel", root=tmp_path).tensor("x", {}, lambda: torch.zeros(10))
    info = cache_info(tmp_path)
    assert info["midi-render"] == {"entries": 1, "bytes": 8} and info["mel"]["entries"] == 1
    assert clear_cache("midi-render", root=tmp_path) == 8
    assert set(cache_info(tmp_path)) == {"mel"}
    clear_cache(root=tmp_path)
    assert cache_info(tmp_path) == {}


def test_keep_in_memory_reads_each_entry_once_and_bad_sources_are_named(tmp_path, monkeypatch):
    import pytest
    import torch

    from affectzoo.data import cache as cache_module
    from affectzoo.errors import InputError

    source = tmp_path / "a.bin"
    source.write_bytes(b"content")
    memory = cache_module.FeatureCache("mem-test", root=tmp_path / "c", keep_in_memory=True)
    first = memory.tensor(source, {"k": 1}, lambda: torch.ones(3))
    reads = []
    monkeypatch.setattr(cache_module.FeatureCache, "load", lambda self, key: reads.append(key))
    assert memory.tensor(source, {"k": 1}, lambda: torch.zeros(3)) is first and reads == []
    plain = cache_module.FeatureCache("mem-test", root=tmp_path / "c")
    plain.tensor(source, {"k": 1}, lambda: torch.ones(3))
    assert len(reads) == 1
    with pytest.raises(InputError, match="missing.bin: file not found"):
        cache_module.file_sha256(tmp_path / "missing.bin")
    (tmp_path / "empty.bin").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        cache_module.file_sha256(tmp_path / "empty.bin")
