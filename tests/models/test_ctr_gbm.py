import sys

import lightgbm as lgb
import numpy as np
import pytest
from ctr_samples import impressions, item_text

from longtail import strategies
from longtail.errors import LongtailError
from longtail.metrics import roc_auc
from longtail.models.ctr import GBMClassifier

SMALL = {"n_estimators": 30, "n_jobs": 1}


@pytest.fixture(scope="module")
def data():
    X, y = impressions(2400, seed=1)
    return X[:2000], y[:2000], X[2000:], y[2000:]


def fit(data, strategy="baseline", **kwargs):
    X, y, _, _ = data
    return GBMClassifier(**SMALL).fit(X, y, strategy=strategies.get(strategy), **kwargs)


@pytest.fixture(scope="module")
def baseline(data):
    return fit(data)


def reference_booster(model, X, y, **params):
    """LightGBM trained directly on the model's own categorical codes."""
    features = model.codes_.transform(X).astype(np.float64)
    data = lgb.Dataset(features, label=y, weight=params.pop("weight", None), categorical_feature=list(range(X.shape[1])))
    booster = lgb.train({**model.lightgbm_params(), **params}, data, num_boost_round=model.n_estimators)
    return booster.predict(features, raw_score=True)


def test_deterministic_and_better_than_chance(data, baseline):
    _, _, X_test, y_test = data
    np.testing.assert_array_equal(fit(data).predict_proba(X_test), baseline.predict_proba(X_test))
    assert roc_auc(y_test, baseline.predict_proba(X_test)[:, 1]) > 0.78


def test_save_load_round_trip(tmp_path, data):
    model = fit(data, "threshold", item_text=item_text(), item_field=1)
    model.save(tmp_path / "gbm")
    loaded = GBMClassifier.load(tmp_path / "gbm")
    X_test = data[2]
    np.testing.assert_array_equal(loaded.predict_proba(X_test), model.predict_proba(X_test))
    np.testing.assert_array_equal(loaded.predict(X_test), model.predict(X_test))
    assert not (tmp_path / "gbm" / "model.pkl").exists()


def test_weighted_ce_is_lightgbms_scale_pos_weight(data):
    """Balanced weights make the weighted average start at log-odds 0, so LightGBM's scale_pos_weight
    started from 0 must give the same trees (up to float32 histogram sums)."""
    X, y, _, _ = data
    model = fit(data, "weighted-ce")
    scale = (y == 0).sum() / (y == 1).sum()
    expected = reference_booster(model, X, y, scale_pos_weight=scale, boost_from_average=False)
    np.testing.assert_allclose(model.decision_function(X), expected, atol=1e-6)


def test_ips_weights_rows_by_inverse_clipped_propensity(data):
    X, y, _, _ = data
    propensity = np.where(X[:, 1] <= 8, 1.0, 0.01)
    model = fit(data, "ips", propensity=propensity)
    expected = reference_booster(model, X, y, weight=1.0 / np.maximum(propensity, 0.05))
    np.testing.assert_allclose(model.decision_function(X), expected, atol=1e-9)


def test_logit_adjust_trains_with_the_prior_offset(data, baseline):
    """With the prior log-odds as init_score, LightGBM starts from the same total score, so the
    adjusted logits are the plain ones minus log(n_pos / n_neg)."""
    X, y, _, _ = data
    adjusted = fit(data, "logit-adjust")
    shift = np.log(y.sum() / (y.size - y.sum()))
    np.testing.assert_allclose(adjusted.decision_function(X), baseline.decision_function(X) - shift, atol=1e-9)


def test_random_under_trains_on_balanced_rows(data, baseline):
    model = fit(data, "random-under")
    assert model.booster_.num_trees() == SMALL["n_estimators"]
    assert model.predict_proba(data[2])[:, 1].mean() > baseline.predict_proba(data[2])[:, 1].mean() + 0.1


def test_imblearn_undersampler_trains_on_the_rows_it_picks(data, monkeypatch):
    from imblearn.under_sampling import RandomUnderSampler
    from imblearn_pieces import imblearn_strategy

    X, y, X_test, _ = data
    model = GBMClassifier(**SMALL).fit(X, y, strategy=imblearn_strategy(monkeypatch, RandomUnderSampler))
    reference = RandomUnderSampler(random_state=model.seed)
    reference.fit_resample(np.arange(y.size)[:, None], y)
    rows = reference.sample_indices_
    direct = GBMClassifier(**SMALL).fit(X[rows], y[rows])
    np.testing.assert_allclose(model.predict_proba(X_test), direct.predict_proba(X_test), rtol=1e-12)


def test_item_text_becomes_columns(data):
    model = fit(data, item_text=item_text(dim=4), item_field=1)
    assert model.booster_.num_feature() == data[0].shape[1] + 4


def test_focal_has_no_tree_counterpart(data):
    with pytest.raises(LongtailError, match="cannot train"):
        fit(data, "focal")


def test_missing_lightgbm_names_the_extra(monkeypatch, data):
    monkeypatch.setitem(sys.modules, "lightgbm", None)
    with pytest.raises(LongtailError, match=r"pip install longtail\[gbm\]"):
        fit(data)
