"""On-disk embedding cache: round trip, isolation by key, concurrent shards, damage reported."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from longtail.encoders.cache import EmbeddingCache, text_digests
from longtail.errors import LongtailError


def _vectors(n, dim=4, seed=0):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def test_digests_are_sha1_of_utf8():
    digests = text_digests(["héllo", ""])
    assert digests.dtype == np.dtype("S20")
    assert digests[0] == hashlib.sha1("héllo".encode()).digest()
    assert text_digests([]).shape == (0,)


def test_store_then_lookup_returns_the_same_rows(tmp_path):
    cache = EmbeddingCache(tmp_path, "k", dim=4)
    texts = ["a", "b", "c"]
    vectors = _vectors(3)
    cache.store(text_digests(texts), vectors)
    found, got = EmbeddingCache(tmp_path, "k", dim=4).lookup(text_digests(["c", "zzz", "a"]))
    assert found.tolist() == [True, False, True]
    np.testing.assert_array_equal(got[[0, 2]], vectors[[2, 0]])
    assert (got[1] == 0).all()


def test_keys_are_isolated(tmp_path):
    EmbeddingCache(tmp_path, "model-a", dim=4).store(text_digests(["a"]), _vectors(1))
    found, _ = EmbeddingCache(tmp_path, "model-b", dim=4).lookup(text_digests(["a"]))
    assert not found.any()


def test_concurrent_writers_each_add_a_complete_shard(tmp_path):
    def write(worker):
        texts = [f"{worker}-{i}" for i in range(50)]
        EmbeddingCache(tmp_path, "k", dim=4).store(text_digests(texts), _vectors(50, seed=worker))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(8)))
    cache = EmbeddingCache(tmp_path, "k", dim=4)
    assert len(cache) == 400
    found, got = cache.lookup(text_digests([f"5-{i}" for i in range(50)]))
    assert found.all()
    np.testing.assert_array_equal(got, _vectors(50, seed=5))
    assert not list((tmp_path / "k").glob(".tmp-*"))


def test_compact_merges_shards_and_keeps_content(tmp_path):
    cache = EmbeddingCache(tmp_path, "k", dim=4)
    cache.store(text_digests(["a", "b"]), _vectors(2, seed=1))
    cache.store(text_digests(["c"]), _vectors(1, seed=2))
    cache.compact()
    assert len(list((tmp_path / "k").glob("*.keys.npy"))) == 1
    found, got = EmbeddingCache(tmp_path, "k", dim=4).lookup(text_digests(["c", "a", "b"]))
    assert found.all()
    np.testing.assert_array_equal(got[0], _vectors(1, seed=2)[0])
    np.testing.assert_array_equal(got[1:], _vectors(2, seed=1))


def test_damaged_or_mismatched_files_are_reported(tmp_path):
    cache = EmbeddingCache(tmp_path, "k", dim=4)
    cache.store(text_digests(["a"]), _vectors(1))
    with pytest.raises(LongtailError, match="expected width 8"):
        EmbeddingCache(tmp_path, "k", dim=8).lookup(text_digests(["a"]))
    next((tmp_path / "k").glob("*.keys.npy")).write_bytes(b"garbage")
    with pytest.raises(LongtailError, match="unreadable.*delete"):
        EmbeddingCache(tmp_path, "k", dim=4).lookup(text_digests(["a"]))


def test_store_checks_shapes(tmp_path):
    with pytest.raises(ValueError, match="digests"):
        EmbeddingCache(tmp_path, "k", dim=4).store(text_digests(["a", "b"]), _vectors(1))
