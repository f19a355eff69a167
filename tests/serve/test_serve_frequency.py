"""The service's item-frequency estimator gives the same numbers as longtail.losses' hashed one."""

from __future__ import annotations

import numpy as np
import pytest

from longtail.serve.frequency import ItemFrequencyEstimator


def hashed_without_collisions(n_items, alpha):
    from longtail.losses import StreamingFrequencyEstimator
    from longtail.losses.frequency import _hash

    estimator = StreamingFrequencyEstimator(num_buckets=2**20, alpha=alpha, seed=0)
    buckets = _hash(np.arange(n_items), 0, estimator.num_buckets)
    assert np.unique(buckets).size == n_items  # no collision: both estimators must agree exactly
    return estimator


@pytest.mark.parametrize(("seed", "alpha"), [(0, 0.01), (1, 0.2), (2, 1.0)])
def test_matches_streaming_frequency_estimator(seed, alpha):
    rng = np.random.default_rng(seed)
    n_items = 50
    ours, reference = ItemFrequencyEstimator(n_items, alpha), hashed_without_collisions(n_items, alpha)
    popularity = 1.0 / np.arange(1, n_items + 1) ** 1.2
    step = 3
    for _ in range(60):
        batch = rng.choice(n_items, size=int(rng.integers(0, 12)), p=popularity / popularity.sum())
        ours.update(batch, step)
        reference.update(batch, step)
        np.testing.assert_allclose(ours.probability(), reference.probability(np.arange(n_items)), rtol=1e-12)
        step += int(rng.integers(1, 3))


def test_log_q_is_a_log_distribution_and_frequent_items_rank_first():
    estimator = ItemFrequencyEstimator(4, alpha=0.1)
    for step in range(30):
        estimator.update(np.asarray([0, 0, 1] if step % 3 else [0, 2]), step)
    log_q = estimator.log_q()
    assert np.exp(log_q).sum() == pytest.approx(1.0)
    assert log_q[0] > log_q[1] > log_q[3] and log_q[0] > log_q[2]


def test_before_any_update_all_equal_and_bad_input():
    assert ItemFrequencyEstimator(3).probability().tolist() == [1.0, 1.0, 1.0]
    estimator = ItemFrequencyEstimator(3)
    estimator.update(np.asarray([1]), 5)
    with pytest.raises(ValueError, match="before the last step"):
        estimator.update(np.asarray([1]), 4)
    with pytest.raises(ValueError, match="alpha"):
        ItemFrequencyEstimator(3, alpha=0)
