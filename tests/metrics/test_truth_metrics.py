"""Metrics against the true preference, by hand and against a direct implementation."""

import math

import numpy as np
import pytest

from longtail import metrics as M


def test_true_ndcg_by_hand():
    ranked = np.array([[4, 7], [1, 2]])
    true_gains = np.array([[0.5, 1.0], [0.0, 0.0]])
    ideal_gains = np.array([[0.5, 1.0], [0.0, 0.0]])  # unsorted on purpose; user 1 has ideal DCG 0
    # User 0: DCG = 0.5 + 1/log2(3); ideal = 1 + 0.5/log2(3). User 1 is left out.
    expected = (0.5 + 1 / math.log2(3)) / (1 + 0.5 / math.log2(3))
    assert M.true_ndcg_at_k(ranked, true_gains, ideal_gains, k=2) == pytest.approx(expected)


def test_true_ndcg_is_one_for_the_ideal_list():
    rng = np.random.default_rng(0)
    preference = rng.random((20, 30))
    ideal = np.argsort(-preference, axis=1)[:, :5]
    gains = np.take_along_axis(preference, ideal, axis=1)
    assert M.true_ndcg_at_k(ideal, gains, gains, k=5) == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(3))
def test_true_ndcg_matches_direct_computation(seed):
    rng = np.random.default_rng(seed)
    preference = rng.random((15, 40))
    ranked = np.array([rng.permutation(40)[:8] for _ in range(15)])
    gains = np.take_along_axis(preference, ranked, axis=1)
    ideal = -np.sort(-preference, axis=1)[:, :8]
    disc = 1 / np.log2(np.arange(2, 10))
    expected = np.mean((gains @ disc) / (ideal @ disc))
    assert M.true_ndcg_at_k(ranked, gains, ideal, k=8) == pytest.approx(expected)
    assert M.true_precision_at_k(ranked, gains, k=8) == pytest.approx(gains.mean())


def test_true_precision_skips_empty_slots():
    ranked = np.array([[3, -1], [0, 1]])
    scores = np.array([[0.8, 0.0], [0.2, 0.4]])
    assert M.true_precision_at_k(ranked, scores, k=2) == pytest.approx((0.8 + 0.3) / 2)


@pytest.mark.parametrize(
    "call, param",
    [
        (lambda: M.true_ndcg_at_k([[0, 1]], [[0.5, 0.2]], [[0.1, 0.1]], k=2), "ideal_gains"),
        (lambda: M.true_ndcg_at_k([[0, 1]], [[-0.5, 0.2]], [[1.0, 1.0]], k=2), "true_gains"),
        (lambda: M.true_ndcg_at_k([[0, 1]], [[0.5]], [[1.0, 1.0]], k=2), "true_gains"),
        (lambda: M.true_ndcg_at_k([[0, 1]], [[0.5, 0.1]], [[1.0]], k=2), "ideal_gains"),
        (lambda: M.true_precision_at_k([[0, 1]], [[np.nan, 0.1]], k=2), "true_scores"),
        (lambda: M.true_precision_at_k([[0, 1]], [[0.5, 0.1]], k=3), "ranked"),
    ],
)
def test_bad_input_names_the_parameter(call, param):
    with pytest.raises(ValueError, match=param):
        call()
