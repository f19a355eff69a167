"""Classification metrics for imbalanced labels, in plain numpy.

Label metrics take ``(y_true, y_pred)`` of any labels (ints or strings); the
classes are the sorted union of both unless ``labels`` fixes them. Score
metrics take integer classes ``y_true`` in ``0..C-1`` and either a 1-D
score / probability of class 1 (binary) or an (n, C) matrix (multi-class).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from longtail.metrics._inputs import as_labels, positive_int

#: default number of equal-width confidence bins for the expected calibration error
ECE_BINS = 15


def _pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    true = as_labels(y_true, "y_true")
    pred = as_labels(y_pred, "y_pred", length=true.size)
    if true.size == 0:
        raise ValueError("y_true: is empty")
    return true, pred


def _confusion(y_true: ArrayLike, y_pred: ArrayLike, labels: ArrayLike | None) -> tuple[np.ndarray, np.ndarray]:
    """Class labels and the confusion matrix ``cm[true, predicted]``."""
    true, pred = _pair(y_true, y_pred)
    if labels is None:
        classes, codes = np.unique(np.concatenate([true, pred]), return_inverse=True)
    else:
        classes = as_labels(labels, "labels")
        if classes.size == 0 or np.unique(classes).size != classes.size:
            raise ValueError("labels: need a non-empty list of distinct labels")
        both = np.concatenate([true, pred])
        sorter = np.argsort(classes)
        pos = np.minimum(np.searchsorted(classes, both, sorter=sorter), classes.size - 1)
        codes = sorter[pos]
        unknown = classes[codes] != both
        if unknown.any():
            raise ValueError(f"labels: does not list {both[unknown][0]!r}, which occurs in y_true or y_pred")
    n_classes = classes.size
    cm = np.bincount(codes[: true.size] * n_classes + codes[true.size :], minlength=n_classes * n_classes)
    return classes, cm.reshape(n_classes, n_classes)


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Share of rows where the prediction equals the true label."""
    true, pred = _pair(y_true, y_pred)
    return float(np.mean(true == pred))


