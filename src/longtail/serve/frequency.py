"""Item sampling frequencies from the live event stream, for the logQ correction of incremental training.

The estimator of Yi et al. (2019, Algorithm 2) as
:class:`longtail.losses.StreamingFrequencyEstimator` runs it, but over a
catalogue the service already indexes: one slot per item, so no hashing and
no collisions, and no torch import at start-up (``longtail.losses`` imports
torch). On ids that do not collide in the hashed version both give the same
numbers (tests/serve/test_serve_frequency.py checks it).
"""

from __future__ import annotations

import numpy as np


class ItemFrequencyEstimator:
    """Per-item moving average of the steps between sightings; the frequency is its inverse.

    A step is one batch of events (one POST /events). The first sighting of
    an item sets its gap to the steps since the first update; an item never
    seen gets ``1 / steps so far``, the least the history allows.
    """

    def __init__(self, n_items: int, alpha: float = 0.01) -> None:
        if n_items < 1:
            raise ValueError(f"n_items must be >= 1, got {n_items}")
        if not 0.0 < alpha <= 1.0:
            raise ValueError(f"alpha must be in (0, 1], got {alpha}; it is the moving-average rate, e.g. 0.01")
        self.alpha = float(alpha)
        self.previous = np.full(n_items, -1, dtype=np.int64)  # step of each item's last sighting
        self.mean_gap = np.zeros(n_items, dtype=np.float64)
        self.first_step: int | None = None
        self.last_step: int | None = None

    def update(self, items: np.ndarray, step: int) -> None:
        """Record the item indices seen in the batch at ``step`` (steps never decrease)."""
        if self.last_step is not None and step < self.last_step:
            raise ValueError(f"step {step} is before the last step {self.last_step}; pass increasing steps")
        if self.first_step is None:
            self.first_step = step
        self.last_step = step
        seen, times = np.unique(np.asarray(items, dtype=np.int64), return_counts=True)
        if seen.size == 0:
            return
        before = self.previous[seen]
        fresh = before < 0
        moved = (1 - self.alpha) * self.mean_gap[seen] + self.alpha * (step - before)
        moved[fresh] = step - self.first_step + 1
        # k sightings in one step: after the first, k - 1 gaps of zero shrink the average by (1 - alpha) each.
        self.mean_gap[seen] = moved * np.power(1 - self.alpha, times - 1)
        self.previous[seen] = step

    def probability(self) -> np.ndarray:
        """Expected sightings per step of every item (all 1 before any update)."""
        if self.first_step is None:
            return np.ones(self.previous.size)
        floor = 1.0 / (self.last_step - self.first_step + 1)
        gap = np.maximum(self.mean_gap, np.finfo(np.float64).tiny)
        return np.where(self.previous >= 0, 1.0 / gap, floor)

    def log_q(self) -> np.ndarray:
        """``log q(item)``: the log of each item's share of all sightings, the term logQ correction subtracts."""
        p = self.probability()
        return np.log(p) - np.log(p.sum())
