"""What the click / purchase models share: input checks, the strategy's slots, post-hoc calibration.

A binary model here is fitted on ``X``, an (n, F) int64 matrix of field codes
(one column per categorical field; 0 is "unknown"), and 0/1 labels. It
exposes raw logits through ``_raw_logits(X)``; :class:`BinaryModel` turns
them into calibrated probabilities and decisions with the post-hoc step a
strategy's ``adjust`` slot fitted on validation rows.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np
from scipy.special import expit

from longtail.errors import LongtailError
from longtail.models.persist import load_model, save_model
from longtail.strategies import StrategyError

#: exponent of the popularity propensity (n_i / max n)^eta used by IPS without a known logging policy (Yang et al. 2018)
POPULARITY_ETA = 0.5
#: share of the training rows held out for the adjust slot when no validation rows are given
VALID_SHARE = 0.1


# ------------------------------------------------------------------ inputs
def check_codes(X: Any, name: str = "X") -> np.ndarray:
    """``X`` as a 2-D int64 matrix of non-negative field codes; ValueError otherwise."""
    arr = np.asarray(X)
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise ValueError(f"{name} must be a 2-D array (n_rows, n_fields) of field codes, got shape {arr.shape}")
    if arr.size and arr.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integer field codes, got dtype {arr.dtype}; encode each field as 0..n-1")
    arr = arr.astype(np.int64, copy=False)
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name} holds a negative code ({arr.min()}); codes are >= 0, with 0 for unknown values")
    return arr


def check_labels(y: Any, n_rows: int, name: str = "y") -> np.ndarray:
    """``y`` as a 1-D int64 array of 0/1 labels with one label per row and both classes present."""
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.shape[0] != n_rows:
        raise ValueError(f"{name} must be 1-D with one label per row ({n_rows}), got shape {arr.shape}")
    if arr.size and not np.isin(arr, (0, 1)).all():
        raise ValueError(f"{name} must hold 0/1 labels (1 = clicked / bought)")
    arr = arr.astype(np.int64)
    if arr.size == 0 or arr.min() == arr.max():
        raise ValueError(f"{name} holds a single class; a binary model needs positive and negative rows")
    return arr


def check_propensity(propensity: Any, n_rows: int) -> np.ndarray | None:
    """Per-row propensities in (0, 1] as float64, or None."""
    if propensity is None:
        return None
    arr = np.asarray(propensity, dtype=np.float64)
    if arr.shape != (n_rows,):
        raise ValueError(f"propensity must have one value per row ({n_rows}), got shape {arr.shape}")
    if not np.isfinite(arr).all() or (arr <= 0).any() or (arr > 1).any():
        raise ValueError("propensity must lie in (0, 1]: the probability that each row was logged")
    return arr


def check_text(item_text: Any, item_field: int | None) -> np.ndarray | None:
    """Item text vectors as float32 (n_item_codes, d) with a zero row appended for codes without text."""
    if item_text is None:
        return None
    table = np.asarray(item_text, dtype=np.float32)
    if table.ndim != 2 or table.shape[0] == 0:
        raise ValueError(f"item_text must be a 2-D array (n_item_codes, dim), got shape {table.shape}")
    if not np.isfinite(table).all():
        raise ValueError("item_text holds NaN or infinite values; give zeros to items without text")
    if item_field is None:
        raise ValueError("item_text needs item_field, the column of X holding the item codes that index it")
    return np.vstack([table, np.zeros((1, table.shape[1]), dtype=np.float32)])


def check_item_field(item_field: int | None, n_fields: int) -> int | None:
    """``item_field`` if it names a column of X (or is None); ValueError otherwise."""
    if item_field is not None and (isinstance(item_field, bool) or not 0 <= int(item_field) < n_fields):
        raise ValueError(f"item_field must be a column of X in 0..{n_fields - 1}, got {item_field!r}")
    return None if item_field is None else int(item_field)


def class_counts(y: np.ndarray) -> np.ndarray:
    """(negatives, positives) of 0/1 labels."""
    return np.bincount(y, minlength=2).astype(np.int64)


def popularity_propensity(codes: np.ndarray) -> np.ndarray:
    """Per-row propensity ``(n_i / max n)^eta`` from how often each row's code occurs."""
    counts = np.bincount(codes)
    return (counts[codes] / counts.max()) ** POPULARITY_ETA


# ------------------------------------------------------------ strategy slots
def check_strategy(strategy: Any, model_name: str) -> None:
    """Refuse the slots an id-feature model cannot act on (augmenters; samplers are checked when they run)."""
    if strategy is None:
        return
    if not strategy.applies_to("binary"):
        raise StrategyError(f"strategy {strategy.name} does not apply to binary models such as {model_name}")
    if strategy.augment is not None:
        raise StrategyError(
            f"strategy '{strategy.name}' sets the augment slot ({strategy.augment.name}), which model '{model_name}' "
            "cannot use: its features are ids, not vectors to perturb; use a sampler or loss strategy instead"
        )


