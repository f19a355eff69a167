"""Classification metrics against scikit-learn / imbalanced-learn on random inputs, and hand-computed values."""

import numpy as np
import pytest
from imblearn.metrics import geometric_mean_score
from metrics_reference import ece_loop
from sklearn import metrics as skm

from longtail import metrics as M

SEEDS = range(5)


def _labels(seed, n=300, n_classes=5):
    rng = np.random.default_rng(seed)
    # Skewed class frequencies, and predictions right about 60% of the time.
    y_true = rng.choice(n_classes, size=n, p=np.linspace(2, 0.3, n_classes) / np.linspace(2, 0.3, n_classes).sum())
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, n_classes, size=n))
    return y_true, y_pred


def _probabilities(seed, n=300, n_classes=4):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, n_classes, size=n)
    logits = rng.normal(size=(n, n_classes)) + 1.5 * np.eye(n_classes)[y_true]
    prob = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y_true, prob


@pytest.mark.parametrize("seed", SEEDS)
def test_label_metrics_match_sklearn(seed):
    y_true, y_pred = _labels(seed)
    assert M.accuracy(y_true, y_pred) == pytest.approx(skm.accuracy_score(y_true, y_pred))
    assert M.balanced_accuracy(y_true, y_pred) == pytest.approx(skm.balanced_accuracy_score(y_true, y_pred))
    for average in ("macro", "micro", "weighted"):
        expected = skm.f1_score(y_true, y_pred, average=average)
        assert M.f1(y_true, y_pred, average=average) == pytest.approx(expected)
    assert M.macro_f1(y_true, y_pred) == pytest.approx(skm.f1_score(y_true, y_pred, average="macro"))
    assert M.micro_f1(y_true, y_pred) == pytest.approx(skm.f1_score(y_true, y_pred, average="micro"))
    assert M.weighted_f1(y_true, y_pred) == pytest.approx(skm.f1_score(y_true, y_pred, average="weighted"))
    recall = M.per_class_recall(y_true, y_pred)
    np.testing.assert_allclose(list(recall.values()), skm.recall_score(y_true, y_pred, average=None))
    assert list(recall) == sorted(np.unique(y_true).tolist())
    assert M.g_mean(y_true, y_pred) == pytest.approx(geometric_mean_score(y_true, y_pred))


def test_string_labels_and_fixed_label_set():
    y_true = np.array(["shoes", "bags", "shoes", "hats", "bags", "shoes"])
    y_pred = np.array(["shoes", "shoes", "shoes", "bags", "bags", "hats"])
    labels = ["bags", "hats", "shoes", "toys"]
    assert M.macro_f1(y_true, y_pred, labels=labels) == pytest.approx(
        skm.f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
    )
    recall = M.per_class_recall(y_true, y_pred, labels=labels)
    # bags: 1 of 2 found; hats: 0 of 1; shoes: 2 of 3; toys never occurs -> NaN.
    assert recall["bags"] == 0.5 and recall["hats"] == 0.0 and recall["shoes"] == pytest.approx(2 / 3)
    assert np.isnan(recall["toys"])
    with pytest.raises(ValueError, match="labels"):
        M.macro_f1(y_true, y_pred, labels=["bags", "shoes"])


def test_balanced_accuracy_and_g_mean_by_hand():
    # Class 0: 3 of 4 right (0.75); class 1: 1 of 2 right (0.5).
    y_true = [0, 0, 0, 0, 1, 1]
    y_pred = [0, 0, 0, 1, 1, 0]
    assert M.balanced_accuracy(y_true, y_pred) == pytest.approx(0.625)
    assert M.g_mean(y_true, y_pred) == pytest.approx(np.sqrt(0.75 * 0.5))
    assert M.g_mean([0, 0, 1], [0, 0, 0]) == 0.0


@pytest.mark.parametrize("seed", SEEDS)
def test_score_metrics_match_sklearn_multiclass(seed):
    y_true, prob = _probabilities(seed)
    assert M.roc_auc(y_true, prob) == pytest.approx(skm.roc_auc_score(y_true, prob, multi_class="ovr"))
    assert M.pr_auc(y_true, prob) == pytest.approx(skm.average_precision_score(y_true, prob, average="macro"))
    assert M.log_loss(y_true, prob) == pytest.approx(skm.log_loss(y_true, prob))


