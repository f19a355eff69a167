import numpy as np
import pytest
from ctr_samples import impressions, single_thread  # noqa: F401
from imblearn.ensemble import BalancedBaggingClassifier, EasyEnsembleClassifier
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from longtail import strategies
from longtail.errors import LongtailError
from longtail.models.ctr import DeepFM
from longtail.models.ensemble import BalancedBagging, EasyEnsemble


def logistic(seed):
    return LogisticRegression()


@pytest.fixture(scope="module")
def rare():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3))
    y = (X[:, 0] + rng.normal(size=600) > 1.8).astype(np.int64)
    return X, y


class Recorder:
    """A member that remembers what it was fitted on and predicts a fixed probability."""

    def __init__(self, seed):
        self.seed = seed

    def fit(self, X, y, **params):
        self.X, self.y, self.params = X, y, params
        return self

    def predict_proba(self, X):
        p = np.full(len(X), 0.25)
        return np.column_stack([1 - p, p])


@pytest.mark.parametrize(("reference", "ours"), [(EasyEnsembleClassifier, EasyEnsemble), (BalancedBaggingClassifier, BalancedBagging)])
def test_averaging_matches_imbalanced_learn_on_its_own_samples(rare, reference, ours):
    X, y = rare
    ref = reference(estimator=LogisticRegression(), n_estimators=4, random_state=0).fit(X, y)
    # each imbalanced-learn member: its bagging rows, then the rows its RandomUnderSampler kept of them
    subsets = [rows[member.named_steps["sampler"].sample_indices_] for rows, member in zip(ref.estimators_samples_, ref.estimators_)]
    model = ours(logistic, n_estimators=4).fit_subsets(X, y, subsets)
    np.testing.assert_allclose(model.predict_proba(X), ref.predict_proba(X), rtol=0, atol=1e-12)


def test_easy_ensemble_members_are_balanced_like_imbalanced_learns(rare):
    X, y = rare
    model = EasyEnsemble(logistic, n_estimators=6, random_state=1).fit(X, y)
    minority = np.flatnonzero(y == 1)
    for subset in model.subsets_:
        assert np.bincount(y[subset]).tolist() == [minority.size, minority.size]
        assert np.unique(subset).size == subset.size
        np.testing.assert_array_equal(np.sort(subset[y[subset] == 1]), minority)
    assert len({tuple(s) for s in model.subsets_}) == 6


def test_balanced_bagging_samples_are_sized_like_imbalanced_learns(rare):
    X, y = rare
    ours = BalancedBagging(Recorder, n_estimators=40, random_state=0).fit(X, y)
    ref = BalancedBaggingClassifier(estimator=DummyClassifier(), n_estimators=40, random_state=0).fit(X, y)
    ref_sizes = [m.named_steps["sampler"].sample_indices_.size for m in ref.estimators_]
    for subset in ours.subsets_:
        counts = np.bincount(y[subset])
        assert counts[0] == counts[1]
    # member size is 2 x (minority rows in a bootstrap): the same distribution in both libraries
    sizes = [s.size for s in ours.subsets_]
    assert abs(np.mean(sizes) - np.mean(ref_sizes)) < 3 * np.std(ref_sizes) / np.sqrt(40) * np.sqrt(2)
    assert any(np.unique(s).size < s.size for s in ours.subsets_)  # bootstraps repeat rows


def test_multiclass_members_hold_the_smallest_class_count_of_each_class():
    y = np.array([0] * 50 + [1] * 20 + [2] * 7)
    model = EasyEnsemble(Recorder, n_estimators=3).fit(np.zeros((y.size, 1)), y)
    for member in model.members_:
        assert np.bincount(member.y).tolist() == [7, 7, 7]
    assert model.predict(np.zeros((2, 1))).shape == (2,)


def test_row_parameters_follow_the_rows_and_others_pass_whole(rare):
    X, y = rare
    propensity = np.linspace(0.1, 1.0, y.size)
    table = np.ones((5, 2))
    model = EasyEnsemble(Recorder, n_estimators=2).fit(X, y, propensity=propensity, item_text=table)
    for member, subset in zip(model.members_, model.subsets_):
        np.testing.assert_array_equal(member.params["propensity"], propensity[subset])
        assert member.params["item_text"] is table
        assert "strategy" not in member.params


