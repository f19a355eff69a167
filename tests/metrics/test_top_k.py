"""top_k_excluding against a full sort of the catalogue."""

import numpy as np
import pytest
import scipy.sparse as sp

from longtail import metrics as M


def _full_sort_reference(scores, k, exclude):
    out = np.full((scores.shape[0], k), -1)
    for u, row in enumerate(scores):
        allowed = [i for i in np.argsort(-row, kind="stable") if i not in set(exclude[u]) and row[i] > -np.inf]
        out[u, : min(k, len(allowed))] = allowed[:k]
    return out


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("batch_size", [None, 1, 7])
@pytest.mark.parametrize("k", [1, 5, 30])
def test_matches_full_sort(seed, batch_size, k):
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=(23, 30)).astype(np.float32)
    exclude = [rng.choice(30, size=rng.integers(0, 8), replace=False) for _ in range(23)]
    got = M.top_k_excluding(scores, k, exclude, batch_size=batch_size)
    np.testing.assert_array_equal(got, _full_sort_reference(scores, k, exclude))


def test_sparse_exclusions_and_padding():
    scores = np.array([[0.1, 0.9, 0.5, 0.3], [0.4, 0.2, 0.8, 0.6]])
    train = sp.csr_matrix(np.array([[0, 1, 1, 0], [1, 1, 1, 0]]))
    # User 1 has only item 3 left: the other slots are empty (-1).
    np.testing.assert_array_equal(M.top_k_excluding(scores, 3, train), [[3, 0, -1], [3, -1, -1]])


def test_minus_infinity_scores_are_never_recommended():
    scores = np.array([[0.2, -np.inf, 0.7]])
    np.testing.assert_array_equal(M.top_k_excluding(scores, 3), [[2, 0, -1]])


def test_output_feeds_the_ranking_metrics():
    rng = np.random.default_rng(0)
    scores = rng.random((50, 40))
    train = [rng.choice(40, size=5, replace=False) for _ in range(50)]
    ranked = M.top_k_excluding(scores, 10, train)
    # A training item is never in the top k, so "relevant = training items" gives recall 0.
    assert M.recall_at_k(ranked, train, k=10) == 0.0


@pytest.mark.parametrize(
    "args, param",
    [
        ((np.zeros((2, 3)), 4), "k"),
        ((np.zeros((2, 3)), 0), "k"),
        ((np.zeros(3), 1), "scores"),
        ((np.array([[0.1, np.nan, 0.3]]), 1), "scores"),
        ((np.zeros((2, 3)), 1, [[0], [3]]), "exclude"),
        ((np.zeros((2, 3)), 1, [[0]]), "exclude"),
    ],
)
def test_bad_input_names_the_parameter(args, param):
    with pytest.raises(ValueError, match=param):
        M.top_k_excluding(*args)


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        M.top_k_excluding(np.zeros((2, 3)), 1, batch_size=0)