@pytest.mark.parametrize("seed", SEEDS)
def test_score_metrics_match_sklearn_binary_with_ties(seed):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, size=400)
    # Rounded scores create many ties, which both AUC and AP must handle.
    p = np.round(np.clip(0.3 * y_true + rng.random(400) * 0.7, 0, 1), 1)
    assert M.roc_auc(y_true, p) == pytest.approx(skm.roc_auc_score(y_true, p))
    assert M.pr_auc(y_true, p) == pytest.approx(skm.average_precision_score(y_true, p))
    assert M.log_loss(y_true, p) == pytest.approx(skm.log_loss(y_true, p))
    # Any monotone transform of the scores (here logits) gives the same AUC.
    logit = np.log((p + 0.01) / (1.01 - p))
    assert M.roc_auc(y_true, logit) == pytest.approx(M.roc_auc(y_true, p))


def test_auc_by_hand():
    # Pairs (positive, negative): (0.8, 0.1) win, (0.8, 0.4) win, (0.4, 0.1) win, (0.4, 0.4) tie -> 3.5 / 4.
    assert M.roc_auc([1, 0, 1, 0], [0.8, 0.1, 0.4, 0.4]) == pytest.approx(0.875)
    # Ranked 0.9 (+), 0.7 (-), 0.3 (+): AP = 0.5 * 1 + 0.5 * 2/3.
    assert M.pr_auc([1, 0, 1], [0.9, 0.7, 0.3]) == pytest.approx(0.5 + 1 / 3)


def test_ovr_skips_classes_without_positives():
    y_true = np.array([0, 1, 0, 1])
    prob = np.array([[0.7, 0.2, 0.1], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.3, 0.6, 0.1]])
    assert M.roc_auc(y_true, prob) == pytest.approx(1.0)


def test_ece_by_hand():
    # Top-label confidences 0.9, 0.9, 0.6, 0.6 with 5 bins: bin (0.8, 1] holds two rows, one correct
    # (|0.5 - 0.9| = 0.4); bin (0.4, 0.6] holds two rows, both correct (|1 - 0.6| = 0.4). ECE = 0.5*0.4 + 0.5*0.4.
    prob = np.array([[0.9, 0.1], [0.1, 0.9], [0.6, 0.4], [0.4, 0.6]])
    y_true = np.array([0, 0, 0, 1])
    assert M.expected_calibration_error(y_true, prob, n_bins=5) == pytest.approx(0.4)
    # The binary 1-D form reads p as P(class 1).
    assert M.expected_calibration_error(y_true, prob[:, 1], n_bins=5) == pytest.approx(0.4)


@pytest.mark.parametrize("seed", SEEDS)
def test_ece_matches_loop(seed):
    y_true, prob = _probabilities(seed)
    for n_bins in (1, 10, 15):
        assert M.expected_calibration_error(y_true, prob, n_bins=n_bins) == pytest.approx(
            ece_loop(y_true, prob, n_bins)
        )


def test_perfect_calibration_is_zero():
    prob = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert M.expected_calibration_error([0, 1], prob) == 0.0


@pytest.mark.parametrize(
    "call, param",
    [
        (lambda: M.log_loss([0, 1], [0.2, 1.3]), "y_prob"),
        (lambda: M.expected_calibration_error([0, 1], [[0.5, 0.6], [0.1, 0.9]]), "y_prob"),
        (lambda: M.log_loss([0, 2], [[0.5, 0.5], [0.1, 0.9]]), "y_true"),
        (lambda: M.accuracy([0, 1, 1], [0, 1]), "y_pred"),
        (lambda: M.roc_auc([1, 1, 1], [0.1, 0.2, 0.3]), "y_true"),
        (lambda: M.roc_auc([0, 1], [0.1, np.nan]), "y_score"),
        (lambda: M.f1([0, 1], [0, 1], average="samples"), "average"),
        (lambda: M.expected_calibration_error([0, 1], [0.2, 0.8], n_bins=0), "n_bins"),
        (lambda: M.log_loss([0.5, 1.0], [0.2, 0.8]), "y_true"),
    ],
)
def test_bad_input_names_the_parameter(call, param):
    with pytest.raises(ValueError, match=param):
        call()
