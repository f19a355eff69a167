"""The sampler contract shared by every class-level sampler.

A sampler follows imbalanced-learn: ``fit_resample(X, y) -> (X_res, y_res)``,
``sampling_strategy`` resolved into ``sampling_strategy_`` and, where rows are
selected rather than made up, ``sample_indices_``. Inputs may be numpy arrays,
lists, pandas or polars objects; outputs come back in the same kind.
"""

from __future__ import annotations

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
