"""Negative samplers draw from their target distribution (chi-square) and never return positives."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.stats import chisquare

from longtail.sampling import InBatchNegatives, PopularityNegativeSampler, UniformNegativeSampler

N_ITEMS = 25


def _positives(seed: int, n_users: int = 40) -> dict[int, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {u: rng.choice(N_ITEMS, size=int(rng.integers(0, 6)), replace=False) for u in range(n_users)}


def _expected_counts(weights: np.ndarray, users: np.ndarray, positives: dict, n_neg: int) -> np.ndarray:
    """Pooled expected counts: per user, ``weights`` restricted to non-positives, times ``n_neg``."""
    total = np.zeros(weights.size)
    for u in users:
        w = weights.copy()
        w[positives.get(int(u), [])] = 0
        total += n_neg * w / w.sum()
    return total


def _p_value(drawn: np.ndarray, expected: np.ndarray) -> float:
    observed = np.bincount(drawn.ravel(), minlength=expected.size)
    keep = expected > 0
    assert observed[~keep].sum() == 0
    return float(chisquare(observed[keep], expected[keep] * observed.sum() / expected[keep].sum()).pvalue)


def _assert_no_positive(drawn, users, positives):
    for row, u in enumerate(users):
        assert not np.isin(drawn[row], positives.get(int(u), [])).any()


def test_uniform_sampler_follows_its_target_and_skips_positives():
    positives = {u: np.union1d(items, [0]) if u < 20 else items for u, items in _positives(0).items()}
    users = np.repeat(np.arange(40), 5)
    drawn = UniformNegativeSampler(N_ITEMS).sample(users, 40, seed=1, exclude=positives)
    assert drawn.shape == (200, 40)
    _assert_no_positive(drawn, users, positives)
    assert _p_value(drawn, _expected_counts(np.ones(N_ITEMS), users, positives, 40)) > 1e-3
    # the test has power: ignoring the exclusions is rejected
    assert _p_value(drawn, np.ones(N_ITEMS)) < 1e-6


def test_popularity_sampler_draws_counts_to_the_power_alpha():
    rng = np.random.default_rng(2)
    counts = rng.integers(0, 200, size=N_ITEMS)
    counts[[3, 7]] = 0
    positives = _positives(3)
    matrix = sp.csr_matrix(
        (np.ones(sum(map(len, positives.values()))), (np.repeat(list(positives), [len(v) for v in positives.values()]), np.concatenate(list(positives.values())))),
        shape=(40, N_ITEMS),
    )
    users = np.tile(np.arange(40), 8)
    sampler = PopularityNegativeSampler(counts, alpha=0.75)
    np.testing.assert_allclose(sampler.probabilities_, counts**0.75 / (counts**0.75).sum())
    drawn = sampler.sample(users, 50, seed=4, exclude=matrix)
    _assert_no_positive(drawn, users, positives)
    assert not np.isin(drawn, [3, 7]).any()
    assert _p_value(drawn, _expected_counts(counts**0.75, users, positives, 50)) > 1e-3
    assert _p_value(drawn, _expected_counts(counts.astype(float), users, positives, 50)) < 1e-6


def test_heavy_users_fall_back_to_the_restricted_distribution():
    positives = {0: np.arange(N_ITEMS - 2), 1: np.array([0])}
    users = np.array([0] * 50 + [1] * 50)
    drawn = UniformNegativeSampler(N_ITEMS).sample(users, 20, seed=5, exclude=positives)
    assert set(np.unique(drawn[:50])) == {N_ITEMS - 2, N_ITEMS - 1}
    assert _p_value(drawn[:50], np.r_[np.zeros(N_ITEMS - 2), 1.0, 1.0]) > 1e-3
    _assert_no_positive(drawn, users, positives)


def test_in_batch_negatives_follow_in_batch_frequency():
    rng = np.random.default_rng(6)
    batch_items = rng.choice(10, size=64, p=np.r_[0.4, np.full(9, 0.6 / 9)])
    users = rng.integers(0, 40, size=64)
    positives = {u: rng.choice(10, size=2, replace=False) for u in range(40)}
    drawn = InBatchNegatives().sample(users, 300, seed=7, exclude=positives, batch_items=batch_items)
    expected = np.zeros(10)
    for i in range(64):
        valid = [j for j in range(64) if j != i and batch_items[j] != batch_items[i] and batch_items[j] not in positives[users[i]]]
        expected += 300 * np.bincount(batch_items[valid], minlength=10) / len(valid)
        assert batch_items[i] not in drawn[i]
    _assert_no_positive(drawn, users, positives)
    assert _p_value(drawn, expected) > 1e-3
    assert _p_value(drawn, np.bincount(batch_items, minlength=10).astype(float)) < 1e-6


def test_without_exclusions_and_with_a_generator_seed():
    rng = np.random.default_rng(8)
    sampler = UniformNegativeSampler(N_ITEMS)
    first = sampler.sample(np.arange(5), 3, seed=rng)
    second = sampler.sample(np.arange(5), 3, seed=rng)
    assert first.shape == (5, 3) and not np.array_equal(first, second)
    np.testing.assert_array_equal(sampler.sample(np.arange(5), 3, seed=9), sampler.sample(np.arange(5), 3, seed=9))


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: UniformNegativeSampler(0), "n_items"),
        (lambda: PopularityNegativeSampler([1, -2]), "item_counts"),
        (lambda: PopularityNegativeSampler([0, 0]), "not all 0"),
        (lambda: PopularityNegativeSampler([1, 2], alpha=-1), "alpha"),
        (lambda: UniformNegativeSampler(3).sample([0], 0), "n_neg"),
        (lambda: UniformNegativeSampler(3).sample([0.5], 1), "user_ids"),
        (lambda: UniformNegativeSampler(3).sample([0], 2, exclude={0: [0, 1, 2]}), "no item left"),
        (lambda: UniformNegativeSampler(3).sample([0], 2, exclude={0: [5]}), "outside"),
        (lambda: UniformNegativeSampler(3).sample([0], 2, exclude=42), "exclude"),
        (lambda: InBatchNegatives().sample([0], 1, batch_items=[1]), "at least 2"),
        (lambda: InBatchNegatives().sample([0, 1], 1, batch_items=[1, 1]), "no valid"),
    ],
)
def test_bad_input_raises_value_error(call, fragment):
    with pytest.raises(ValueError, match=fragment):
        call()