def test_members_get_the_loss_but_not_the_adjuster(rare):
    X, y = rare
    model = EasyEnsemble(Recorder, n_estimators=2).fit(X, y, strategy=strategies.get("cb-focal+threshold"))
    strategy = model.members_[0].params["strategy"]
    assert strategy.loss.name == "class-balanced" and strategy.adjust is None
    with pytest.raises(LongtailError, match="balances each member"):
        EasyEnsemble(Recorder).fit(X, y, strategy=strategies.get("random-over"))


def test_threshold_is_fitted_on_the_averaged_probabilities(rare):
    X, y = rare
    plain = EasyEnsemble(logistic, n_estimators=3).fit(X, y)
    moved = EasyEnsemble(logistic, n_estimators=3).fit(X, y, strategy=strategies.get("threshold"))
    assert moved.threshold_ != 0.5 == plain.threshold_
    proba = moved.predict_proba(X)[:, 1]
    np.testing.assert_array_equal(moved.predict(X), (proba >= moved.threshold_).astype(int))


def test_same_random_state_same_ensemble(rare):
    X, y = rare
    a = BalancedBagging(logistic, n_estimators=3, random_state=5).fit(X, y)
    b = BalancedBagging(logistic, n_estimators=3, random_state=5).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = BalancedBagging(logistic, n_estimators=3, random_state=6).fit(X, y)
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))


def test_saved_ensemble_stores_its_members(tmp_path):
    X, y = impressions(800, seed=2)
    model = EasyEnsemble(lambda seed: DeepFM(epochs=2, batch_size=128, hidden=(8,), seed=seed), n_estimators=2)
    model.fit(X, y, strategy=strategies.get("posthoc-logit-adjust"))
    model.save(tmp_path / "ens")
    loaded = EasyEnsemble.load(tmp_path / "ens")
    assert [type(m) for m in loaded.members_] == [DeepFM, DeepFM]
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    with pytest.raises(LongtailError, match="no base_factory"):
        loaded.fit(X, y)


def test_members_that_cannot_be_saved_are_named(tmp_path, rare):
    model = EasyEnsemble(logistic, n_estimators=2).fit(*rare)
    with pytest.raises(LongtailError, match="not a registered model"):
        model.save(tmp_path / "lr")


def test_text_categorisers_are_members_on_lists_of_texts():
    from test_categorize_samples import labels, texts

    from longtail.models.categorize import TfidfLogReg

    names = labels()
    y = np.unique(names, return_inverse=True)[1]
    titles = texts(names)
    model = EasyEnsemble(lambda seed: TfidfLogReg(seed=seed), n_estimators=3).fit(titles, y)
    smallest = np.bincount(y).min()
    for member, subset in zip(model.members_, model.subsets_):
        assert isinstance(member.vectorizer_.vocabulary_, dict)
        assert np.bincount(y[subset]).tolist() == [smallest] * (y.max() + 1)
    expected = np.mean([member.predict_proba(titles) for member in model.members_], axis=0)
    np.testing.assert_allclose(model.predict_proba(titles), expected)
    assert (model.predict(titles) == y).mean() > 0.8


def test_pair_models_take_a_tuple_of_aligned_inputs():
    from test_relevance_samples import pairs, word_vectors

    from longtail.models.relevance import BiEncoderClassifier, pair_features

    queries, titles, grades = pairs(240, seed=0)
    y = np.unique(grades, return_inverse=True)[1]
    X = (word_vectors(queries, seed=5), word_vectors(titles, seed=6))
    model = EasyEnsemble(lambda seed: BiEncoderClassifier(epochs=5, seed=seed), n_estimators=2).fit(
        X, y, title_texts=titles
    )
    for member, subset in zip(model.members_, model.subsets_):
        # each member standardises with the statistics of its own rows
        np.testing.assert_array_equal(member.feature_mean_, pair_features(X[0][subset], X[1][subset]).mean(axis=0))
    expected = np.mean([member.predict_proba(*X) for member in model.members_], axis=0)
    np.testing.assert_allclose(model.predict_proba(X), expected)
    with pytest.raises(ValueError, match="one entry per row"):
        EasyEnsemble(lambda seed: BiEncoderClassifier(seed=seed)).fit((X[0], X[1][:-1]), y)
