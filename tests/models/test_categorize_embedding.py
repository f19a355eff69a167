"""EmbeddingClassifier: learning, determinism, save/load, and every strategy slot changing training."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_categorize_samples import one_thread, problem  # noqa: F401 (autouse fixture)

from longtail import strategies
from longtail.errors import LongtailError
from longtail.losses import LDAMLoss
from longtail.models.categorize import EmbeddingClassifier

FAST = {"epochs": 10, "batch_size": 32, "lr": 0.02}



@pytest.fixture(scope="module")
def data():
    return problem(0)


def _fit(data, strategy="baseline", **params):
    _, X, y, _, X_test, _ = data
    model = EmbeddingClassifier(**{**FAST, **params}).fit(X, y, strategy=strategies.get(strategy))
    return model, model.predict_proba(X_test)


@pytest.mark.parametrize("hidden", [0, 32])
def test_beats_the_majority_class(data, hidden):
    model, _ = _fit(data, hidden=hidden)
    _, _, _, _, X_test, y_test = data
    assert np.mean(model.predict(X_test) == y_test) > np.mean(y_test == "c0") + 0.3
    assert model.loss_history_[-1] < model.loss_history_[0]


def test_same_seed_same_predictions_other_seed_differs(data):
    _, first = _fit(data, seed=5)
    _, second = _fit(data, seed=5)
    _, other = _fit(data, seed=6)
    assert np.array_equal(first, second)
    assert not np.allclose(first, other)


@pytest.mark.parametrize("strategy", ["logit-adjust", "balanced-softmax", "ldam-drw", "random-over", "smote",
                                      "augment-tail", "threshold", "posthoc-logit-adjust", "weighted-ce"])
def test_each_strategy_changes_the_model(data, strategy):
    _, baseline = _fit(data)
    _, remedied = _fit(data, strategy)
    assert not np.allclose(baseline, remedied, atol=1e-4)


def test_logit_adjusted_loss_raises_tail_scores(data):
    _, baseline = _fit(data)
    _, adjusted = _fit(data, "logit-adjust")
    tail = [-1, -2]  # the two rarest classes
    assert adjusted[:, tail].mean() > baseline[:, tail].mean()


def test_ldam_uses_a_cosine_head_and_switches_on_reweighting(data, monkeypatch):
    calls = []
    original = LDAMLoss.set_epoch

    def spy(self, epoch, num_epochs=None):
        original(self, epoch, num_epochs)
        calls.append((epoch, self.drw_active))

    monkeypatch.setattr(LDAMLoss, "set_epoch", spy)
    model, proba = _fit(data, "ldam-drw", epochs=10)
    assert [epoch for epoch, _ in calls] == list(range(10))
    assert [active for _, active in calls] == [False] * 8 + [True] * 2  # from 80 % of the epochs on
    assert model.logit_scale_ == 30.0
    _, X, *_ = data
    raw = model.net_(torch.from_numpy(X)).detach().numpy()
    assert np.abs(raw).max() <= 1 + 1e-5  # cosines, scaled by s only when scoring


def test_posthoc_logit_adjustment_is_exact(data):
    model, _ = _fit(data, "posthoc-logit-adjust")
    _, X, y, _, X_test, _ = data
    _, counts = np.unique(y, return_counts=True)
    expected = model._raw_logits(X_test) - np.log(counts / counts.sum()) - np.log(counts.size)
    assert np.allclose(model.decision_function(X_test), expected)


def test_smote_trains_on_balanced_rows(data, monkeypatch):
    seen = {}
    original = EmbeddingClassifier._train

    def spy(self, X, codes, strategy, progress):
        seen["counts"] = np.bincount(codes)
        return original(self, X, codes, strategy, progress)

    monkeypatch.setattr(EmbeddingClassifier, "_train", spy)
    _fit(data, "smote")
    assert (seen["counts"] == seen["counts"].max()).all()


@pytest.mark.parametrize("strategy, hidden", [("baseline", 0), ("ldam-drw", 0), ("ldam-drw", 16), ("threshold", 16)])
def test_save_load_round_trip(data, tmp_path, strategy, hidden):
    model, proba = _fit(data, strategy, hidden=hidden)
    model.save(tmp_path)
    loaded = EmbeddingClassifier.load(tmp_path)
    _, _, _, _, X_test, _ = data
    assert np.array_equal(loaded.predict_proba(X_test), proba)
    assert loaded.get_params() == model.get_params()


def test_bad_inputs_and_parameters(data):
    _, X, y, *_ = data
    with pytest.raises(ValueError, match="2-D"):
        EmbeddingClassifier().fit(X[:, 0], y)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        EmbeddingClassifier().fit(bad, y)
    with pytest.raises(ValueError, match="texts has"):
        EmbeddingClassifier().fit(X, y, texts=["a"])
    with pytest.raises(ValueError, match="dropout"):
        EmbeddingClassifier(dropout=1.0)
    with pytest.raises(ValueError, match="epochs"):
        EmbeddingClassifier(epochs=0)
    with pytest.raises(LongtailError, match="does not apply"):
        EmbeddingClassifier(**FAST).fit(X, y, strategy=strategies.get("rerank"))