def _recalls(y_true: ArrayLike, y_pred: ArrayLike, labels: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Classes and per-class recall ``TP_c / support_c`` (NaN for a class absent from y_true)."""
    classes, cm = _confusion(y_true, y_pred, labels)
    support = cm.sum(axis=1)
    recall = np.divide(np.diag(cm), support, out=np.full(classes.size, np.nan), where=support > 0)
    return classes, recall


def per_class_recall(y_true: ArrayLike, y_pred: ArrayLike, *, labels: ArrayLike | None = None) -> dict[Any, float]:
    """Recall of each class, ``{label: TP / support}``; NaN for a class that never occurs in y_true."""
    classes, recall = _recalls(y_true, y_pred, labels)
    return {label.item(): float(value) for label, value in zip(classes, recall)}


def balanced_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean per-class recall over the classes present in y_true."""
    recall = _recalls(y_true, y_pred)[1]
    return float(np.nanmean(recall))


def g_mean(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Geometric mean of the per-class recalls over the classes present in y_true (0 if any recall is 0)."""
    recall = _recalls(y_true, y_pred)[1]
    recall = recall[~np.isnan(recall)]
    if np.any(recall == 0):
        return 0.0
    return float(np.exp(np.log(recall).mean()))


def f1(y_true: ArrayLike, y_pred: ArrayLike, *, average: str = "macro", labels: ArrayLike | None = None) -> float:
    """F1 score: ``2 TP / (2 TP + FP + FN)`` per class, averaged.

    ``average``: ``"macro"`` (plain mean over classes), ``"weighted"`` (mean
    weighted by true support) or ``"micro"`` (pooled counts; equals accuracy
    when all classes are included). A class that is never true nor predicted
    scores 0, as in scikit-learn.
    """
    if average not in ("macro", "micro", "weighted"):
        raise ValueError(f"average: must be 'macro', 'micro' or 'weighted', got {average!r}")
    classes, cm = _confusion(y_true, y_pred, labels)
    tp = np.diag(cm).astype(np.float64)
    support = cm.sum(axis=1)
    denominator = support + cm.sum(axis=0)
    if average == "micro":
        total = denominator.sum()
        return float(2 * tp.sum() / total) if total else 0.0
    per_class = np.divide(2 * tp, denominator, out=np.zeros(classes.size), where=denominator > 0)
    if average == "macro":
        return float(per_class.mean())
    return float(per_class @ support / support.sum()) if support.sum() else 0.0


def macro_f1(y_true: ArrayLike, y_pred: ArrayLike, *, labels: ArrayLike | None = None) -> float:
    """F1 averaged over classes with equal weight (see :func:`f1`)."""
    return f1(y_true, y_pred, average="macro", labels=labels)


def micro_f1(y_true: ArrayLike, y_pred: ArrayLike, *, labels: ArrayLike | None = None) -> float:
    """F1 of the pooled counts (see :func:`f1`)."""
    return f1(y_true, y_pred, average="micro", labels=labels)


def weighted_f1(y_true: ArrayLike, y_pred: ArrayLike, *, labels: ArrayLike | None = None) -> float:
    """F1 averaged over classes weighted by their true support (see :func:`f1`)."""
    return f1(y_true, y_pred, average="weighted", labels=labels)


# ----------------------------------------------------------------- scores


def _scores(y_true: ArrayLike, y_score: ArrayLike, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer classes and an (n, C) score matrix (a 1-D binary score becomes ``[1 - s, s]``)."""
    raw = np.asarray(y_true)
    if raw.ndim != 1 or raw.size == 0:
        raise ValueError(f"y_true: need a non-empty 1-D array of class indices, got shape {raw.shape}")
    if raw.dtype.kind == "f" and np.all(np.isfinite(raw)) and np.all(raw == np.round(raw)):
        raw = raw.astype(np.int64)
    if raw.dtype.kind not in "iub":
        raise ValueError(f"y_true: need integer class indices 0..C-1, got dtype {raw.dtype}")
    true = raw.astype(np.int64)
    score = np.asarray(y_score, dtype=np.float64)
    if score.ndim == 1:
        score = np.column_stack([1.0 - score, score])
    if score.ndim != 2 or score.shape[0] != true.size or score.shape[1] < 2:
        raise ValueError(f"{name}: need shape ({true.size},) or ({true.size}, n_classes >= 2), got {score.shape}")
    if not np.all(np.isfinite(score)):
        raise ValueError(f"{name}: contains NaN or infinite values")
    if true.min() < 0 or true.max() >= score.shape[1]:
        raise ValueError(f"y_true: class indices must be in 0..{score.shape[1] - 1}, found {true.min()}..{true.max()}")
    return true, score


def _probabilities(y_true: ArrayLike, y_prob: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    true, prob = _scores(y_true, y_prob, "y_prob")
    if prob.min() < 0 or prob.max() > 1:
        raise ValueError(f"y_prob: probabilities must be in [0, 1], found {prob.min():.6g}..{prob.max():.6g}")
    row_sums = prob.sum(axis=1)
    if not np.allclose(row_sums, 1.0, atol=1e-6):
        bad = int(np.argmax(np.abs(row_sums - 1.0)))
        raise ValueError(f"y_prob: row {bad} sums to {row_sums[bad]:.6g}, not 1; pass normalised probabilities")
    return true, prob


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks with ties given their average rank."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    new_value = np.concatenate([[True], ordered[1:] != ordered[:-1]])
    starts = np.flatnonzero(new_value)
    ends = np.concatenate([starts[1:], [values.size]])
    ranks = np.empty(values.size)
    ranks[order] = ((starts + 1 + ends) / 2.0)[np.cumsum(new_value) - 1]
    return ranks


def _binary_auc(positive: np.ndarray, score: np.ndarray) -> float:
    """Mann-Whitney AUC: P(score of a positive > score of a negative), ties count half."""
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    rank_sum = _average_ranks(score)[positive].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def _binary_average_precision(positive: np.ndarray, score: np.ndarray) -> float:
    """``sum_n (R_n - R_{n-1}) P_n`` over the distinct score thresholds, highest first."""
    order = np.argsort(-score, kind="mergesort")
    ordered = score[order]
    last_of_tie = np.concatenate([ordered[1:] != ordered[:-1], [True]])
    tp = np.cumsum(positive[order])[last_of_tie]
    predicted = (np.arange(1, score.size + 1))[last_of_tie]
    precision = tp / predicted
    recall = tp / tp[-1]
    return float(np.diff(recall, prepend=0.0) @ precision)


def _one_vs_rest(y_true: ArrayLike, y_score: ArrayLike, binary_metric: Any, what: str) -> float:
    true, score = _scores(y_true, y_score, "y_score")
    if np.ndim(y_score) == 1:
        positive = true == 1
        if positive.all() or not positive.any():
            raise ValueError(f"y_true: {what} needs both classes 0 and 1")
        return binary_metric(positive, score[:, 1])
    values = []
    for c in range(score.shape[1]):
        positive = true == c
        # A class without positives (or without negatives) has no defined value: it is left out.
        if positive.any() and not positive.all():
            values.append(binary_metric(positive, score[:, c]))
    if not values:
        raise ValueError(f"y_true: {what} needs at least one class with both positive and negative rows")
    return float(np.mean(values))


def roc_auc(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """ROC-AUC: binary for a 1-D score of class 1, one-vs-rest macro average for an (n, C) matrix.

    Scores may be any finite numbers (only their order matters); in the
    multi-class case classes absent from y_true are left out of the average.
    """
    return _one_vs_rest(y_true, y_score, _binary_auc, "ROC-AUC")


def pr_auc(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """PR-AUC as average precision ``sum_n (R_n - R_{n-1}) P_n``; binary or one-vs-rest macro (as :func:`roc_auc`)."""
    return _one_vs_rest(y_true, y_score, _binary_average_precision, "PR-AUC")


def log_loss(y_true: ArrayLike, y_prob: ArrayLike) -> float:
    """Mean negative log-likelihood of the true class, ``-mean(ln p_true)``, p clipped to [eps, 1 - eps]."""
    true, prob = _probabilities(y_true, y_prob)
    eps = np.finfo(np.float64).eps
    p_true = np.clip(prob, eps, 1 - eps)[np.arange(true.size), true]
    return float(-np.log(p_true).mean())


def expected_calibration_error(y_true: ArrayLike, y_prob: ArrayLike, *, n_bins: int = ECE_BINS) -> float:
    """Top-label ECE: ``sum_b (n_b / n) |accuracy_b - confidence_b|`` over equal-width confidence bins.

    The confidence of a row is its largest probability and it is correct when
    that class is the true one (a binary 1-D probability p is read as
    ``[1 - p, p]``). Bin b covers ``((b - 1) / n_bins, b / n_bins]``, the first
    bin also takes 0.
    """
    n_bins = positive_int(n_bins, "n_bins")
    true, prob = _probabilities(y_true, y_prob)
    confidence = prob.max(axis=1)
    correct = (prob.argmax(axis=1) == true).astype(np.float64)
    bins = np.clip(np.ceil(confidence * n_bins).astype(np.int64) - 1, 0, n_bins - 1)
    gap = np.bincount(bins, weights=correct, minlength=n_bins) - np.bincount(bins, weights=confidence, minlength=n_bins)
    return float(np.abs(gap).sum() / true.size)