def resampled_rows(strategy: Any, y: np.ndarray, seed: int) -> np.ndarray | None:
    """Row indices chosen by the strategy's sampler (None without one).

    Id features cannot be interpolated or compared by distance, so only a
    sampler that picks whole rows by label qualifies: ours or
    imbalanced-learn's random over- and under-samplers, or any other that
    passes :func:`longtail.sampling.selected_rows`.
    """
    if strategy is None or strategy.sampler is None:
        return None
    from longtail.sampling import RowSelectionError, selected_rows

    sampler = strategy.make_sampler(random_state=seed)
    try:
        return selected_rows(sampler, y)
    except RowSelectionError as exc:
        does = (
            "made up rows instead of picking them (e.g. SMOTE, or shrinkage)" if exc.reason == "synthesises"
            else "picks rows by their feature values (e.g. Tomek links), or is not seeded by random_state"
        )
        raise StrategyError(
            f"sampler {strategy.sampler.name} of strategy '{strategy.name}' {does}; the click models have id "
            "features, so use a sampler that picks whole rows by label, such as random-over or random-under"
        ) from exc


def validation_rows(y: np.ndarray, seed: int, share: float = VALID_SHARE) -> tuple[np.ndarray, np.ndarray]:
    """(train rows, validation rows): a seeded stratified ``share`` of each class held out."""
    rng = np.random.default_rng(seed)
    held = []
    for label in (0, 1):
        rows = np.flatnonzero(y == label)
        if rows.size < 2:
            raise LongtailError(
                f"only {rows.size} row(s) of class {label}: too few to hold out validation rows for the adjust slot; "
                "pass valid= or use more data"
            )
        held.append(rng.choice(rows, size=max(1, round(share * rows.size)), replace=False))
    valid = np.sort(np.concatenate(held))
    return np.setdiff1d(np.arange(y.size), valid), valid


# ------------------------------------------------------------- post-hoc step
@dataclass
class PostHoc:
    """The post-hoc step of a binary model: ``p = sigmoid(scale * logit + offset)``, positive when ``p >= threshold``.

    Temperature scaling and prior (logit) adjustment are affine maps of the
    logit; threshold moving changes only the decision threshold.
    """

    scale: float = 1.0
    offset: float = 0.0
    threshold: float = 0.5

    def logits(self, raw: np.ndarray) -> np.ndarray:
        """The adjusted logits."""
        return self.scale * np.asarray(raw, dtype=np.float64) + self.offset

    def probabilities(self, raw: np.ndarray) -> np.ndarray:
        """P(positive) of each row from raw logits."""
        return expit(self.logits(raw))

    def to_dict(self) -> dict[str, float]:
        """Plain floats, for config.json."""
        return {key: float(value) for key, value in asdict(self).items()}


def _is_fitted(adjuster: Any) -> bool:
    from longtail.adjust import NotFittedError

    try:
        adjuster.transform(np.zeros(1))
    except NotFittedError:
        return False
    return True


def _affine(adjuster: Any) -> tuple[float, float]:
    """(scale, offset) of an adjuster that maps logits affinely; LongtailError if it does not."""
    probe = np.array([0.0, 1.0, -3.0, 7.5])
    out = np.asarray(adjuster.transform(probe), dtype=np.float64)
    offset, scale = out[0], out[1] - out[0]
    if not np.allclose(out, scale * probe + offset, rtol=1e-9, atol=1e-9):
        raise LongtailError(
            f"adjuster {type(adjuster).__name__} does not shift or scale binary logits; "
            "binary models take threshold, logit-adjuster or temperature"
        )
    return float(scale), float(offset)


def fit_post_hoc(
    strategy: Any, counts: np.ndarray, valid_logits: np.ndarray | None, valid_y: np.ndarray | None
) -> PostHoc:
    """The strategy's adjuster fitted on validation logits, as a :class:`PostHoc` (identity without one).

    ``counts`` are the (negative, positive) rows the model was trained on: the
    prior a logit adjuster removes.
    """
    if strategy is None or strategy.adjust is None:
        return PostHoc()
    from longtail.adjust import ThresholdMover

    adjuster = strategy.make_adjuster(class_counts=np.asarray(counts, dtype=np.float64))
    if isinstance(adjuster, ThresholdMover):
        adjuster.fit(expit(valid_logits), valid_y)
        return PostHoc(threshold=adjuster.threshold_)
    if not _is_fitted(adjuster):
        adjuster.fit(valid_logits, valid_y)
    scale, offset = _affine(adjuster)
    return PostHoc(scale=scale, offset=offset)


