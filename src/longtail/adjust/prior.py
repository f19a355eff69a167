"""Prior correction at inference: logit adjustment and its probability form.

A model trained on skewed labels learns ``p(y|x)`` under the training prior
``pi``. To score under a target prior ``q`` (uniform by default: every class
equally likely, which targets balanced error):

* logits (Menon et al., 2021): ``f_y(x) - tau * log pi_y + tau * log q_y``;
* probabilities (Saerens et al., 2002): ``p(y|x) * (q_y / pi_y)^tau``,
  renormalised over ``y``.

For ``p = softmax(f)`` the two agree. 1-D scores are binary: a logit (or the
probability of class 1) with prior ``(pi_0, pi_1)``.
"""

from __future__ import annotations

import numpy as np

from longtail.adjust._base import as_class_labels, as_scores, require_fitted
from longtail.augment._checks import check_positive
from longtail.errors import InputError

KINDS = ("logits", "probabilities")


def _as_prior(prior: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(prior, dtype=np.float64)
    if arr.ndim != 1 or arr.size < 2 or not np.isfinite(arr).all() or (arr <= 0).any():
        raise ValueError(
            f"{name} must be a 1-D array of at least two positive class weights, got {prior!r}; "
            "pass class counts or frequencies (use smoothing > 0 for classes never seen)"
        )
    return arr / arr.sum()


class LogitAdjuster:
    """Shift scores from the training prior to a target prior.

    The training prior comes from ``prior=`` (counts or frequencies) or from
    the label counts seen by :meth:`fit`, plus ``smoothing`` per class.
    """

    def __init__(
        self,
        tau: float = 1.0,
        *,
        prior: np.ndarray | None = None,
        target_prior: np.ndarray | None = None,
        kind: str = "logits",
        smoothing: float = 0.0,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        self.tau = check_positive("tau", tau, allow_zero=True)
        self.kind = kind
        self.smoothing = check_positive("smoothing", smoothing, allow_zero=True)
        self.target_prior = None if target_prior is None else _as_prior(target_prior, "target_prior")
        self.prior_ = None if prior is None else _as_prior(prior, "prior")

    def fit(self, scores: np.ndarray | None, y: np.ndarray) -> LogitAdjuster:
        """Learn the training prior from the label counts of ``y``.

        ``scores`` (may be ``None``) fixes the number of classes, so classes
        missing from ``y`` are noticed.
        """
        if scores is not None:
            scores = as_scores(scores, allow_inf=self.kind == "logits")
            n_classes = 2 if scores.ndim == 1 else scores.shape[1]
            y = as_class_labels(y, scores.shape[0], n_classes)
        else:
            y = np.asarray(y)
            y = as_class_labels(y, y.shape[0] if y.ndim else -1, None)
            n_classes = max(int(y.max()) + 1 if y.size else 0, 2)
        counts = np.bincount(y, minlength=n_classes) + self.smoothing
        if (counts <= 0).any():
            missing = int(np.flatnonzero(counts <= 0)[0])
            raise InputError(
                f"class {missing} never occurs, so its prior is 0",
                column="y",
                fix="pass smoothing > 0 or an explicit prior=",
            )
        self.prior_ = counts / counts.sum()
        return self

    def _log_ratio(self, n_classes: int) -> np.ndarray:
        """``tau * (log q - log pi)`` per class."""
        require_fitted(self, "prior_", "fit(scores, y) or pass prior=")
        if self.prior_.size != n_classes:
            raise ValueError(f"scores have {n_classes} classes but the prior has {self.prior_.size}; match them")
        target = np.full(n_classes, 1.0 / n_classes) if self.target_prior is None else self.target_prior
        if target.size != n_classes:
            raise ValueError(f"target_prior has {target.size} classes but scores {n_classes}; match them")
        return self.tau * (np.log(target) - np.log(self.prior_))

    def transform(self, scores: np.ndarray) -> np.ndarray:
        """Scores under the target prior (same kind and shape as the input)."""
        scores = as_scores(scores, allow_inf=self.kind == "logits")
        shift = self._log_ratio(2 if scores.ndim == 1 else scores.shape[1])
        if self.kind == "logits":
            return scores + (shift[1] - shift[0] if scores.ndim == 1 else shift)
        if scores.min() < 0 or scores.max() > 1:
            raise ValueError("kind='probabilities' needs scores in [0, 1]; use kind='logits' for raw model outputs")
        if scores.ndim == 1:
            scores = np.column_stack([1 - scores, scores])
            return _reweight(scores, shift)[:, 1]
        return _reweight(scores, shift)


def _reweight(probabilities: np.ndarray, log_ratio: np.ndarray) -> np.ndarray:
    weighted = probabilities * np.exp(log_ratio - log_ratio.max())
    total = weighted.sum(axis=1, keepdims=True)
    return np.divide(weighted, total, out=np.full_like(weighted, 1.0 / weighted.shape[1]), where=total > 0)
