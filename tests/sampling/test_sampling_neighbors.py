"""The exact neighbour search equals scikit-learn's brute force; approximate search recalls well."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from longtail.sampling import neighbor_space, neighbors
from longtail.sampling.approximate import ClusterSearch
from longtail.sampling.neighbors import kneighbors


def _sklearn(X, k, Y=None):
    """Reference: k nearest rows of Y (or of X, skipping each row itself)."""
    if Y is None:
        dist, idx = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)
        return dist[:, 1:], idx[:, 1:]
    return NearestNeighbors(n_neighbors=k).fit(Y).kneighbors(X)


CASES = [(300, 5, 5, np.float64), (700, 16, 7, np.float32), (1200, 40, 3, np.float32), (90, 2, 1, np.float64), (25, 3, 20, np.float32)]


@pytest.mark.parametrize("n, d, k, dtype", CASES)
def test_symmetric_search_equals_sklearn(n, d, k, dtype):
    rng = np.random.default_rng(n)
    X = (rng.standard_normal((n, d)) * rng.uniform(0.1, 10, size=d) + 100).astype(dtype)
    dist, idx = kneighbors(X, k, tile=128, return_distance=True)
    ref_dist, ref_idx = _sklearn(X, k)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("n, d, k, dtype", CASES[:3])
def test_queries_against_other_points_equal_sklearn(n, d, k, dtype):
    rng = np.random.default_rng(n + 1)
    Y = rng.standard_normal((2 * n + 7, d)).astype(dtype)
    X = rng.standard_normal((n, d)).astype(dtype)
    np.testing.assert_array_equal(kneighbors(X, k, Y=Y, tile=128), _sklearn(X, k, Y)[1])


def test_self_index_skips_each_query_in_the_references():
    rng = np.random.default_rng(3)
    Y = rng.standard_normal((900, 6))
    subset = np.sort(rng.choice(900, size=250, replace=False))
    ref = NearestNeighbors(n_neighbors=5).fit(Y).kneighbors(Y[subset], return_distance=False)[:, 1:]
    np.testing.assert_array_equal(kneighbors(Y[subset], 4, Y=Y, self_index=subset, tile=64), ref)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_threads_and_tile_sizes_do_not_change_the_result(n_jobs):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((500, 12)).astype(np.float32)
    expected = _sklearn(X, 6)[1]
    for tile in (32, 100, 1024):
        np.testing.assert_array_equal(kneighbors(X, 6, tile=tile, n_jobs=n_jobs), expected)


@pytest.mark.slow
def test_torch_path_equals_sklearn():
    pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    X = rng.standard_normal((800, 10)).astype(np.float32)
    np.testing.assert_array_equal(kneighbors(X, 5, device="cpu"), _sklearn(X, 5)[1])
    subset = np.arange(0, 800, 3)
    own = kneighbors(X[subset], 5, Y=X, self_index=subset, device="cpu")
    np.testing.assert_array_equal(own, NearestNeighbors(n_neighbors=6).fit(X).kneighbors(X[subset], return_distance=False)[:, 1:])


def _tied_points(seed, n, d, dtype):
    """Random points with exact duplicates and a far-away cluster, so ties and wide ranges both occur."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.1, 10, size=d)
    X[rng.choice(n, size=n // 10, replace=False)] = X[: n // 10]  # duplicates: ties at distance 0
    X[-20:] += 1e3
    return X.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_torch_path_gives_the_same_neighbours_and_distances_as_the_numpy_path(dtype):
    pytest.importorskip("torch")
    X = _tied_points(10, 600, 7, dtype)
    subset = np.arange(0, 600, 3)
    searches = [(X, {}), (X[1::2], {"Y": X[::2]}), (X[subset], {"Y": X, "self_index": subset})]
    for queries, kwargs in searches:
        dist_np, idx_np = kneighbors(queries, 6, return_distance=True, **kwargs)
        dist_t, idx_t = kneighbors(queries, 6, return_distance=True, device="cpu", **kwargs)
        np.testing.assert_array_equal(idx_t, idx_np)
        np.testing.assert_array_equal(dist_t, dist_np)


def _cuda_available():
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


@pytest.mark.skipif(not _cuda_available(), reason="needs a CUDA GPU")
def test_cuda_path_gives_the_same_neighbours_as_the_numpy_path():
    X = _tied_points(11, 5000, 32, np.float32)
    np.testing.assert_array_equal(kneighbors(X, 5, device="cuda"), kneighbors(X, 5))
    subset = np.arange(0, 5000, 7)
    np.testing.assert_array_equal(
        kneighbors(X[subset], 5, Y=X, self_index=subset, device="cuda"), kneighbors(X[subset], 5, Y=X, self_index=subset)
    )


def test_an_unusable_device_is_a_value_error_naming_the_fix():
    torch = pytest.importorskip("torch")
    X = np.random.default_rng(0).standard_normal((30, 4))
    with pytest.raises(ValueError, match="device='gpu' is not a torch device; use 'cuda', 'cuda:0', 'cpu' or None"):
        kneighbors(X, 3, device="gpu")
    missing = f"cuda:{torch.cuda.device_count()}"  # one past the last GPU, whatever the machine
    with pytest.raises(ValueError, match=f"device='{missing}' asks for a GPU but torch sees .*use device=None"):
        kneighbors(X, 3, device=missing)


def test_rows_the_proof_cannot_settle_are_searched_again_in_float64(monkeypatch):
    rng = np.random.default_rng(6)
    X = rng.standard_normal((400, 5))
    calls = []
    original = neighbors._exact_float64

    def spy(*args, **kwargs):
        calls.append(args[2].size)
        return original(*args, **kwargs)

    monkeypatch.setattr(neighbors, "_exact_float64", spy)
    monkeypatch.setattr(neighbor_space, "rounding_bound", lambda *a, **k: np.full(a[0].shape, 1e9))
    np.testing.assert_array_equal(kneighbors(X, 4), _sklearn(X, 4)[1])
    assert calls == [400]


def test_proof_holds_for_close_points_far_from_the_origin():
    rng = np.random.default_rng(7)
    X = 1e4 + rng.standard_normal((500, 3)) * 1e-3
    np.testing.assert_array_equal(kneighbors(X, 3), _sklearn(X, 3)[1])


def test_duplicates_are_neighbours_at_distance_zero_with_ties_by_index():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0], [0.0, 0.0], [5.0, 5.0]])
    dist, idx = kneighbors(X, 2, return_distance=True)
    np.testing.assert_array_equal(idx[0], [2, 3])
    np.testing.assert_array_equal(idx[2], [0, 3])
    np.testing.assert_array_equal(dist[:, 0][[0, 2, 3]], 0.0)


def test_full_probe_approximate_search_is_exact():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((600, 8))
    search = ClusterSearch(n_clusters=12, n_probe=12)
    np.testing.assert_array_equal(kneighbors(X, 5, search=search), _sklearn(X, 5)[1])


def test_approximate_search_recalls_most_neighbours_on_clustered_data():
    rng = np.random.default_rng(9)
    centres = rng.standard_normal((30, 16)) * 6
    X = (centres[rng.integers(0, 30, 4000)] + rng.standard_normal((4000, 16))).astype(np.float32)
    found = kneighbors(X, 5, search="approximate")
    truth = _sklearn(X, 5)[1]
    recall = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(found, truth)])
    assert recall > 0.95
    assert (found != np.arange(4000)[:, None]).all()


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(k=0), "positive int"),
        (dict(k=30), "lower k"),
        (dict(k=3, tile=4), "tile"),
        (dict(k=3, search="fast"), "search"),
        (dict(k=3, Y=np.zeros((40, 3))), "same width"),
        (dict(k=3, self_index=np.zeros(5)), "self_index"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, fragment):
    X = np.random.default_rng(0).standard_normal((30, 4))
    with pytest.raises(ValueError, match=fragment):
        kneighbors(X, **kwargs)
