"""TfidfLogReg: checked against scikit-learn's own TF-IDF + logistic regression."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from test_categorize_samples import problem

from longtail import strategies
from longtail.errors import LongtailError
from longtail.models.categorize import TfidfLogReg
from longtail.sampling import RandomOverSampler

FAST = {"C": 5.0, "max_iter": 300}


def _reference(texts, y, class_weight=None):
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32).fit(texts)
    regression = LogisticRegression(C=FAST["C"], max_iter=FAST["max_iter"], class_weight=class_weight, random_state=0)
    return vectorizer, regression.fit(vectorizer.transform(texts), y)


@pytest.fixture(scope="module")
def data():
    return problem(0)


def test_probabilities_equal_scikit_learn(data):
    texts, _, y, test_texts, _, _ = data
    model = TfidfLogReg(**FAST).fit(texts, y)
    vectorizer, regression = _reference(texts, y)
    expected = regression.predict_proba(vectorizer.transform(test_texts))
    assert np.allclose(model.predict_proba(test_texts), expected, atol=1e-6)
    assert list(model.classes_) == list(regression.classes_)


def test_beats_the_majority_class(data):
    texts, _, y, test_texts, _, y_test = data
    accuracy = np.mean(TfidfLogReg(**FAST).fit(texts, y).predict(test_texts) == y_test)
    majority = np.mean(y_test == "c0")
    assert accuracy > majority + 0.3


def test_weighted_ce_is_scikit_learns_balanced_class_weight(data):
    texts, _, y, test_texts, _, _ = data
    model = TfidfLogReg(**FAST).fit(texts, y, strategy=strategies.get("weighted-ce"))
    vectorizer, regression = _reference(texts, y, class_weight="balanced")
    assert np.allclose(model.predict_proba(test_texts), regression.predict_proba(vectorizer.transform(test_texts)), atol=1e-5)
    plain = TfidfLogReg(**FAST).fit(texts, y)
    assert not np.allclose(model.predict_proba(test_texts), plain.predict_proba(test_texts), atol=1e-3)


def test_random_over_trains_on_the_oversampled_rows(data):
    texts, _, y, test_texts, _, _ = data
    model = TfidfLogReg(**FAST).fit(texts, y, strategy=strategies.get("random-over"))
    sampler = RandomOverSampler(random_state=0)
    sampler.fit_resample(np.arange(len(texts)).reshape(-1, 1), y)
    rows = sampler.sample_indices_
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32).fit(texts)
    regression = LogisticRegression(**FAST, random_state=0).fit(vectorizer.transform([texts[i] for i in rows]), y[rows])
    assert np.allclose(model.predict_proba(test_texts), regression.predict_proba(vectorizer.transform(test_texts)), atol=1e-5)


@pytest.mark.parametrize("which", ["over", "under"])
def test_imblearn_row_samplers_work_as_strategy_pieces(data, monkeypatch, which):
    from imblearn.over_sampling import RandomOverSampler as ImbOver
    from imblearn.under_sampling import RandomUnderSampler as ImbUnder
    from imblearn_pieces import imblearn_strategy

    texts, _, y, test_texts, _, _ = data
    sampler_cls = ImbOver if which == "over" else ImbUnder
    model = TfidfLogReg(**FAST).fit(texts, y, strategy=imblearn_strategy(monkeypatch, sampler_cls))
    reference = sampler_cls(random_state=0)
    reference.fit_resample(np.arange(len(texts)).reshape(-1, 1), y)
    rows = reference.sample_indices_
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32).fit(texts)
    regression = LogisticRegression(**FAST, random_state=0).fit(vectorizer.transform([texts[i] for i in rows]), y[rows])
    assert np.allclose(model.predict_proba(test_texts), regression.predict_proba(vectorizer.transform(test_texts)), atol=1e-5)


def test_imblearn_smote_on_raw_text_is_refused(data, monkeypatch):
    from imblearn.over_sampling import SMOTE as ImbSMOTE
    from imblearn_pieces import imblearn_strategy

    texts, _, y, *_ = data
    with pytest.raises(strategies.StrategyError, match="SMOTE makes new rows from feature vectors.*trained on text"):
        TfidfLogReg(**FAST).fit(texts, y, strategy=imblearn_strategy(monkeypatch, ImbSMOTE, k_neighbors=1))


def test_threshold_adjuster_moves_the_decision(data):
    texts, _, y, test_texts, _, _ = data
    model = TfidfLogReg(**FAST).fit(texts, y, strategy=strategies.get("threshold"))
    thresholds = model.adjuster_.thresholds_
    raw = model._raw_logits(test_texts)
    assert np.allclose(model.decision_function(test_texts), raw - thresholds)
    assert np.array_equal(model.predict(test_texts), model.classes_[np.argmax(raw - thresholds, axis=1)])


def test_posthoc_logit_adjustment_subtracts_the_log_prior(data):
    texts, _, y, test_texts, _, _ = data
    model = TfidfLogReg(**FAST).fit(texts, y, strategy=strategies.get("posthoc-logit-adjust"))
    _, counts = np.unique(y, return_counts=True)
    raw = model._raw_logits(test_texts)
    expected = raw - np.log(counts / counts.sum()) + np.log(1 / counts.size)
    assert np.allclose(model.decision_function(test_texts), expected)


@pytest.mark.parametrize("name, message", [("focal", "class-weight form"), ("smote", "random-over"),
                                           ("augment-tail", "text augmenter")])
def test_remedies_it_cannot_use_are_refused(data, name, message):
    texts, _, y, *_ = data
    # a StrategyError: the benchmark skips the combination instead of failing it
    with pytest.raises(strategies.StrategyError, match=message):
        TfidfLogReg(**FAST).fit(texts, y, strategy=strategies.get(name))


def test_retrieval_strategies_are_refused(data):
    texts, _, y, *_ = data
    with pytest.raises(LongtailError, match="does not apply"):
        TfidfLogReg(**FAST).fit(texts, y, strategy=strategies.get("logq"))


def test_two_classes_match_scikit_learn():
    texts = ["red shirt", "blue shirt", "green shirt", "old phone", "new phone", "shirt top"]
    y = np.array(["wear", "wear", "wear", "tech", "tech", "wear"])
    model = TfidfLogReg(**FAST).fit(texts, y)
    vectorizer, regression = _reference(texts, y)
    assert np.allclose(model.predict_proba(["phone case", "shirt"]), regression.predict_proba(vectorizer.transform(["phone case", "shirt"])))


@pytest.mark.parametrize("strategy", ["baseline", "threshold", "posthoc-logit-adjust", "temperature-scaled"])
def test_save_load_round_trip(data, tmp_path, strategy):
    texts, _, y, test_texts, _, _ = data
    chosen = (strategies.Strategy("temperature-scaled", adjust="temperature") if strategy == "temperature-scaled"
              else strategies.get(strategy))
    model = TfidfLogReg(analyzer="char_wb", ngram_max=3, **FAST).fit(texts, y, strategy=chosen)
    model.save(tmp_path)
    loaded = TfidfLogReg.load(tmp_path)
    assert np.array_equal(loaded.predict_proba(test_texts), model.predict_proba(test_texts))
    assert np.array_equal(loaded.predict(test_texts), model.predict(test_texts))


def test_same_seed_same_model(data):
    texts, _, y, test_texts, _, _ = data
    first = TfidfLogReg(**FAST, seed=3).fit(texts, y, strategy=strategies.get("threshold")).predict_proba(test_texts)
    second = TfidfLogReg(**FAST, seed=3).fit(texts, y, strategy=strategies.get("threshold")).predict_proba(test_texts)
    assert np.array_equal(first, second)


@pytest.mark.parametrize("kwargs", [{"analyzer": "bpe"}, {"C": 0}, {"ngram_max": 0}, {"valid_fraction": -0.1}])
def test_bad_parameters_name_themselves(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        TfidfLogReg(**kwargs)


def test_bad_inputs():
    with pytest.raises(ValueError, match="list of strings"):
        TfidfLogReg().fit("one text", ["a"])
    with pytest.raises(ValueError, match=r"texts\[1\]"):
        TfidfLogReg().fit(["a", None], ["a", "b"])
    with pytest.raises(ValueError, match="at least 2 classes"):
        TfidfLogReg().fit(["a", "b"], ["x", "x"])
    with pytest.raises(ValueError, match="one label per input row"):
        TfidfLogReg().fit(["a", "b"], ["x"])
    with pytest.raises(ValueError, match="not fitted"):
        TfidfLogReg().predict(["a"])
