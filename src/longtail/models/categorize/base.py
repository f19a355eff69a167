"""What every categoriser shares: labels, the strategy's adjuster, scores and probabilities, save/load.

A categoriser maps product inputs (texts or embeddings) to one of the
``classes_`` seen in training. Subclasses train inside :meth:`_fit_with_strategy`
(which carves the validation slice a post-hoc adjuster needs) and give raw
logits through ``_logits``; scores are the adjusted logits, probabilities
their softmax, predictions their argmax.
"""

from __future__ import annotations

import os
from typing import Any, Callable, ClassVar

import numpy as np

from longtail.errors import LongtailError
from longtail.strategies import StrategyError
from longtail.models.categorize.remedies import validation_rows
from longtail.models.persist import load_model, save_model

KIND = "multiclass"


def check_labels(y: Any, n_rows: int) -> np.ndarray:
    """``y`` as a 1-D array with one label per input row; ValueError otherwise."""
    labels = np.asarray(y)
    if labels.ndim != 1 or labels.shape[0] != n_rows:
        raise ValueError(f"y must be 1-D with one label per input row ({n_rows}), got shape {labels.shape}")
    if labels.dtype == object and any(label is None for label in labels.tolist()):
        raise ValueError("y holds a missing label (None); drop the unlabelled rows first")
    if labels.dtype.kind == "f" and np.isnan(labels).any():
        raise ValueError("y holds a missing label (NaN); drop the unlabelled rows first")
    return labels


def check_number(value: Any, name: str, *, minimum: float = 0.0, integer: bool = False, open_low: bool = False) -> Any:
    """A constructor parameter checked to be a (whole) number at or above ``minimum``."""
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    ok = isinstance(value, kinds) and not isinstance(value, bool) and np.isfinite(value)
    ok = ok and (value > minimum if open_low else value >= minimum)
    if not ok:
        bound = f"> {minimum}" if open_low else f">= {minimum}"
        raise ValueError(f"{name} must be {'an integer' if integer else 'a number'} {bound}, got {value!r}")
    return int(value) if integer else float(value)


# ------------------------------------------------------------------ adjusters
def adjuster_state(adjuster: Any) -> tuple[dict[str, Any] | None, dict[str, np.ndarray]]:
    """Config and arrays of a fitted adjuster (threshold, logit or temperature), for safetensors + JSON."""
    from longtail.adjust import LogitAdjuster, TemperatureScaler, ThresholdMover

    if adjuster is None:
        return None, {}
    if isinstance(adjuster, ThresholdMover):
        return {"type": "threshold", "objective": adjuster.objective}, {"adjust.thresholds": adjuster.thresholds_}
    if isinstance(adjuster, TemperatureScaler):
        return {"type": "temperature", "temperature": adjuster.temperature_}, {}
    if isinstance(adjuster, LogitAdjuster):
        tensors = {"adjust.prior": adjuster.prior_}
        if adjuster.target_prior is not None:
            tensors["adjust.target_prior"] = adjuster.target_prior
        return {"type": "logit", "tau": adjuster.tau, "kind": adjuster.kind, "smoothing": adjuster.smoothing}, tensors
    raise LongtailError(f"adjuster {type(adjuster).__name__} cannot be saved; use threshold, logit-adjuster or temperature")


def restore_adjuster(config: dict[str, Any] | None, tensors: dict[str, np.ndarray]) -> Any:
    """The adjuster :func:`adjuster_state` described."""
    from longtail.adjust import LogitAdjuster, TemperatureScaler, ThresholdMover

    if config is None:
        return None
    kind = config["type"]
    if kind == "threshold":
        adjuster = ThresholdMover(objective=config["objective"])
        adjuster.thresholds_, adjuster.binary_ = np.asarray(tensors["adjust.thresholds"], dtype=np.float64), False
        return adjuster
    if kind == "temperature":
        adjuster = TemperatureScaler()
        adjuster.temperature_ = float(config["temperature"])
        return adjuster
    if kind == "logit":
        return LogitAdjuster(
            config["tau"], prior=tensors["adjust.prior"], target_prior=tensors.get("adjust.target_prior"),
            kind=config["kind"], smoothing=config["smoothing"],
        )
    raise LongtailError(f"unknown adjuster type '{kind}' in the model config; re-save the model")


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float64."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    return shifted / shifted.sum(axis=1, keepdims=True)


