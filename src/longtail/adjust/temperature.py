"""Temperature scaling (Guo et al., 2017): calibrate logits by one scalar.

``T`` minimises the validation negative log-likelihood
``mean_i [logsumexp(z_i / T) - z_{i,y_i} / T]``, searched over ``u = log T``
(so ``T`` stays positive) with L-BFGS and the exact gradient
``d NLL / d u = mean_i (z_{i,y_i} - E_{softmax(z_i/T)}[z_i]) / T``.
1-D logits are binary (class 1 against a zero logit for class 0).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, logsumexp, softmax

from longtail.adjust._base import as_class_labels, as_scores, require_fitted
from longtail.errors import LongtailError

# log T is searched in [log 1e-3, log 1e3]: wider values mean the logits carry no usable scale
_LOG_T_BOUNDS = (np.log(1e-3), np.log(1e3))


def _as_columns(logits: np.ndarray) -> np.ndarray:
    return np.column_stack([np.zeros_like(logits), logits]) if logits.ndim == 1 else logits


def nll_and_gradient(log_t: float, logits: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Mean NLL of ``softmax(logits / exp(log_t))`` and its derivative in ``log_t``."""
    t = np.exp(log_t)
    scaled = logits / t
    log_norm = logsumexp(scaled, axis=1)
    true = scaled[np.arange(y.size), y]
    expected = (softmax(scaled, axis=1) * scaled).sum(axis=1)
    return float(np.mean(log_norm - true)), float(np.mean(true - expected))


class TemperatureScaler:
    """Fit one temperature ``T`` on validation logits; ``transform`` gives ``logits / T``."""

    def __init__(self) -> None:
        self.temperature_: float | None = None

    def fit(self, scores: np.ndarray, y: np.ndarray) -> TemperatureScaler:
        """Find the ``T`` that minimises the NLL of ``(scores, y)``."""
        logits = _as_columns(as_scores(scores, "scores (logits)"))
        y = as_class_labels(y, logits.shape[0], logits.shape[1])
        if y.size == 0:
            raise ValueError("scores is empty; fit on at least one validation row")
        result = minimize(
            nll_and_gradient,
            x0=np.array([0.0]),
            args=(logits, y),
            jac=True,
            method="L-BFGS-B",
            bounds=[_LOG_T_BOUNDS],
        )
        if not result.success:
            raise LongtailError(f"temperature fit did not converge ({result.message}); check the logits are finite")
        self.temperature_ = float(np.exp(result.x[0]))
        return self

    def transform(self, scores: np.ndarray) -> np.ndarray:
        """``scores / T`` (same shape)."""
        require_fitted(self, "temperature_")
        return as_scores(scores, "scores (logits)") / self.temperature_

    def predict_proba(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated probabilities: softmax over classes, or P(class 1) for 1-D logits."""
        scaled = self.transform(scores)
        if scaled.ndim == 1:
            return expit(scaled)
        return softmax(scaled, axis=1)
