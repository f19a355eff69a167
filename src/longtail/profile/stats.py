"""Imbalance statistics of a vector of group counts.

Every function takes counts ``x_1..x_n`` (one per group, zeros allowed: a
group that exists but was never observed still counts towards ``n``) and
returns a float. Natural logarithms throughout.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

TOP_FRACTION = 0.2


def as_counts(counts: ArrayLike) -> np.ndarray:
    """Validate group counts: a non-empty 1-D vector of finite, non-negative numbers with a positive sum."""
    x = np.asarray(counts, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"counts: need a non-empty 1-D vector, got shape {x.shape}")
    if not np.all(np.isfinite(x)) or np.any(x < 0):
        raise ValueError("counts: every count must be finite and >= 0")
    if x.sum() <= 0:
        raise ValueError("counts: need at least one positive count")
    return x


def gini(counts: ArrayLike) -> float:
    """Gini coefficient ``sum_i sum_j |x_i - x_j| / (2 n^2 mean(x))``, 0 = even, towards 1 = concentrated.

    Computed in O(n log n): with ``x`` sorted ascending and ranks ``i = 1..n``,
    the double sum equals ``2 sum_i (2i - n - 1) x_(i)``.
    """
    x = np.sort(as_counts(counts))
    n = x.size
    weights = 2.0 * np.arange(1, n + 1, dtype=np.float64) - n - 1.0
    value = float(weights @ x) / (n * float(x.sum()))
    # Rounding can push an exactly even vector a hair below zero.
    return min(max(value, 0.0), 1.0)


def imbalance_ratio(counts: ArrayLike) -> float:
    """Largest count divided by the smallest positive count (groups with zero are ignored)."""
    x = as_counts(counts)
    return float(x.max() / x[x > 0].min())


def shannon_entropy(counts: ArrayLike) -> float:
    """Entropy ``H(p)`` in nats of ``p = x / sum(x)``, with ``0 ln 0 = 0``."""
    x = as_counts(counts)
    p = x[x > 0] / x.sum()
    return float(max(-(p * np.log(p)).sum(), 0.0))


def normalized_entropy(counts: ArrayLike) -> float:
    """``H(p) / ln(n)`` in [0, 1]: 1 = all groups equally common; 0 when ``n = 1``."""
    x = as_counts(counts)
    if x.size == 1:
        return 0.0
    return min(shannon_entropy(x) / math.log(x.size), 1.0)


def effective_classes(counts: ArrayLike) -> float:
    """``exp(H(p))``: how many equally common groups would give the same entropy (1..n)."""
    x = as_counts(counts)
    return min(math.exp(shannon_entropy(x)), float(x.size))


def top_share(counts: ArrayLike, fraction: float = TOP_FRACTION) -> float:
    """Share of the total held by the ``ceil(fraction * n)`` largest groups."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction: must be in (0, 1], got {fraction}")
    x = as_counts(counts)
    # The small tolerance keeps e.g. 0.2 * 15 = 3.0000000000000004 from rounding up to 4.
    k = max(1, math.ceil(fraction * x.size - 1e-9))
    largest = np.partition(x, x.size - k)[x.size - k :]
    return float(largest.sum() / x.sum())


def top20_share(counts: ArrayLike) -> float:
    """Share of the total held by the largest 20 % of groups (``ceil(0.2 n)`` of them)."""
    return top_share(counts, TOP_FRACTION)


def js_divergence(p: ArrayLike, q: ArrayLike) -> float:
    """Jensen-Shannon divergence of two distributions (natural log, so in [0, ln 2]).

    ``p`` and ``q`` are counts or probabilities over the same groups in the
    same order; each is normalised to sum to one. Equals the square of
    ``scipy.spatial.distance.jensenshannon(p, q)``.
    """
    a, b = as_counts(p), as_counts(q)
    if a.shape != b.shape:
        raise ValueError(f"p, q: need the same groups, got lengths {a.size} and {b.size}")
    a, b = a / a.sum(), b / b.sum()
    m = 0.5 * (a + b)
    return float(min(max(0.5 * _kl(a, m) + 0.5 * _kl(b, m), 0.0), math.log(2)))


def _kl(p: np.ndarray, m: np.ndarray) -> float:
    nz = p > 0
    return float((p[nz] * np.log(p[nz] / m[nz])).sum())


def summarize(counts: ArrayLike) -> dict[str, float | int]:
    """All statistics of one dimension: n_groups, gini, imbalance_ratio, normalized_entropy, effective_classes, top20_share."""
    x = as_counts(counts)
    return {
        "n_groups": int(x.size),
        "gini": gini(x),
        "imbalance_ratio": imbalance_ratio(x),
        "normalized_entropy": normalized_entropy(x),
        "effective_classes": effective_classes(x),
        "top20_share": top20_share(x),
    }