class CategoryClassifier:
    """Base of TfidfLogReg, EmbeddingClassifier and FineTunedClassifier."""

    #: the name the categorize task knows the model by
    model_name: ClassVar[str] = "classifier"
    #: constructor parameters saved with the model (the device is not: load picks it)
    param_names: ClassVar[tuple[str, ...]] = ()

    classes_: np.ndarray | None = None
    adjuster_: Any = None
    seed: int = 0
    valid_fraction: float = 0.15

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters, as given."""
        return {name: getattr(self, name) for name in self.param_names}

    # -------------------------------------------------------------- fitting
    def _fit_with_strategy(
        self,
        y: Any,
        n_rows: int,
        strategy: Any,
        train: Callable[[np.ndarray, np.ndarray], np.ndarray],
        logits: Callable[[np.ndarray], np.ndarray],
    ) -> None:
        """Encode labels, hold out validation rows if the adjuster needs them, train, fit the adjuster.

        ``train(rows, codes)`` fits on those input rows and returns the class
        counts the model was finally trained on (after resampling and
        augmentation); ``logits(rows)`` scores input rows.
        """
        labels = check_labels(y, n_rows)
        classes, codes = np.unique(labels, return_inverse=True)
        if classes.size < 2:
            raise ValueError(f"y has {classes.size} class; a categoriser needs at least 2 classes")
        if strategy is not None and not strategy.applies_to(KIND):
            raise StrategyError(f"strategy {strategy.name} does not apply to {KIND} models like '{self.model_name}'")
        self.classes_, self.adjuster_ = classes, None
        codes = codes.astype(np.int64)
        fit_rows, valid_rows = np.arange(n_rows), None
        if strategy is not None and strategy.adjust is not None:
            probe = strategy.make_adjuster(class_counts=np.bincount(codes, minlength=classes.size))
            if getattr(probe, "prior_", None) is None:  # fitted on validation scores, not given a prior
                fit_rows, valid_rows = validation_rows(codes, self.valid_fraction, self.seed)
                if valid_rows.size == 0:
                    raise LongtailError(
                        f"strategy '{strategy.name}': no class has enough rows to hold out a validation slice for "
                        f"its {strategy.adjust.name} adjuster; give more training rows or a strategy without one"
                    )
        counts = train(fit_rows, codes[fit_rows])
        if strategy is not None and strategy.adjust is not None:
            adjuster = strategy.make_adjuster(class_counts=np.asarray(counts, dtype=np.float64))
            if valid_rows is not None:
                adjuster.fit(logits(valid_rows), codes[valid_rows])
            self.adjuster_ = adjuster

    def _require_fitted(self) -> None:
        if self.classes_ is None:
            raise ValueError(f"{type(self).__name__} is not fitted; call fit(inputs, y) first")

    # -------------------------------------------------------------- scoring
    def _raw_logits(self, inputs: Any) -> np.ndarray:
        raise NotImplementedError

    def decision_function(self, inputs: Any) -> np.ndarray:
        """Class scores (n, n_classes) in ``classes_`` order: logits, after the strategy's adjuster if any."""
        self._require_fitted()
        scores = np.asarray(self._raw_logits(inputs), dtype=np.float64)
        return scores if self.adjuster_ is None else np.asarray(self.adjuster_.transform(scores), dtype=np.float64)

    def predict_proba(self, inputs: Any) -> np.ndarray:
        """Class probabilities (n, n_classes) in ``classes_`` order: the softmax of :meth:`decision_function`."""
        return softmax(self.decision_function(inputs))

    def predict(self, inputs: Any) -> np.ndarray:
        """The most likely class label of each input."""
        return self.classes_[np.argmax(self.decision_function(inputs), axis=1)]

    # ---------------------------------------------------------- persistence
    def save(self, directory: str | os.PathLike) -> Any:
        """Write the fitted model to ``directory`` (model.safetensors + config.json, no pickle)."""
        self._require_fitted()
        return save_model(self, directory)

    @classmethod
    def load(cls, directory: str | os.PathLike, device: str | None = None) -> "CategoryClassifier":
        """A model saved by :meth:`save` (torch models on ``device``, default CPU)."""
        model = load_model(directory)
        if not isinstance(model, cls):
            raise LongtailError(f"{directory} holds a {type(model).__name__}, not a {cls.__name__}; load it with that class")
        return model.to(device) if device else model

    def to(self, device: str) -> "CategoryClassifier":
        """Move the model to ``device`` (no-op for models without tensors); returns self."""
        return self

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Model-specific config and arrays."""
        raise NotImplementedError

    def _load_state(self, config: dict[str, Any], tensors: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def _export(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        state, tensors = self._state()
        adjust_config, adjust_tensors = adjuster_state(self.adjuster_)
        config = {"params": self.get_params(), "classes": self.classes_.tolist(), "adjuster": adjust_config, "state": state}
        return config, {**tensors, **adjust_tensors}

    @classmethod
    def _restore(cls, config: dict[str, Any], tensors: dict[str, np.ndarray]) -> "CategoryClassifier":
        model = cls(**config["params"])
        model.classes_ = np.asarray(config["classes"])
        model.adjuster_ = restore_adjuster(config["adjuster"], tensors)
        model._load_state(config["state"], tensors)
        return model
