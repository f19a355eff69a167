import json
from itertools import combinations

import numpy as np
import pytest
from ctr_samples import N_ITEMS, impressions, item_text, single_thread  # noqa: F401
from scipy.special import expit

from longtail import strategies
from longtail.errors import LongtailError
from longtail.metrics import log_loss, roc_auc
from longtail.models.ctr import DeepFM

FAST = {"epochs": 3, "batch_size": 256, "hidden": (16,), "lr": 0.02}


@pytest.fixture(scope="module")
def data():
    X, y = impressions(2400, seed=0)
    return X[:2000], y[:2000], X[2000:], y[2000:]


def fit(data, strategy="baseline", seed=0, **kwargs):
    X, y, _, _ = data
    params = {**FAST, **kwargs.pop("params", {})}
    return DeepFM(seed=seed, **params).fit(X, y, strategy=strategies.get(strategy), **kwargs)


@pytest.fixture(scope="module")
def baseline(data):
    return fit(data, item_text=item_text(), item_field=1)


def test_same_seed_gives_identical_predictions(data, baseline):
    again = fit(data, item_text=item_text(), item_field=1)
    np.testing.assert_array_equal(again.predict_proba(data[2]), baseline.predict_proba(data[2]))
    other = fit(data, seed=1, item_text=item_text(), item_field=1)
    assert not np.allclose(other.predict_proba(data[2]), baseline.predict_proba(data[2]))


