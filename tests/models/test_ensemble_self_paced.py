import math

import numpy as np
import pytest
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

from longtail.models.ensemble import SelfPacedEnsemble, self_paced_counts


class Fixed:
    """A member whose P(positive) is sigmoid(x0), whatever it was trained on: the ensemble's hardness is known."""

    def __init__(self, seed):
        self.seed = seed

    def fit(self, X, y, **params):
        self.y = y
        return self

    def predict_proba(self, X):
        p = expit(X[:, 0])
        return np.column_stack([1 - p, p])


def paper_step(hardness, n_bins, alpha, n_minority):
    """Liu et al. 2020, Algorithm 1, written out: equal-width bins over [min, max] (last bin closed),
    weights 1 / (mean hardness + alpha), |P| draws shared by weight (largest remainder), capped by bin size."""
    low, high = hardness.min(), hardness.max()
    step = (high - low) / n_bins
    members, weights = [], []
    for b in range(n_bins):
        inside = (hardness >= b * step + low) & (hardness < (b + 1) * step + low)
        if b == n_bins - 1:
            inside |= hardness == high
        members.append(inside)
        weights.append(1.0 / (hardness[inside].mean() + alpha) if inside.any() else 0.0)
    weights = np.array(weights)
    quota = n_minority * weights / weights.sum()
    counts = np.floor(quota).astype(int)
    for b in np.argsort(-(quota - counts), kind="stable")[: n_minority - counts.sum()]:
        counts[b] += 1
    return members, np.minimum(counts, [m.sum() for m in members])


@pytest.fixture(scope="module")
def rare():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 2))
    y = (rng.random(3000) < expit(2 * X[:, 0] - 4)).astype(np.int64)
    return X, y


HARDNESS = {"absolute": lambda p: p, "squared": lambda p: p**2, "cross_entropy": lambda p: -np.log(1 - p)}


@pytest.mark.parametrize("name", HARDNESS)
def test_each_member_draws_the_papers_bin_counts(rare, name):
    X, y = rare
    n = 5
    model = SelfPacedEnsemble(Fixed, n_estimators=n, n_bins=8, random_state=0, hardness=name).fit(X, y)
    majority = np.flatnonzero(y == 0)
    hardness = HARDNESS[name](expit(X[majority, 0]))  # error of F(x) against the majority label 0
    np.testing.assert_allclose(model.alphas_, [math.tan(i * math.pi / (2 * n)) for i in range(1, n)])
    for i, subset in enumerate(model.subsets_[1:]):
        bins, expected = paper_step(hardness, 8, model.alphas_[i], int(y.sum()))
        np.testing.assert_array_equal(model.bin_counts_[i], expected)
        drawn = np.isin(majority, subset)
        np.testing.assert_array_equal([int((drawn & b).sum()) for b in bins], expected)
        np.testing.assert_array_equal(np.sort(subset[y[subset] == 1]), np.flatnonzero(y == 1))
        assert np.unique(subset).size == subset.size


def test_first_member_is_random_under_sampling(rare):
    X, y = rare
    model = SelfPacedEnsemble(Fixed, n_estimators=3).fit(X, y)
    assert np.bincount(y[model.subsets_[0]]).tolist() == [y.sum(), y.sum()]


def test_the_self_paced_factor_moves_draws_from_hard_to_even():
    hardness = np.concatenate([np.full(900, 0.05), np.full(90, 0.5), np.full(10, 0.95)])
    _, early = self_paced_counts(hardness, 3, alpha=0.0, n_minority=60)
    _, late = self_paced_counts(hardness, 3, alpha=100.0, n_minority=60)
    # alpha 0: each bin contributes the same total hardness, so the easy bulk gets most rows but the
    # 10 hardest rows are drawn far above their 1% share; a large alpha spreads the draws over the bins
    assert early.tolist() == [52, 5, 3]  # the hardest 1% of rows fill 5% of the draws
    assert late.tolist() == [20, 20, 10]  # the even share, capped by the 10 rows of the hardest bin


def test_ranks_as_well_as_a_single_balanced_model(rare):
    from longtail.metrics import roc_auc

    X, y = rare
    model = SelfPacedEnsemble(lambda seed: LogisticRegression(), n_estimators=5).fit(X, y)
    assert roc_auc(y, model.predict_proba(X)[:, 1]) > 0.85


def test_binary_only_and_bad_parameters():
    with pytest.raises(ValueError, match="binary"):
        SelfPacedEnsemble(Fixed, n_estimators=2).fit(np.zeros((9, 1)), np.array([0, 0, 0, 1, 1, 1, 2, 2, 2]))
    with pytest.raises(ValueError, match="hardness"):
        SelfPacedEnsemble(Fixed, hardness="huber")
