"""Streaming estimate of how often each item appears in training batches (Yi et al. 2019)."""

from __future__ import annotations

import numpy as np

_GOLDEN = 0x9E3779B97F4A7C15
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _hash(ids: np.ndarray, seed: int, num_buckets: int) -> np.ndarray:
    """splitmix64 finaliser: spreads consecutive ids evenly over the buckets."""
    offset = np.uint64((seed + 1) * _GOLDEN % 2**64)
    z = ids.astype(np.int64).view(np.uint64) + offset  # uint64 arithmetic wraps, as the hash intends
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    z = z ^ (z >> np.uint64(31))
    return (z % np.uint64(num_buckets)).astype(np.int64)


def _as_ids(item_ids) -> np.ndarray:
    if hasattr(item_ids, "detach"):
        item_ids = item_ids.detach().cpu().numpy()
    ids = np.asarray(item_ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"item_ids must be a 1-D array of integer ids, got shape {ids.shape} and dtype {ids.dtype}")
    return ids


class StreamingFrequencyEstimator:
    """Hash-array estimate of each item's sampling probability per training step.

    Yi et al. (2019, Algorithm 2): array ``A`` holds the step at which a hash
    bucket was last seen and ``B`` an exponential moving average (rate
    ``alpha``) of the gap between sightings; the probability is ``1 / B``.
    With ``num_hashes > 1`` each item is hashed into several arrays and the
    largest gap is used, since collisions only make gaps look shorter.

    The first sighting of a bucket sets its gap to the steps since the first
    update (a zero start would overstate early probabilities); an item never
    seen gets the smallest probability the history allows, ``1 / steps``.
    Probabilities are expected occurrences per step, so only their ratios matter.
    """

    def __init__(self, num_buckets: int = 2**20, alpha: float = 0.01, num_hashes: int = 1, seed: int = 0) -> None:
        if int(num_buckets) != num_buckets or num_buckets < 1:
            raise ValueError(f"num_buckets must be a positive integer, got {num_buckets}; e.g. 2**20")
        if not 0.0 < float(alpha) <= 1.0:
            raise ValueError(f"alpha must be in (0, 1], got {alpha}; it is the moving-average rate, e.g. 0.01")
        if int(num_hashes) != num_hashes or num_hashes < 1:
            raise ValueError(f"num_hashes must be a positive integer, got {num_hashes}")
        self.num_buckets = int(num_buckets)
        self.alpha = float(alpha)
        self.num_hashes = int(num_hashes)
        self.seed = int(seed)
        self.last_seen = np.full((self.num_hashes, self.num_buckets), -1, dtype=np.int64)
        self.gap = np.zeros((self.num_hashes, self.num_buckets), dtype=np.float64)
        self.first_step: int | None = None
        self.last_step: int | None = None

    def _buckets(self, ids: np.ndarray) -> np.ndarray:
        return np.stack([_hash(ids, self.seed * self.num_hashes + j, self.num_buckets) for j in range(self.num_hashes)])

    def update(self, item_ids, step: int) -> None:
        """Record the items of the batch at training ``step`` (steps must not decrease)."""
        ids = _as_ids(item_ids)
        if int(step) != step or step < 0:
            raise ValueError(f"step must be an integer >= 0, got {step}")
        step = int(step)
        if self.last_step is not None and step < self.last_step:
            raise ValueError(f"step {step} is before the last update's step {self.last_step}; pass increasing steps")
        if self.first_step is None:
            self.first_step = step
        self.last_step = step
        for row, buckets in enumerate(self._buckets(ids)):
            unique, repeats = np.unique(buckets, return_counts=True)
            last = self.last_seen[row, unique]
            seen = last >= 0
            gap = np.where(
                seen,
                (1 - self.alpha) * self.gap[row, unique] + self.alpha * (step - last),
                float(step - self.first_step + 1),
            )
            # Each further sighting in the same step is a gap of 0: the moving average shrinks by (1 - alpha).
            self.gap[row, unique] = gap * (1 - self.alpha) ** (repeats - 1)
            self.last_seen[row, unique] = step

    def probability(self, item_ids) -> np.ndarray:
        """Estimated occurrences per step of each item (1 for all before the first update)."""
        ids = _as_ids(item_ids)
        if self.first_step is None:
            return np.ones(ids.shape, dtype=np.float64)
        rows = np.arange(self.num_hashes)[:, None]
        buckets = self._buckets(ids)
        seen = (self.last_seen[rows, buckets] >= 0).all(axis=0)
        gap = self.gap[rows, buckets].max(axis=0)
        floor = float(self.last_step - self.first_step + 1)
        # A gap of 0 (many sightings within one step only) is floored to keep the probability finite.
        return np.where(seen, 1.0 / np.maximum(gap, np.finfo(np.float64).tiny), 1.0 / floor)
