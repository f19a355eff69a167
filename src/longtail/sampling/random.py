"""Random over- and under-sampling: copy or drop whole rows of a class."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real
from typing import Any

import numpy as np

from longtail.sampling.base import BaseSampler, make_rng
from longtail.sampling.strategy import OVER, UNDER


class RandomOverSampler(BaseSampler):
    """Add rows to the targeted classes by drawing their rows with replacement.

    ``sample_indices_`` lists the original rows first (``0..n-1``) and then the
    drawn rows class by class (classes in sorted order), as imbalanced-learn.
    With ``shrinkage`` (a float, or a dict per class) the copies are smoothed:
    each copy gets Gaussian noise of scale ``shrinkage * h * std`` per feature,
    ``h = (4 / ((d + 2) n)) ** (1 / (d + 4))``, and the output is made up
    rather than selected (numeric ``X`` only, no ``sample_indices_`` rows kept).
    """

    _sampling_type = OVER

    def __init__(self, *, sampling_strategy: Any = "auto", random_state: Any = None, shrinkage: Any = None) -> None:
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state
        self.shrinkage = shrinkage

    def _needs_numbers(self) -> bool:
        return self.shrinkage is not None

    def _check_params(self) -> None:
        if self.shrinkage is None:
            return
        values = self.shrinkage.values() if isinstance(self.shrinkage, Mapping) else [self.shrinkage]
        if any(not isinstance(v, Real) or v < 0 for v in values):
            raise ValueError(f"shrinkage={self.shrinkage!r} is invalid; give a number >= 0 or a dict of them per class")

    def _draw(self, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        drawn = [rng.choice(np.flatnonzero(y == label), size=n, replace=True) for label, n in self.sampling_strategy_.items()]
        return np.concatenate([np.arange(y.shape[0]), *drawn]).astype(np.intp)

    def _resample(self, X: np.ndarray, y: np.ndarray) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        rng = make_rng(self.random_state)
        indices = self._draw(y, rng)
        if self.shrinkage is None:
            return indices
        self.sample_indices_ = indices
        return self._smoothed(X, y, indices, rng), y[indices]

    def _smoothed(self, X: np.ndarray, y: np.ndarray, indices: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        per_class = self.shrinkage if isinstance(self.shrinkage, Mapping) else {c: self.shrinkage for c in self.sampling_strategy_}
        missing = [c for c in self.sampling_strategy_ if c not in per_class]
        if missing:
            raise ValueError(f"shrinkage has no factor for class(es) {missing}; give one for every resampled class")
        n, d = X.shape
        dtype = X.dtype if X.dtype.kind == "f" else np.float64
        out = X[indices].astype(dtype, copy=False)
        bandwidth = (4 / ((d + 2) * n)) ** (1 / (d + 4))
        start = n
        for label, count in self.sampling_strategy_.items():
            scale = per_class[label] * bandwidth * X[y == label].std(axis=0)
            out[start : start + count] += (rng.standard_normal((count, d)) * scale).astype(dtype)
            start += count
        return out


class RandomUnderSampler(BaseSampler):
    """Keep a random subset of the rows of each targeted class.

    Rows come out grouped by class in sorted class order; untargeted classes
    keep all their rows in their original order, targeted ones keep a random
    selection (without replacement unless ``replacement=True``), as
    imbalanced-learn. ``sample_indices_`` gives the kept rows.
    """

    _sampling_type = UNDER

    def __init__(self, *, sampling_strategy: Any = "auto", random_state: Any = None, replacement: bool = False) -> None:
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state
        self.replacement = replacement

    def _needs_numbers(self) -> bool:
        return False

    def _resample(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        rng = make_rng(self.random_state)
        kept = []
        for label in np.unique(y):
            rows = np.flatnonzero(y == label)
            if label in self.sampling_strategy_:
                rows = rng.choice(rows, size=self.sampling_strategy_[label], replace=self.replacement)
            kept.append(rows)
        return np.concatenate(kept).astype(np.intp)
