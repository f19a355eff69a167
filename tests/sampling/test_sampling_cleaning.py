"""TomekLinks removes exactly the rows imbalanced-learn's TomekLinks removes."""

from __future__ import annotations

import numpy as np
import pytest
from imblearn.under_sampling import TomekLinks as ImbTomek

from longtail.sampling import TomekLinks


def _data(seed):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(5, 120, size=int(rng.integers(2, 5)))
    y = rng.permutation(np.repeat(np.arange(sizes.size), sizes))
    X = rng.standard_normal((y.size, int(rng.integers(2, 6)))) + 0.7 * y[:, None]
    return X, y


@pytest.mark.parametrize("strategy", ["auto", "all", "majority", "not majority", "not minority"])
def test_removed_rows_equal_imblearn(strategy):
    for seed in range(25):
        X, y = _data(seed)
        ours, theirs = TomekLinks(sampling_strategy=strategy), ImbTomek(sampling_strategy=strategy)
        X_res, y_res = ours.fit_resample(X, y)
        theirs.fit_resample(X, y)
        np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)
        np.testing.assert_array_equal(X_res, X[theirs.sample_indices_])


def test_list_of_classes_and_a_hand_made_link():
    X = np.array([[0.0], [0.1], [5.0], [5.05], [9.0], [20.0]])
    y = np.array([0, 1, 0, 0, 1, 0])
    sampler = TomekLinks(sampling_strategy=[0])
    X_res, _ = sampler.fit_resample(X, y)
    np.testing.assert_array_equal(sampler.sample_indices_, [1, 2, 3, 4, 5])
    minority_side = TomekLinks(sampling_strategy=[1])
    minority_side.fit_resample(X, y)
    np.testing.assert_array_equal(minority_side.sample_indices_, [0, 2, 3, 4, 5])
    np.testing.assert_array_equal(TomekLinks(sampling_strategy="all").fit_resample(X, y)[0].ravel(), [5.0, 5.05, 9.0, 20.0])


def test_cleaning_rejects_dicts_and_ratios():
    X, y = _data(0)
    for strategy in ({0: 3}, 0.5):
        with pytest.raises(ValueError, match="sampling_strategy"):
            TomekLinks(sampling_strategy=strategy).fit_resample(X, y)
