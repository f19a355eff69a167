"""Confidence intervals, paired tests, Holm and Pareto fronts against scipy and hand-worked answers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats as sps

from longtail.bench.stats import holm, paired_tests, pareto_front, t_bounds, t_interval


# --------------------------------------------------------------------------- t interval
@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
@pytest.mark.parametrize("n", [2, 3, 5, 10])
def test_t_interval_matches_scipy(n, confidence):
    values = np.random.default_rng(n).normal(3.0, 2.0, size=n)
    got = t_interval(values, confidence)
    low, high = sps.t.interval(confidence, n - 1, loc=values.mean(), scale=sps.sem(values))
    assert got.n == n
    assert got.mean == pytest.approx(values.mean(), rel=1e-12)
    assert got.std == pytest.approx(values.std(ddof=1), rel=1e-12)
    assert (got.low, got.high) == pytest.approx((low, high), rel=1e-10)


def test_t_bounds_vectorised_equals_one_by_one():
    rng = np.random.default_rng(1)
    samples = [rng.normal(size=n) for n in (1, 2, 3, 4, 7)]
    means = np.array([s.mean() for s in samples])
    stds = np.array([s.std(ddof=1) if s.size > 1 else np.nan for s in samples])
    low, high = t_bounds(means, stds, np.array([s.size for s in samples]))
    for index, sample in enumerate(samples):
        single = t_interval(sample)
        assert (low[index], high[index]) == pytest.approx((single.low, single.high), rel=1e-12)


def test_one_value_gives_the_mean_as_interval_and_no_std():
    got = t_interval(np.array([0.42]))
    assert (got.mean, got.low, got.high, got.n) == (0.42, 0.42, 0.42, 1)
    assert np.isnan(got.std)


def test_no_value_gives_nan():
    got = t_interval(np.array([]))
    assert got.n == 0 and np.isnan(got.mean) and np.isnan(got.low) and np.isnan(got.high)


def test_equal_values_give_a_zero_width_interval():
    got = t_interval(np.full(4, 0.25))
    assert (got.low, got.high, got.std) == (0.25, 0.25, 0.0)


@pytest.mark.parametrize("confidence", [0.0, 1.0, 95])
def test_confidence_outside_zero_one_is_refused(confidence):
    with pytest.raises(ValueError, match="confidence"):
        t_interval(np.array([1.0, 2.0]), confidence)


# --------------------------------------------------------------------------- paired tests
def _reference(baseline, candidate):
    differences = candidate - baseline
    return sps.ttest_rel(candidate, baseline).pvalue, sps.wilcoxon(differences).pvalue


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # scipy's own warning on the constant-shift row
def test_paired_tests_match_scipy_row_by_row():
    rng = np.random.default_rng(7)
    baseline = rng.normal(size=(40, 5))
    candidate = baseline + rng.normal(0.2, 0.3, size=(40, 5))
    candidate[3, 1] = baseline[3, 1]  # a zero difference: scipy's permutation path
    candidate[4] = baseline[4] + np.array([0.5, -0.5, 0.5, 0.25, 0.1])  # tied magnitudes
    candidate[5] = baseline[5] + np.array([0.3, 0.3, 0.3, 0.3, 0.3])  # constant shift
    p_t, p_w = paired_tests(baseline, candidate)
    for row in range(baseline.shape[0]):
        ref_t, ref_w = _reference(baseline[row], candidate[row])
        assert p_t[row] == pytest.approx(ref_t, rel=1e-9, abs=1e-300), row
        assert p_w[row] == pytest.approx(ref_w, rel=1e-9), row


@pytest.mark.parametrize("n, rows", [(3, 120), (5, 30)])
def test_wilcoxon_on_discrete_metrics_with_many_ties_and_zeros_matches_scipy(n, rows):
    # per-group recall of small groups takes few values: zeros and ties everywhere
    rng = np.random.default_rng(n)
    baseline = rng.integers(0, 5, size=(rows, n)) / 4
    candidate = rng.integers(0, 5, size=(rows, n)) / 4
    _, p_w = paired_tests(baseline, candidate)
    for row in range(baseline.shape[0]):
        differences = candidate[row] - baseline[row]
        expected = sps.wilcoxon(differences).pvalue if np.any(differences) else 1.0
        assert p_w[row] == pytest.approx(expected, rel=1e-12), (row, differences)


def test_paired_tests_on_one_comparison_give_scalars():
    baseline = np.array([0.30, 0.32, 0.29, 0.31])
    candidate = np.array([0.35, 0.36, 0.30, 0.37])
    p_t, p_w = paired_tests(baseline, candidate)
    ref_t, ref_w = _reference(baseline, candidate)
    assert float(p_t) == pytest.approx(ref_t) and float(p_w) == pytest.approx(ref_w)


def test_identical_results_are_not_different():
    same = np.array([[0.1, 0.2, 0.3], [0.5, 0.5, 0.5]])
    p_t, p_w = paired_tests(same, same.copy())
    assert np.all(p_t == 1.0) and np.all(p_w == 1.0)


def test_fewer_than_two_pairs_cannot_be_tested():
    p_t, p_w = paired_tests(np.array([[0.1], [0.2]]), np.array([[0.3], [0.4]]))
    assert np.all(np.isnan(p_t)) and np.all(np.isnan(p_w))


def test_paired_tests_need_the_same_shape():
    with pytest.raises(ValueError, match="same shape"):
        paired_tests(np.zeros(3), np.zeros(4))


# --------------------------------------------------------------------------- Holm
def test_holm_by_hand():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> raised to 0.06 (monotone)
    adjusted = holm(np.array([0.01, 0.04, 0.03, 0.005]))
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])


def test_holm_ignores_untested_entries_and_caps_at_one():
    np.testing.assert_allclose(holm(np.array([np.nan, 0.01, 0.04])), [np.nan, 0.02, 0.04])
    np.testing.assert_allclose(holm(np.array([0.5, 0.6])), [1.0, 1.0])
    assert np.isnan(holm(np.array([np.nan, np.nan]))).all()


def _step_down_rejections(p: np.ndarray, alpha: float) -> set[int]:
    """Holm's procedure as written in textbooks: reject while p_(i) <= alpha / (m - i)."""
    rejected = set()
    for rank, index in enumerate(np.argsort(p, kind="stable")):
        if p[index] > alpha / (p.size - rank):
            break
        rejected.add(int(index))
    return rejected