# --------------------------------------------------------------- the base
class TrainingRows(NamedTuple):
    """The rows a binary model trains on after the strategy's sampler, plus its validation rows."""

    X: np.ndarray
    y: np.ndarray
    propensity: np.ndarray | None
    counts: np.ndarray
    valid: tuple[np.ndarray, np.ndarray] | None


def row_propensity(rows: TrainingRows, item_field: int | None) -> np.ndarray:
    """The given propensities, else item-popularity ones from the item column."""
    if rows.propensity is not None:
        return rows.propensity
    if item_field is None:
        raise ValueError("an ips strategy needs propensity= (one per row) or item_field= to estimate it from popularity")
    return popularity_propensity(rows.X[:, item_field])


class BinaryModel:
    """Base of the click / purchase models: strategy handling, calibrated output, save/load.

    Subclasses implement ``_raw_logits(X)`` and the ``_export`` /
    ``_restore`` pair (calling :meth:`_export_base` / :meth:`_restore_base`).
    """

    #: the name the ctr task knows the model by
    model_name: ClassVar[str] = "binary"
    #: constructor parameters, saved with the model
    param_names: ClassVar[tuple[str, ...]] = ()
    post_: PostHoc | None = None
    seed: int = 0

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters that are saved with the model (not the device)."""
        return {name: getattr(self, name) for name in self.param_names}

    # ------------------------------------------------------------------ fitting
    def _begin_fit(
        self, X: Any, y: Any, strategy: Any, propensity: Any, valid: tuple[Any, Any] | None
    ) -> TrainingRows:
        """Check the inputs, hold out validation rows if the adjust slot needs them, apply the sampler."""
        X = check_codes(X)
        y = check_labels(y, X.shape[0])
        propensity = check_propensity(propensity, X.shape[0])
        check_strategy(strategy, self.model_name)
        if valid is not None:
            valid_X = check_codes(valid[0], "valid X")
            if valid_X.shape[1] != X.shape[1]:
                raise ValueError(f"valid X has {valid_X.shape[1]} fields but X has {X.shape[1]}; use the same fields")
            valid = (valid_X, check_labels(valid[1], valid_X.shape[0], "valid y"))
        elif strategy is not None and strategy.adjust is not None:
            keep, held = validation_rows(y, self.seed)
            valid = (X[held], y[held])
            X, y = X[keep], y[keep]
            propensity = None if propensity is None else propensity[keep]
        rows = resampled_rows(strategy, y, self.seed)
        if rows is not None:
            X, y = X[rows], y[rows]
            propensity = None if propensity is None else propensity[rows]
        return TrainingRows(X, y, propensity, class_counts(y), valid)

    def _finish_fit(self, strategy: Any, rows: TrainingRows) -> None:
        """Fit the post-hoc step on the validation rows."""
        needs_valid = strategy is not None and strategy.adjust is not None
        valid_logits = self._raw_logits(rows.valid[0]) if needs_valid else None
        self.post_ = fit_post_hoc(strategy, rows.counts, valid_logits, rows.valid[1] if needs_valid else None)

    # ----------------------------------------------------------------- scoring
    def _raw_logits(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _require_fitted(self) -> None:
        if self.post_ is None:
            raise ValueError(f"{type(self).__name__} is not fitted; call fit(X, y) first")

    def decision_function(self, X: Any) -> np.ndarray:
        """Logit of each row after the post-hoc step, float64 (n,)."""
        self._require_fitted()
        return self.post_.logits(self._raw_logits(check_codes(X)))

    def predict_proba(self, X: Any) -> np.ndarray:
        """(n, 2) probabilities of (negative, positive), as scikit-learn."""
        positive = expit(self.decision_function(X))
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X: Any) -> np.ndarray:
        """0/1 decisions at the fitted threshold (0.5 unless the strategy moved it)."""
        return (self.predict_proba(X)[:, 1] >= self.post_.threshold).astype(np.int64)

    @property
    def threshold_(self) -> float:
        """The probability at and above which a row is predicted positive."""
        self._require_fitted()
        return self.post_.threshold

    # -------------------------------------------------------------- persistence
    def save(self, directory: str | os.PathLike) -> Any:
        """Write the fitted model to ``directory`` (model.safetensors + config.json)."""
        self._require_fitted()
        return save_model(self, directory)

    @classmethod
    def load(cls, directory: str | os.PathLike) -> "BinaryModel":
        """A model saved by :meth:`save`."""
        model = load_model(directory)
        if not isinstance(model, cls):
            raise LongtailError(f"{directory} holds a {type(model).__name__}, not a {cls.__name__}; load it with that class")
        return model

    def _export_base(self) -> dict[str, Any]:
        return {"post_hoc": self.post_.to_dict()}

    def _restore_base(self, config: dict[str, Any]) -> None:
        self.post_ = PostHoc(**config["post_hoc"])
