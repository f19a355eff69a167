"""Augmenters for interaction context: when and where an event happened.

* :class:`TimeJitter`: each timestamp moves by a uniform random shift in
  ``[-max_shift, +max_shift]`` (whole ticks of the timestamp's unit).
* :class:`RegionSwap`: with probability ``p`` a row's region is replaced by
  one drawn from a distribution (given, or the regions' own frequencies).
"""

from __future__ import annotations

import datetime as dt
import numbers
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from longtail.augment._checks import as_generator, check_fraction


class TimeJitter:
    """Shift timestamps by a bounded uniform random amount.

    ``max_shift`` is a ``datetime.timedelta`` / ``numpy.timedelta64`` for
    datetime64 timestamps (a plain number there means seconds), or a number
    in the timestamps' own unit for numeric timestamps.
    """

    def __init__(self, max_shift: dt.timedelta | np.timedelta64 | float) -> None:
        if isinstance(max_shift, dt.timedelta):
            max_shift = np.timedelta64(max_shift)
        if isinstance(max_shift, np.timedelta64):
            bad = np.isnat(max_shift) or max_shift < np.timedelta64(0)
        else:
            bad = not isinstance(max_shift, numbers.Real) or not np.isfinite(max_shift) or max_shift < 0
        if bad:
            raise ValueError(f"max_shift must be a duration >= 0, got {max_shift!r}; pass e.g. timedelta(hours=6)")
        self.max_shift = max_shift

    def augment(self, timestamps: np.ndarray, rng: np.random.Generator | int) -> np.ndarray:
        """Jittered copy of ``timestamps`` (same dtype); missing times stay missing."""
        ts = np.asarray(timestamps)
        rng = as_generator(rng)
        if np.issubdtype(ts.dtype, np.datetime64):
            unit = np.datetime_data(ts.dtype)[0]
            shift = self.max_shift
            if not isinstance(shift, np.timedelta64):
                shift = np.timedelta64(int(round(shift * 1e6)), "us")
            ticks = int(shift / np.timedelta64(1, unit))
            moved = ts + rng.integers(-ticks, ticks + 1, size=ts.shape).astype(f"timedelta64[{unit}]")
            return np.where(np.isnat(ts), ts, moved)
        if isinstance(self.max_shift, np.timedelta64):
            raise ValueError("max_shift is a duration but timestamps are numbers; pass max_shift as a number")
        if np.issubdtype(ts.dtype, np.integer):
            m = int(self.max_shift)
            return ts + rng.integers(-m, m + 1, size=ts.shape).astype(ts.dtype)
        if np.issubdtype(ts.dtype, np.floating):
            return ts + rng.uniform(-self.max_shift, self.max_shift, size=ts.shape)
        raise ValueError(f"timestamps must be datetime64 or numeric, got dtype {ts.dtype}; convert them first")


class RegionSwap:
    """With probability ``p`` replace a row's region by a random draw.

    The draw comes from ``distribution`` (``{region: weight}``) or, after
    :meth:`fit`, from the observed region frequencies. A draw may return the
    row's own region, so the expected share of changed rows is
    ``p * (1 - q(region))``.
    """

    def __init__(self, p: float = 0.1, *, distribution: Mapping[object, float] | None = None) -> None:
        self.p = check_fraction("p", p)
        self.regions_: np.ndarray | None = None
        self.probabilities_: np.ndarray | None = None
        self.n_missing_ = 0
        if distribution is not None:
            self._set(list(distribution), np.asarray(list(distribution.values()), dtype=np.float64))

    def _set(self, regions: list[object], weights: np.ndarray) -> None:
        if not regions or not np.isfinite(weights).all() or (weights < 0).any() or weights.sum() <= 0:
            raise ValueError("distribution must map regions to weights >= 0 with a positive sum; e.g. {'EU': 1.0}")
        self.regions_ = np.array(regions, dtype=object)
        self.probabilities_ = weights / weights.sum()

    @property
    def fitted(self) -> bool:
        """Whether a distribution is set (given or fitted)."""
        return self.regions_ is not None

    def fit(self, regions: Sequence[object]) -> RegionSwap:
        """Use the frequencies of ``regions`` as the distribution (missing values not counted)."""
        counts = Counter(r for r in regions if r is not None and r == r)  # r == r is False for NaN
        self.n_missing_ = len(regions) - sum(counts.values())
        self._set(list(counts), np.array(list(counts.values()), dtype=np.float64))
        return self

    def augment(self, regions: Sequence[object], rng: np.random.Generator | int) -> np.ndarray:
        """Copy of ``regions`` with about a ``p`` share of rows redrawn."""
        if self.regions_ is None:
            raise ValueError("RegionSwap has no distribution; pass distribution= or call fit(regions) first")
        rng = as_generator(rng)
        out = np.array(regions, dtype=object)
        swap = np.flatnonzero(rng.random(out.shape[0]) < self.p)
        out[swap] = self.regions_[rng.choice(self.regions_.size, size=swap.size, p=self.probabilities_)]
        return out
