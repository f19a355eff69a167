"""The sampler contract shared by every class-level sampler.

A sampler follows imbalanced-learn: ``fit_resample(X, y) -> (X_res, y_res)``,
``sampling_strategy`` resolved into ``sampling_strategy_`` and, where rows are
selected rather than made up, ``sample_indices_``. Inputs may be numpy arrays,
lists, pandas or polars objects; outputs come back in the same kind.
"""

from __future__ import annotations

import copy
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from longtail.sampling import convert
from longtail.sampling.strategy import resolve_sampling_strategy


def make_rng(random_state: Any) -> np.random.Generator:
    """A numpy Generator from ``None``, an int, a Generator or a legacy RandomState."""
    if random_state is None or isinstance(random_state, (Integral, np.random.SeedSequence)):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        # Draw the seed from the caller's stream so that reusing it gives new draws, as in scikit-learn.
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    raise ValueError(
        f"random_state={random_state!r} is not understood; give None, an int, "
        "a numpy Generator or a numpy RandomState"
    )


class BaseSampler(BaseEstimator):
    """Validation, strategy resolution and output conversion for every sampler.

    Subclasses set ``_sampling_type`` and implement ``_resample(X, y)``, which
    returns either an index array (rows selected from the input: kept in the
    caller's own table so that mixed column types survive) or a pair of numpy
    arrays ``(X_res, y_res)``.
    """

    _estimator_type = "sampler"
    _sampling_type = "over-sampling"

    def _needs_numbers(self) -> bool:
        return True

    def _check_params(self) -> None:
        """Raise ``ValueError`` for a bad constructor parameter."""

    def _validate(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        self._check_params()
        numeric = self._needs_numbers()
        X_arr = convert.to_numpy_x(X, numeric=numeric)
        y_arr = convert.to_numpy_y(y)
        convert.check_lengths(X_arr, y_arr)
        if numeric:
            convert.check_finite(X_arr, convert.describe(X).columns)
        self.sampling_strategy_ = resolve_sampling_strategy(self.sampling_strategy, y_arr, self._sampling_type)
        self.n_features_in_ = X_arr.shape[1]
        return X_arr, y_arr

    def fit(self, X: Any, y: Any) -> "BaseSampler":
        """Check the input and resolve ``sampling_strategy_``; use ``fit_resample`` to resample."""
        self._validate(X, y)
        return self

    def fit_resample(self, X: Any, y: Any) -> tuple[Any, Any]:
        """Resample ``X`` and ``y``; returns ``(X_res, y_res)`` of the same kind as given."""
        x_frame, y_frame = convert.describe(X), convert.describe(y)
        X_arr, y_arr = self._validate(X, y)
        out = self._resample(X_arr, y_arr)
        if isinstance(out, np.ndarray):
            self.sample_indices_ = out
            return convert.take_rows(X_arr, x_frame, out), convert.take_rows(y_arr, y_frame, out)
        X_res, y_res = out
        return convert.rebuild_x(X_res, x_frame), convert.rebuild_y(y_res, y_frame)

    def _resample(self, X: np.ndarray, y: np.ndarray) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


#: parameters of samplers that work with nearest neighbours (SMOTE family, NearMiss, edited nearest neighbours)
_NEIGHBOUR_PARAMS = ("k_neighbors", "n_neighbors", "m_neighbors")


class RowSelectionError(ValueError):
    """A sampler that does not pick existing rows by their labels alone.

    ``reason`` is ``"synthesises"`` (its output rows are not input rows) or
    ``"features"`` (which rows it picks depends on the feature values, as
    with Tomek links or NearMiss).
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def selected_rows(sampler: Any, y: Any) -> np.ndarray:
    """The rows ``sampler`` picks for labels ``y``, for models whose rows are not feature vectors.

    Any sampler of the imbalanced-learn contract qualifies (ours or
    imbalanced-learn's) if it only selects rows by label: after
    ``fit_resample`` it has ``sample_indices_`` and its output equals
    ``X[sample_indices_]``. The sampler sees each row's index as its only
    feature, so rows it makes up show as values that are not input rows; it
    is then run again, on a copy, with the indices shuffled: a sampler that
    judges rows by their feature values would judge text or id rows by
    meaningless numbers, and shows it by picking other rows. Samplers with a
    neighbour count (``k_neighbors``, ``n_neighbors``) are refused without
    running. Raises :class:`RowSelectionError` otherwise. ``sampler`` must
    be seeded (``random_state``), or the second run draws other rows.
    """
    labels = np.asarray(y)
    n = labels.shape[0]
    neighbours = [name for name in _NEIGHBOUR_PARAMS if hasattr(sampler, name)]
    if neighbours:
        # Refused before running: on a long tail a neighbour sampler fails on small classes first.
        synthesises = getattr(sampler, "_sampling_type", None) == "over-sampling"
        raise RowSelectionError(
            f"{type(sampler).__name__} {'makes rows from' if synthesises else 'judges rows by'} nearest neighbours "
            f"in feature space ({neighbours[0]})",
            "synthesises" if synthesises else "features",
        )
    probe = copy.deepcopy(sampler)
    index = np.arange(n, dtype=np.float64)[:, None]
    X_res, _ = sampler.fit_resample(index, labels)
    chosen = getattr(sampler, "sample_indices_", None)
    X_res = np.asarray(X_res, dtype=np.float64)
    if chosen is None or X_res.shape != (len(chosen), 1) or not np.array_equal(X_res[:, 0], index[chosen, 0]):
        raise RowSelectionError(f"{type(sampler).__name__} made up rows instead of picking existing ones", "synthesises")
    chosen = np.asarray(chosen, dtype=np.int64)
    # Any fixed permutation works; a seeded one keeps the check itself reproducible.
    shuffled = np.random.default_rng(0).permutation(n).astype(np.float64)[:, None]
    probe.fit_resample(shuffled, labels)
    if not np.array_equal(np.asarray(getattr(probe, "sample_indices_", ())), chosen):
        raise RowSelectionError(
            f"{type(sampler).__name__} picks rows by their feature values, not by their labels alone (or is not seeded)",
            "features",
        )
    return chosen
