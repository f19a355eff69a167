"""Metrics against the ground-truth preference of the synthetic marketplace.

Logged clicks are biased by whatever system showed the items; the simulator
knows every user's true preference, so a ranking can be scored against it.
The caller reads the preferences from ``dataset.truth``: ``truth.score`` for
the ranked items and ``truth.top_k`` (with the same exclusions as the
ranking) for the best possible list.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from longtail.metrics._inputs import EMPTY, as_ranked, per_user_mean
from longtail.metrics.ranking import discounts

#: relative slack before a DCG above the ideal counts as a mismatch rather than rounding
_RTOL = 1e-9


def _matrix(values: ArrayLike, name: str, top: np.ndarray) -> np.ndarray:
    """A finite (n_users, >= k) float matrix with one row per row of ``top``."""
    arr = np.asarray(values, dtype=np.float64)
    n_users, k = top.shape
    if arr.ndim != 2 or arr.shape[0] != n_users or arr.shape[1] < k:
        raise ValueError(f"{name}: need shape ({n_users}, >= {k}) to match ranked, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or infinite values")
    return arr


def _aligned(values: ArrayLike, name: str, top: np.ndarray) -> np.ndarray:
    """The value of each of the top-k slots, 0 at empty slots."""
    return np.where(top == EMPTY, 0.0, _matrix(values, name, top)[:, : top.shape[1]])


def true_ndcg_at_k(ranked: ArrayLike, true_gains: ArrayLike, ideal_gains: ArrayLike, *, k: int) -> float:
    """NDCG@K against the true preference: ``DCG(true_gains) / DCG(ideal_gains)``, mean over users.

    ``true_gains`` (n_users, >= k) is the true preference of each ranked item
    (``truth.score``); ``ideal_gains`` (n_users, >= k) that of the user's best
    possible items (``truth.top_k``), sorted here so its order does not
    matter. Gains must be >= 0 (linear gain, discount ``1 / log2(rank + 1)``).
    Users whose ideal DCG is 0 are left out. A ranking that beats its ideal
    means the two were built with different exclusions, and raises.
    """
    top = as_ranked(ranked, k)
    gains = _aligned(true_gains, "true_gains", top)
    ideal_arr = _matrix(ideal_gains, "ideal_gains", top)
    for name, arr in (("true_gains", gains), ("ideal_gains", ideal_arr)):
        if np.any(arr < 0):
            raise ValueError(f"{name}: gains must be >= 0 (map preferences to a non-negative scale first)")
    ideal_top = -np.sort(-ideal_arr, axis=1)[:, : top.shape[1]]
    disc = discounts(top.shape[1])
    dcg = gains @ disc
    ideal = ideal_top @ disc
    above = dcg > ideal * (1 + _RTOL) + _RTOL
    if above.any():
        raise ValueError(
            f"ideal_gains: {int(above.sum())} users' ranked items beat their ideal list; "
            "compute ideal_gains with the same excluded items as the ranking"
        )
    counted = ideal > 0
    return per_user_mean(np.minimum(dcg[counted] / ideal[counted], 1.0))


def true_precision_at_k(ranked: ArrayLike, true_scores: ArrayLike, *, k: int) -> float:
    """Mean over users of the mean true preference of their top-K items (empty slots left out)."""
    top = as_ranked(ranked, k)
    scores = _aligned(true_scores, "true_scores", top)
    n = (top != EMPTY).sum(axis=1)
    counted = n > 0
    return per_user_mean(scores.sum(axis=1)[counted] / n[counted])
