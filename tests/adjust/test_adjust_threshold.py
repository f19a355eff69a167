"""ThresholdMover against brute force over every candidate threshold with scikit-learn metrics."""

import numpy as np
import pytest
from sklearn.metrics import f1_score, recall_score

from longtail.adjust import NotFittedError, ThresholdMover
from longtail.errors import InputError


def _brute_force(scores, y, objective):
    best = -1.0
    for t in np.unique(scores):
        pred = (scores >= t).astype(int)
        if objective == "f1":
            value = f1_score(y, pred, zero_division=0)
        else:
            value = np.sqrt(recall_score(y, pred, pos_label=1) * recall_score(y, pred, pos_label=0))
        best = max(best, value)
    return best


def _objective(y, pred, objective):
    if objective == "f1":
        return f1_score(y, pred, zero_division=0)
    return np.sqrt(recall_score(y, pred, pos_label=1) * recall_score(y, pred, pos_label=0))


@pytest.mark.parametrize("objective", ["f1", "gmean"])
@pytest.mark.parametrize("seed", range(3))
def test_binary_threshold_reaches_brute_force_maximum(objective, seed):
    rng = np.random.default_rng(seed)
    y = (rng.random(300) < 0.15).astype(int)
    scores = np.round(rng.normal(size=300) + 1.2 * y, 1)  # rounding makes ties, which must be handled
    mover = ThresholdMover(objective).fit(scores, y)
    chosen = _objective(y, mover.predict(scores), objective)
    assert chosen == pytest.approx(_brute_force(scores, y, objective), abs=1e-12)
    assert mover.objective_values_[0] == pytest.approx(chosen, abs=1e-12)
    assert np.array_equal(mover.predict(scores), (mover.transform(scores) >= 0).astype(int))


def test_threshold_sits_between_validation_scores():
    scores, y = np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 1, 0, 1])
    assert ThresholdMover().fit(scores, y).threshold_ == pytest.approx((0.4 + 0.35) / 2)


def test_multiclass_is_one_vs_rest_per_class():
    rng = np.random.default_rng(7)
    y = rng.choice(4, size=400, p=[0.6, 0.25, 0.1, 0.05])
    scores = rng.normal(size=(400, 4)) + 1.5 * np.eye(4)[y]
    mover = ThresholdMover("f1").fit(scores, y)
    for c in range(4):
        assert mover.thresholds_[c] == ThresholdMover("f1").fit(scores[:, c], (y == c).astype(int)).threshold_
    np.testing.assert_array_equal(mover.predict(scores), np.argmax(scores - mover.thresholds_, axis=1))
    assert mover.transform(scores).shape == (400, 4)


def test_unseen_class_gets_mean_threshold():
    rng = np.random.default_rng(8)
    y = rng.integers(0, 2, size=100)
    scores = rng.normal(size=(100, 3))
    with pytest.warns(UserWarning, match="1 classes"):
        mover = ThresholdMover().fit(scores, y)
    assert mover.n_unseen_classes_ == 1 and mover.thresholds_[2] == pytest.approx(mover.thresholds_[:2].mean())


def test_errors():
    with pytest.raises(ValueError, match="objective"):
        ThresholdMover("accuracy")
    with pytest.raises(NotFittedError, match="fit"):
        ThresholdMover().transform(np.zeros(3))
    with pytest.raises(InputError, match="single class"):
        ThresholdMover().fit(np.array([0.1, 0.2]), np.array([1, 1]))
    with pytest.raises(InputError, match="label 2"):
        ThresholdMover().fit(np.array([0.1, 0.2]), np.array([0, 2]))
    with pytest.raises(InputError, match="NaN"):
        ThresholdMover().fit(np.array([0.1, np.nan]), np.array([0, 1]))
    mover = ThresholdMover().fit(np.array([0.1, 0.9]), np.array([0, 1]))
    with pytest.raises(ValueError, match="fitted on 1-D"):
        mover.transform(np.zeros((2, 2)))
