"""SlidingCounts against a brute-force count over the hits inside the window."""

from __future__ import annotations

import math

import numpy as np
import pytest

from longtail.serve.window import SlidingCounts


def brute_force(hits, n_slots, now, window, n_slices):
    """Count the hits whose slice is among the last n_slices slices ending at now's slice."""
    width = window / n_slices
    oldest = math.floor(now / width) - n_slices + 1
    counts = np.zeros(n_slots, dtype=np.int64)
    for when, slots in hits:
        if math.floor(when / width) >= oldest:
            np.add.at(counts, slots, 1)
    return counts


@pytest.mark.parametrize("seed", range(5))
def test_counts_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    n_slots, window, n_slices = 7, 10.0, int(rng.integers(1, 6))
    counts = SlidingCounts(n_slots, window, n_slices)
    hits, now = [], 1000.0
    for _ in range(200):
        now += float(rng.exponential(0.7))
        slots = rng.integers(0, n_slots, size=int(rng.integers(0, 4)))
        counts.add(slots, now)
        hits.append((now, slots))
        if rng.random() < 0.3:
            probe = now + float(rng.uniform(0, 3))
            np.testing.assert_array_equal(counts.counts(probe), brute_force(hits, n_slots, probe, window, n_slices))
            now = probe


def test_everything_expires_and_totals_return_to_zero():
    counts = SlidingCounts(3, 5.0, 5)
    counts.add(np.asarray([0, 0, 2]), 100.0)
    assert counts.counts(100.5).tolist() == [2, 0, 1]
    assert counts.counts(104.9).tolist() == [2, 0, 1]
    assert counts.counts(105.0).tolist() == [0, 0, 0]
    assert counts.totals.min() == 0


def test_late_hit_joins_newest_slice():
    counts = SlidingCounts(2, 4.0, 4)
    counts.add(np.asarray([0]), 10.0)
    counts.add(np.asarray([1]), 5.0)  # stamped in the past: counted now, not lost
    assert counts.counts(10.0).tolist() == [1, 1]
    assert counts.counts(14.0).tolist() == [0, 0]


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_slots"):
        SlidingCounts(0, 1.0, 1)
