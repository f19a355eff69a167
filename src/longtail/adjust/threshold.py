"""Threshold moving: pick decision thresholds on validation data.

Binary scores ``s`` (1-D): one threshold ``t``, predict ``s >= t``.
Multi-class scores ``S`` (n, C): one threshold per class, chosen one-vs-rest
on column ``c`` against ``y == c``; predict ``argmax_c (S[:, c] - t_c)``.
Each threshold maximises F1 = 2TP / (2TP + FP + FN) or the G-mean
sqrt(TPR * TNR) over all distinct validation scores, in one sorted pass.
"""

from __future__ import annotations

import warnings

import numpy as np

from longtail.adjust._base import as_class_labels, as_scores, require_fitted
from longtail.errors import InputError

OBJECTIVES = ("f1", "gmean")


def threshold_curve(scores: np.ndarray, positive: np.ndarray, objective: str) -> tuple[np.ndarray, np.ndarray]:
    """Objective value for every distinct score used as threshold (``score >= t``).

    Returns ``(thresholds, values)`` with thresholds in decreasing order.
    """
    order = np.argsort(-scores, kind="stable")
    s, p = scores[order], positive[order].astype(np.float64)
    last = np.r_[np.flatnonzero(np.diff(s) != 0), s.size - 1]  # last row of each run of equal scores
    tp = np.cumsum(p)[last]
    fp = (last + 1) - tp
    n_pos = p.sum()
    n_neg = s.size - n_pos
    if objective == "f1":
        values = 2 * tp / (tp + fp + n_pos)
    else:
        values = np.sqrt(tp / n_pos * (1 - fp / n_neg))
    return s[last], values


def best_threshold(scores: np.ndarray, positive: np.ndarray, objective: str) -> tuple[float, float]:
    """The threshold with the best objective value, and that value.

    The threshold is placed half-way to the next lower distinct score, so that
    the validation predictions are the same and unseen scores fall between.
    """
    thresholds, values = threshold_curve(scores, positive, objective)
    best = int(np.argmax(values))
    threshold = thresholds[best]
    if best + 1 < thresholds.size:
        middle = (thresholds[best] + thresholds[best + 1]) / 2
        if thresholds[best + 1] < middle < thresholds[best]:
            threshold = middle
    return float(threshold), float(values[best])


class ThresholdMover:
    """Per-class threshold moving fitted on validation scores.

    ``transform`` returns margins (``scores - threshold``: positive means
    predicted for binary; the class with the largest margin is predicted for
    multi-class). A class absent from the validation labels gets the mean
    threshold of the others (counted in ``n_unseen_classes_``).
    """

    def __init__(self, objective: str = "f1") -> None:
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
        self.objective = objective
        self.thresholds_: np.ndarray | None = None
        self.objective_values_: np.ndarray | None = None
        self.binary_: bool | None = None
        self.n_unseen_classes_ = 0

    @property
    def threshold_(self) -> float:
        """The binary threshold."""
        require_fitted(self, "thresholds_")
        if not self.binary_:
            raise ValueError("threshold_ is for binary scores; use thresholds_ for multi-class")
        return float(self.thresholds_[0])

    def fit(self, scores: np.ndarray, y: np.ndarray) -> ThresholdMover:
        """Choose the thresholds that maximise the objective on ``(scores, y)``."""
        scores = as_scores(scores)
        self.binary_ = scores.ndim == 1
        columns = scores[:, None] if self.binary_ else scores
        n_classes = 2 if self.binary_ else columns.shape[1]
        y = as_class_labels(y, scores.shape[0], n_classes)
        targets = [y == 1] if self.binary_ else [y == c for c in range(n_classes)]
        thresholds = np.full(columns.shape[1], np.nan)
        values = np.full(columns.shape[1], np.nan)
        for c, positive in enumerate(targets):
            if positive.all() or not positive.any():
                continue
            thresholds[c], values[c] = best_threshold(columns[:, c], positive, self.objective)
        unseen = np.isnan(thresholds)
        if self.binary_ and unseen.any():
            raise InputError("y holds a single class", column="y", fix="fit on validation data with both classes")
        if unseen.all():
            raise InputError("no class has both positive and negative rows", column="y", fix="use more validation data")
        if unseen.any():
            self.n_unseen_classes_ = int(unseen.sum())
            warnings.warn(
                f"{self.n_unseen_classes_} classes have no validation rows (or only those); "
                "they get the mean threshold of the others",
                stacklevel=2,
            )
            thresholds[unseen] = thresholds[~unseen].mean()
        self.thresholds_, self.objective_values_ = thresholds, values
        return self

    def transform(self, scores: np.ndarray) -> np.ndarray:
        """Margins ``scores - threshold`` (per class for 2-D scores)."""
        require_fitted(self, "thresholds_")
        scores = as_scores(scores)
        if (scores.ndim == 1) != self.binary_ or (scores.ndim == 2 and scores.shape[1] != self.thresholds_.size):
            expected = "1-D scores" if self.binary_ else f"2-D scores with {self.thresholds_.size} columns"
            raise ValueError(f"scores has shape {scores.shape} but the mover was fitted on {expected}")
        return scores - (self.thresholds_[0] if self.binary_ else self.thresholds_)

    def predict(self, scores: np.ndarray) -> np.ndarray:
        """Predicted labels: 0/1 for binary, the class index for multi-class."""
        margins = self.transform(scores)
        if self.binary_:
            return (margins >= 0).astype(np.int64)
        return np.argmax(margins, axis=1)
