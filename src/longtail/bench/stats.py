"""Statistics of benchmark results: confidence intervals over seeds, paired tests, Holm, Pareto fronts.

Plain functions over numpy arrays; the tests come from scipy.stats so the
numbers match what a reader would compute by hand.

* :func:`t_interval` -- mean and Student-t confidence interval of values over seeds.
  With one value there is no spread to estimate: the interval collapses to
  the mean and the standard deviation is NaN (undefined), never a made-up width.
* :func:`paired_tests` -- paired t-test and Wilcoxon signed-rank test of a
  strategy against the baseline on the same seeds (same splits).
* :func:`holm` -- Holm's step-down correction of a family of p-values.
* :func:`pareto_front` -- which points no other point beats on both axes.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """Mean, sample standard deviation, count and the confidence interval of some values."""

    mean: float
    std: float
    n: int
    low: float
    high: float


def t_interval(values: np.ndarray, confidence: float = CONFIDENCE) -> Interval:
    """Mean and two-sided Student-t ``confidence`` interval of ``values`` (NaNs must be removed first).

    ``n == 1``: the interval is ``[mean, mean]`` and ``std`` is NaN.
    ``n == 0``: every field is NaN and ``n`` is 0.
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    n = values.size
    mean = float(values.mean()) if n else float("nan")
    std = float(values.std(ddof=1)) if n > 1 else float("nan")
    low, high = t_bounds(np.array([mean]), np.array([std]), np.array([n]), confidence)
    return Interval(mean, std, n, float(low[0]), float(high[0]))


def t_bounds(
    means: np.ndarray, stds: np.ndarray, counts: np.ndarray, confidence: float = CONFIDENCE
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised Student-t interval ``(low, high)`` from per-cell means, sample stds and counts.

    Cells with one value get ``low == high == mean``; empty cells get NaN.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}; use e.g. 0.95")
    means = np.asarray(means, dtype=np.float64)
    n = np.asarray(counts, dtype=np.float64)
    quantile = sps.t.ppf(0.5 + confidence / 2.0, np.maximum(n - 1.0, 1.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        half = np.where(n > 1, quantile * np.asarray(stds, dtype=np.float64) / np.sqrt(n), 0.0)
    return means - half, means + half


def paired_tests(baseline: np.ndarray, candidate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided p-values ``(paired t-test, Wilcoxon signed-rank)`` of ``candidate`` against ``baseline``.

    Pairs run along the last axis (one value per seed, same seed order in
    both arrays); leading axes are independent comparisons, tested in one
    vectorised scipy call. Fewer than two pairs give NaN (nothing to test);
    identical results give 1.0 for both tests (no difference at all) where
    scipy itself would return NaN. 1-d inputs give 0-d arrays (use ``float``).
    """
    baseline = np.asarray(baseline, dtype=np.float64)
    candidate = np.asarray(candidate, dtype=np.float64)
    if baseline.shape != candidate.shape or baseline.ndim == 0:
        raise ValueError(
            f"baseline and candidate must be arrays of the same shape, got {baseline.shape} and {candidate.shape}"
        )
    differences = candidate - baseline
    shape = differences.shape[:-1]
    if differences.shape[-1] < 2:
        return np.full(shape, np.nan), np.full(shape, np.nan)
    with warnings.catch_warnings():
        # scipy warns on near-constant differences; the p-value it returns is still the right limit
        warnings.simplefilter("ignore", RuntimeWarning)
        p_t = np.asarray(sps.ttest_rel(candidate, baseline, axis=-1).pvalue, dtype=np.float64)
        p_w = _wilcoxon(differences.reshape(-1, differences.shape[-1])).reshape(shape)
    same = ~np.any(differences, axis=-1)
    return np.where(same, 1.0, p_t), np.where(same, 1.0, p_w)


def _wilcoxon(differences: np.ndarray) -> np.ndarray:
    """``scipy.stats.wilcoxon(row).pvalue`` for each row of a 2-d array, without one slow call per row.

    scipy picks its method once per call: any zero or tie anywhere sends the
    whole batch down a permutation test. So rows without zeros or ties go in
    one batched call, and each remaining row is answered by scipy once per
    distinct pattern of signed ranks (its p-value depends on nothing else);
    with a handful of seeds there are only a few such patterns.
    """
    p = np.full(differences.shape[0], np.nan)
    magnitudes = np.sort(np.abs(differences), axis=-1)
    plain = np.all(magnitudes > 0, axis=-1) & np.all(np.diff(magnitudes, axis=-1) > 0, axis=-1)
    if plain.any():
        p[plain] = sps.wilcoxon(differences[plain], axis=-1).pvalue
    rest = np.flatnonzero(~plain & np.any(differences, axis=-1))
    if rest.size:
        signed = _signed_ranks(differences[rest])
        patterns, first, inverse = np.unique(signed, axis=0, return_index=True, return_inverse=True)
        answers = np.array([sps.wilcoxon(differences[rest[index]]).pvalue for index in first])
        p[rest] = answers[inverse.ravel()]
    return p


def _signed_ranks(differences: np.ndarray) -> np.ndarray:
    """Each row's signed ranks of |d| (zeros left out and kept as 0, ties averaged), sorted."""
    magnitudes = np.where(differences == 0, np.nan, np.abs(differences))
    ranks = sps.rankdata(magnitudes, axis=-1, nan_policy="omit")
    return np.sort(np.nan_to_num(np.sign(differences) * ranks, nan=0.0), axis=-1)


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (same order as given; NaNs stay NaN and do not count in the family).

    The i-th smallest of m p-values is multiplied by ``m - i`` (i from 0),
    then made non-decreasing in that order and capped at 1.
    """
    p = np.asarray(p_values, dtype=np.float64)
    adjusted = np.full(p.shape, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    if tested.size == 0:
        return adjusted
    if np.any((p[tested] < 0.0) | (p[tested] > 1.0)):
        raise ValueError("p_values must lie in [0, 1] (or be NaN for untested entries)")
    order = tested[np.argsort(p[tested], kind="stable")]
    m = order.size
    scaled = p[order] * (m - np.arange(m))
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return adjusted


def pareto_front(x: np.ndarray, y: np.ndarray, *, x_higher: bool = True, y_higher: bool = True) -> np.ndarray:
    """Boolean mask of the points that no other point dominates.

    A point dominates another when it is at least as good on both axes and
    strictly better on one; "good" is higher or lower per axis. Points with a
    NaN coordinate are never on the front; equal points are both on it.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be 1-d arrays of the same length, got {x.shape} and {y.shape}")
    gx = x if x_higher else -x
    gy = y if y_higher else -y
    valid = ~(np.isnan(gx) | np.isnan(gy))
    at_least = (gx[:, None] >= gx[None, :]) & (gy[:, None] >= gy[None, :])
    strictly = (gx[:, None] > gx[None, :]) | (gy[:, None] > gy[None, :])
    dominates = at_least & strictly & valid[:, None] & valid[None, :]
    return valid & ~dominates.any(axis=0)
