"""RandomOverSampler and RandomUnderSampler: counts and sample_indices_ as imbalanced-learn."""

from __future__ import annotations

import numpy as np
import pytest
from imblearn.over_sampling import RandomOverSampler as ImbOver
from imblearn.under_sampling import RandomUnderSampler as ImbUnder

from longtail.sampling import RandomOverSampler, RandomUnderSampler

STRATEGIES_OVER = ["auto", "minority", "not minority", "not majority", "all"]
STRATEGIES_UNDER = ["auto", "majority", "not minority", "not majority", "all"]


def _data(rng):
    sizes = rng.integers(3, 50, size=int(rng.integers(2, 5)))
    y = rng.permutation(np.repeat(np.arange(sizes.size) * 3 + 1, sizes))
    return rng.standard_normal((y.size, 3)), y


def test_over_sampler_counts_and_indices_follow_imblearn():
    rng = np.random.default_rng(0)
    for trial in range(40):
        X, y = _data(rng)
        for strategy in STRATEGIES_OVER:
            ours, theirs = RandomOverSampler(sampling_strategy=strategy, random_state=trial), ImbOver(sampling_strategy=strategy, random_state=trial)
            X_res, y_res = ours.fit_resample(X, y)
            np.testing.assert_array_equal(np.unique(y_res, return_counts=True)[1], np.unique(theirs.fit_resample(X, y)[1], return_counts=True)[1])
            idx = ours.sample_indices_
            assert idx.size == theirs.sample_indices_.size
            np.testing.assert_array_equal(idx[: y.size], np.arange(y.size))
            np.testing.assert_array_equal(X_res, X[idx])
            np.testing.assert_array_equal(y_res, y[idx])
            added = y[idx[y.size :]]
            assert (np.diff(added) >= 0).all()  # drawn class by class in sorted order


def test_under_sampler_counts_and_indices_follow_imblearn():
    rng = np.random.default_rng(1)
    for trial in range(40):
        X, y = _data(rng)
        for strategy in STRATEGIES_UNDER:
            ours, theirs = RandomUnderSampler(sampling_strategy=strategy, random_state=trial), ImbUnder(sampling_strategy=strategy, random_state=trial)
            X_res, y_res = ours.fit_resample(X, y)
            theirs.fit_resample(X, y)
            np.testing.assert_array_equal(np.bincount(y_res), np.bincount(y[theirs.sample_indices_]))
            idx = ours.sample_indices_
            assert np.unique(idx).size == idx.size
            np.testing.assert_array_equal(X_res, X[idx])
            assert (np.diff(y[idx]) >= 0).all()  # grouped by class, classes in sorted order
            for label in np.unique(y):
                if label not in ours.sampling_strategy_:
                    np.testing.assert_array_equal(idx[y[idx] == label], np.flatnonzero(y == label))


def test_under_sampling_with_replacement_and_a_dict():
    y = np.repeat([0, 1], [30, 10])
    sampler = RandomUnderSampler(sampling_strategy={0: 25}, replacement=True, random_state=0)
    _, y_res = sampler.fit_resample(np.zeros((40, 1)), y)
    assert np.bincount(y_res).tolist() == [25, 10]


def test_random_samplers_keep_any_column_type_and_nan():
    X = np.array([["a", 1.0], ["b", np.nan], ["c", 3.0], ["d", 4.0]], dtype=object)
    y = np.array([0, 0, 0, 1])
    X_res, y_res = RandomOverSampler(random_state=0).fit_resample(X, y)
    assert X_res.shape == (6, 2) and (X_res[4:, 0] == "d").all()
    assert RandomUnderSampler(random_state=0).fit_resample(X, y)[0].shape == (2, 2)


def test_shrinkage_smooths_copies_with_the_documented_scale():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((2000, 2)) * [1.0, 3.0]
    y = np.r_[np.zeros(1000, int), np.ones(1000, int)]
    y[:900] = 1
    sampler = RandomOverSampler(shrinkage=2.0, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    noise = X_res[len(X) :] - X[sampler.sample_indices_[len(X) :]]
    h = (4 / (4 * 2000)) ** (1 / 6)
    expected = 2.0 * h * X[y == 0].std(axis=0)
    np.testing.assert_allclose(noise.std(axis=0), expected, rtol=0.1)
    assert np.bincount(y_res).tolist() == [1900, 1900]


def test_same_seed_same_rows():
    X, y = _data(np.random.default_rng(3))
    first = RandomOverSampler(random_state=5).fit_resample(X, y)[0]
    np.testing.assert_array_equal(first, RandomOverSampler(random_state=5).fit_resample(X, y)[0])
    np.testing.assert_array_equal(first, RandomOverSampler(random_state=np.random.default_rng(5)).fit_resample(X, y)[0])


@pytest.mark.parametrize(
    "sampler, fragment",
    [
        (RandomOverSampler(sampling_strategy={1: 2}), "sampling_strategy"),
        (RandomUnderSampler(sampling_strategy=2.0), "sampling_strategy"),
        (RandomOverSampler(shrinkage=-1), "shrinkage"),
        (RandomOverSampler(random_state="seed"), "random_state"),
    ],
)
def test_bad_parameters_raise_value_error(sampler, fragment):
    y = np.repeat([0, 1], [30, 10])
    with pytest.raises(ValueError, match=fragment):
        sampler.fit_resample(np.zeros((40, 2)), y)


def test_mismatched_lengths_and_single_class_raise():
    with pytest.raises(ValueError, match="rows"):
        RandomOverSampler().fit_resample(np.zeros((5, 2)), [0, 1, 1])
    with pytest.raises(ValueError, match="single class"):
        RandomUnderSampler().fit_resample(np.zeros((3, 2)), [1, 1, 1])