@pytest.mark.parametrize("seed", range(5))
def test_holm_rejects_what_the_step_down_procedure_rejects(seed):
    p = np.random.default_rng(seed).uniform(0, 0.1, size=8) ** 2
    adjusted = holm(p)
    assert np.all(adjusted >= p)
    for alpha in (0.001, 0.01, 0.05):
        assert set(np.flatnonzero(adjusted <= alpha)) == _step_down_rejections(p, alpha)


def test_holm_refuses_impossible_p_values():
    with pytest.raises(ValueError, match="p_values"):
        holm(np.array([0.2, 1.5]))


# --------------------------------------------------------------------------- Pareto
def test_pareto_front_by_hand():
    #            a      b      c      d      e      f (= c)
    x = np.array([1.0, 2.0, 3.0, 2.0, 1.0, 3.0])
    y = np.array([5.0, 4.0, 3.0, 2.0, 1.0, 3.0])
    np.testing.assert_array_equal(pareto_front(x, y), [True, True, True, False, False, True])
    # lower is better on y: e has the lowest y at the lowest x... but c/f have a higher x at y 3
    np.testing.assert_array_equal(
        pareto_front(x, y, y_higher=False), [False, False, True, True, True, True]
    )
    np.testing.assert_array_equal(
        pareto_front(x, y, x_higher=False, y_higher=False), [False, False, False, False, True, False]
    )


def test_pareto_front_skips_nan_points():
    x = np.array([1.0, np.nan, 0.5])
    y = np.array([1.0, 9.0, 2.0])
    np.testing.assert_array_equal(pareto_front(x, y), [True, False, True])


@pytest.mark.parametrize("x_higher, y_higher", list(itertools.product([True, False], repeat=2)))
def test_pareto_front_matches_brute_force(x_higher, y_higher):
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 6, size=30).astype(float), rng.integers(0, 6, size=30).astype(float)
    gx, gy = (x if x_higher else -x), (y if y_higher else -y)
    expected = [
        not any(gx[j] >= gx[i] and gy[j] >= gy[i] and (gx[j] > gx[i] or gy[j] > gy[i]) for j in range(30))
        for i in range(30)
    ]
    np.testing.assert_array_equal(pareto_front(x, y, x_higher=x_higher, y_higher=y_higher), expected)