def test_beats_the_constant_prior(data, baseline):
    _, y_train, X_test, y_test = data
    proba = baseline.predict_proba(X_test)
    assert proba.shape == (X_test.shape[0], 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert roc_auc(y_test, proba[:, 1]) > 0.78
    prior = np.full(y_test.size, y_train.mean())
    assert log_loss(y_test, proba[:, 1]) < log_loss(y_test, prior)


def test_save_load_round_trip(tmp_path, data):
    model = fit(data, "threshold", item_text=item_text(), item_field=1)
    model.save(tmp_path / "m")
    assert json.loads((tmp_path / "m" / "config.json").read_text())["class"] == "longtail.models.ctr.DeepFM"
    loaded = DeepFM.load(tmp_path / "m")
    X_test = data[2]
    np.testing.assert_array_equal(loaded.predict_proba(X_test), model.predict_proba(X_test))
    np.testing.assert_array_equal(loaded.predict(X_test), model.predict(X_test))
    assert loaded.threshold_ == model.threshold_ != 0.5


def test_plain_fm_equals_the_pairwise_formula(data):
    """deep=False scores b + sum w_f + sum_{f<g} <v_f, v_g> (the text as one more field), checked in float64."""
    model = fit(data, params={"deep": False}, item_text=item_text(), item_field=1)
    X = data[2][:50]
    state = {k: v.detach().double().numpy() for k, v in model.net_.state_dict().items()}
    rows = model.codes_.transform(X) + model.net_.offsets.numpy()
    text = state["text"][X[:, 1]]
    expected = []
    for r, t in zip(rows, text):
        vectors = list(state["embedding.weight"][r]) + [state["text_proj.weight"] @ t]
        pairs = sum(float(a @ b) for a, b in combinations(vectors, 2))
        expected.append(state["bias"][0] + state["linear.weight"][r].sum() + float(state["text_linear.weight"][0] @ t) + pairs)
    np.testing.assert_allclose(model.decision_function(X), expected, rtol=1e-5, atol=1e-5)


def test_rare_and_unseen_codes_share_the_oov_row(data):
    X, y, _, _ = data
    X = X.copy()
    X[0, 0] = 999  # a user seen once: below min_count=2
    model = DeepFM(seed=0, **FAST).fit(X, y)
    probe = np.repeat(X[:1], 3, axis=0)
    probe[1, 0], probe[2, 0] = 5000, 0  # never seen, explicitly unknown
    scores = model.decision_function(probe)
    assert scores[0] == scores[1] == scores[2]


def test_item_text_scores_unseen_items(data):
    probe = np.repeat(data[2][:1], 2, axis=0)
    # two items the model never saw in training but whose text it has
    text = item_text()
    text = np.vstack([text, np.ones((1, text.shape[1]), np.float32), -np.ones((1, text.shape[1]), np.float32)])
    model = fit(data, item_text=text, item_field=1)
    probe[:, 1] = [N_ITEMS + 1, N_ITEMS + 2]
    scores = model.decision_function(probe)
    assert scores[0] != scores[1]
    without_text = fit(data)
    assert np.unique(without_text.decision_function(probe)).size == 1


@pytest.mark.parametrize("strategy", ["logit-adjust", "weighted-ce", "focal", "random-under", "random-over"])
def test_strategy_changes_training(data, strategy, baseline):
    model = fit(data, strategy, item_text=item_text(), item_field=1)
    X_test = data[2]
    assert not np.allclose(model.predict_proba(X_test), baseline.predict_proba(X_test))
    if strategy != "focal":  # rebalancing pushes the predicted positive rate up
        assert model.predict_proba(X_test)[:, 1].mean() > baseline.predict_proba(X_test)[:, 1].mean()


def test_ips_uses_the_given_propensities(data):
    X, y, X_test, _ = data
    flat = fit(data, "ips", propensity=np.full(y.size, 0.5))
    plain = fit(data)
    skewed = fit(data, "ips", propensity=np.where(X[:, 1] <= 8, 1.0, 0.06))
    assert not np.allclose(skewed.predict_proba(X_test), flat.predict_proba(X_test), atol=1e-3)
    popularity = fit(data, "ips", item_field=1)
    assert not np.allclose(popularity.predict_proba(X_test), plain.predict_proba(X_test))
    with pytest.raises(ValueError, match="propensity"):
        fit(data, "ips")


def test_threshold_moves_only_the_decision(data, baseline):
    model = fit(data, "threshold", item_text=item_text(), item_field=1)
    X_test = data[2]
    assert model.threshold_ < 0.5
    proba = model.predict_proba(X_test)[:, 1]
    assert (model.predict(X_test) == (proba >= model.threshold_)).all()
    assert model.predict(X_test).mean() > baseline.predict(X_test).mean()


def test_posthoc_logit_adjust_subtracts_the_training_log_odds(data):
    X, y, X_test, _ = data
    plain = fit(data)
    adjusted = fit(data, "posthoc-logit-adjust")
    # fitted on the 90% of rows left after the seeded validation hold-out
    assert adjusted.post_.scale == 1.0
    n_pos = y.sum() - round(0.1 * y.sum())
    n_neg = (y.size - y.sum()) - round(0.1 * (y.size - y.sum()))
    assert adjusted.post_.offset == pytest.approx(np.log(n_neg / n_pos), rel=1e-12)
    assert adjusted.predict_proba(X_test)[:, 1].mean() > plain.predict_proba(X_test)[:, 1].mean()


def test_temperature_keeps_the_ranking(data):
    X, y, X_test, y_test = data
    strategy = strategies.Strategy("temp", adjust="temperature")
    model = DeepFM(seed=0, **FAST).fit(X, y, strategy=strategy, valid=(X_test, y_test))
    raw = model._raw_logits(X_test)
    np.testing.assert_allclose(model.predict_proba(X_test)[:, 1], expit(model.post_.scale * raw), rtol=1e-12)
    assert model.post_.offset == 0.0 and model.post_.scale != 1.0


@pytest.mark.parametrize(
    ("strategy", "match"), [("smote", "random-over or random-under"), ("augment-tail", "augment slot")]
)
def test_refuses_slots_it_cannot_use(data, strategy, match):
    with pytest.raises(LongtailError, match=match):
        fit(data, strategy)


def test_bad_inputs_are_named():
    X, y = impressions(100)
    with pytest.raises(ValueError, match="dropout"):
        DeepFM(dropout=1.5)
    with pytest.raises(ValueError, match="integer field codes"):
        DeepFM().fit(X.astype(float), y)
    with pytest.raises(ValueError, match="single class"):
        DeepFM().fit(X, np.zeros_like(y))
    with pytest.raises(ValueError, match="item_field"):
        DeepFM().fit(X, y, item_text=item_text())
    with pytest.raises(ValueError, match="not fitted"):
        DeepFM().predict_proba(X)
