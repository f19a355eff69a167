"""Imbalance statistics: hand-worked values, brute-force references, scipy, and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon

from longtail.profile import stats

# ------------------------------------------------------------------ by hand


def test_hand_worked_one_to_four():
    x = [1, 2, 3, 4]
    # Unordered pair differences 1+2+3+1+2+1 = 10, ordered 20; 2 n^2 mean = 2 * 16 * 2.5 = 80.
    assert stats.gini(x) == pytest.approx(20 / 80)
    assert stats.imbalance_ratio(x) == pytest.approx(4.0)
    h = -(0.1 * math.log(0.1) + 0.2 * math.log(0.2) + 0.3 * math.log(0.3) + 0.4 * math.log(0.4))
    assert h == pytest.approx(1.279854, abs=1e-6)
    assert stats.shannon_entropy(x) == pytest.approx(h)
    assert stats.normalized_entropy(x) == pytest.approx(h / math.log(4))
    assert stats.effective_classes(x) == pytest.approx(math.exp(h))
    # ceil(0.2 * 4) = 1 largest group: 4 of 10.
    assert stats.top20_share(x) == pytest.approx(0.4)


def test_hand_worked_with_unobserved_groups():
    x = [0, 0, 5, 5]
    # Four (0, 5) pairs of difference 5, ordered: 40; 2 * 16 * 2.5 = 80.
    assert stats.gini(x) == pytest.approx(0.5)
    assert stats.imbalance_ratio(x) == pytest.approx(1.0)  # zeros are ignored
    assert stats.normalized_entropy(x) == pytest.approx(math.log(2) / math.log(4))  # = 0.5
    assert stats.effective_classes(x) == pytest.approx(2.0)
    assert stats.top20_share(x) == pytest.approx(0.5)


def test_hand_worked_one_heavy_group():
    x = [1, 1, 1, 1, 6]
    # Four (1, 6) pairs of difference 5, ordered: 40; 2 * 25 * 2 = 100.
    assert stats.gini(x) == pytest.approx(0.4)
    assert stats.imbalance_ratio(x) == pytest.approx(6.0)
    h = -(4 * 0.1 * math.log(0.1) + 0.6 * math.log(0.6))
    assert stats.normalized_entropy(x) == pytest.approx(h / math.log(5))
    assert stats.top20_share(x) == pytest.approx(0.6)


def test_single_group():
    assert stats.gini([7]) == 0.0
    assert stats.imbalance_ratio([7]) == 1.0
    assert stats.normalized_entropy([7]) == 0.0
    assert stats.effective_classes([7]) == 1.0
    assert stats.top20_share([7]) == 1.0


def test_top_share_counts_ceil_of_fifth_exactly():
    # 0.2 * 15 is 3.0000000000000004 in floating point; the top 3 (13 + 14 + 15) of 120 must be used.
    assert stats.top20_share(np.arange(1, 16)) == pytest.approx(42 / 120)
    # ceil(0.2 * 6) = 2: the two largest, 6 + 5 of 21.
    assert stats.top20_share([1, 2, 3, 4, 5, 6]) == pytest.approx(11 / 21)


def test_js_divergence_hand_worked():
    assert stats.js_divergence([1, 0], [0, 1]) == pytest.approx(math.log(2))
    # m = (0.75, 0.25): KL(p||m) = 0.5 ln(4/3), KL(q||m) = ln(4/3).
    assert stats.js_divergence([0.5, 0.5], [1, 0]) == pytest.approx(0.75 * math.log(4 / 3))
    assert stats.js_divergence([3, 1], [30, 10]) == pytest.approx(0.0)


def test_summarize_has_every_statistic():
    out = stats.summarize([1, 2, 3, 4])
    assert out == {
        "n_groups": 4,
        "gini": pytest.approx(0.25),
        "imbalance_ratio": pytest.approx(4.0),
        "normalized_entropy": pytest.approx(stats.normalized_entropy([1, 2, 3, 4])),
        "effective_classes": pytest.approx(stats.effective_classes([1, 2, 3, 4])),
        "top20_share": pytest.approx(0.4),
    }


@pytest.mark.parametrize("bad", [[], [0, 0], [1, -1], [1, float("nan")], [[1, 2]]])
def test_bad_counts_raise(bad):
    with pytest.raises(ValueError, match="counts"):
        stats.gini(bad)


def test_bad_fraction_and_mismatched_distributions_raise():
    with pytest.raises(ValueError, match="fraction"):
        stats.top_share([1, 2], fraction=0)
    with pytest.raises(ValueError, match="p, q"):
        stats.js_divergence([1, 2], [1, 2, 3])


# ------------------------------------------------------- brute-force references


def _gini_pairs(x: np.ndarray) -> float:
    x = x.astype(np.float64)
    return np.abs(x[:, None] - x[None, :]).sum() / (2 * x.size**2 * x.mean())


def test_gini_matches_quadratic_definition_on_random_vectors():
    rng = np.random.default_rng(7)
    for _ in range(50):
        x = rng.integers(0, 1000, size=rng.integers(1, 60))
        x[rng.integers(0, x.size)] += 1
        assert stats.gini(x) == pytest.approx(_gini_pairs(x), abs=1e-12)


def test_top_share_matches_sorting_on_random_vectors():
    rng = np.random.default_rng(8)
    for _ in range(50):
        x = rng.pareto(1.2, size=rng.integers(1, 80)) + 0.01
        k = math.ceil(round(0.2 * x.size, 9))
        assert stats.top20_share(x) == pytest.approx(np.sort(x)[::-1][:k].sum() / x.sum())


def test_js_divergence_matches_scipy_squared():
    rng = np.random.default_rng(9)
    for _ in range(50):
        n = rng.integers(2, 30)
        p, q = rng.random(n), rng.random(n)
        p[rng.random(n) < 0.2] = 0
        p[0] += 0.1
        assert stats.js_divergence(p, q) == pytest.approx(jensenshannon(p, q) ** 2, abs=1e-12)


# ---------------------------------------------------------------- properties

counts_vectors = st.lists(st.integers(0, 10**6), min_size=1, max_size=60).filter(lambda v: sum(v) > 0)


@settings(max_examples=200, deadline=None)
@given(counts_vectors)
def test_gini_is_between_zero_and_one(x):
    assert 0.0 <= stats.gini(x) <= 1.0


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 10**6), st.integers(1, 200))
def test_gini_is_zero_for_equal_counts(value, n):
    assert stats.gini([value] * n) == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(counts_vectors, st.randoms(use_true_random=False))
def test_statistics_do_not_depend_on_group_order(x, rnd):
    shuffled = list(x)
    rnd.shuffle(shuffled)
    assert stats.summarize(shuffled) == pytest.approx(stats.summarize(x), rel=1e-9, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(counts_vectors, st.floats(1e-3, 1e3))
def test_statistics_do_not_depend_on_scale(x, factor):
    scaled = np.asarray(x, dtype=np.float64) * factor
    assert stats.summarize(scaled) == pytest.approx(stats.summarize(x), rel=1e-9, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(counts_vectors)
def test_entropy_statistics_stay_in_range(x):
    assert 0.0 <= stats.normalized_entropy(x) <= 1.0
    assert 1.0 <= stats.effective_classes(x) <= len(x) + 1e-9
    assert 0.0 < stats.top20_share(x) <= 1.0
    assert stats.imbalance_ratio(x) >= 1.0


@settings(max_examples=100, deadline=None)
@given(counts_vectors, counts_vectors)
def test_js_divergence_is_symmetric_and_bounded(a, b):
    n = min(len(a), len(b))
    p, q = a[:n], b[:n]
    if sum(p) == 0 or sum(q) == 0:
        return
    value = stats.js_divergence(p, q)
    assert 0.0 <= value <= math.log(2)
    assert value == pytest.approx(stats.js_divergence(q, p), abs=1e-12)
