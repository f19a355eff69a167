"""Parameter checks shared by the augmenters.

Bad parameters are programming errors, so they raise ``ValueError`` that
names the parameter and says how to fix it.
"""

from __future__ import annotations

import numbers

import numpy as np


def check_range(
    name: str, value: float, low: float, high: float, *, open_low: bool = False, open_high: bool = False
) -> float:
    """Return ``value`` as float after checking it lies between ``low`` and ``high``."""
    ok = isinstance(value, numbers.Real) and np.isfinite(value)
    ok = ok and (low < value or (not open_low and value == low)) and (value < high or (not open_high and value == high))
    if not ok:
        interval = f"{'(' if open_low else '['}{low:g}, {high:g}{')' if open_high else ']'}"
        raise ValueError(f"{name} must be a number in {interval}, got {value!r}; pass a value in that range")
    return float(value)


def check_fraction(name: str, value: float, *, allow_zero: bool = True, allow_one: bool = True) -> float:
    """Return ``value`` as float after checking it lies in [0, 1] (ends as allowed)."""
    return check_range(name, value, 0.0, 1.0, open_low=not allow_zero, open_high=not allow_one)


def check_positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    """Return ``value`` as float after checking it is finite and > 0 (or >= 0)."""
    ok = isinstance(value, numbers.Real) and np.isfinite(value) and (value > 0 or (allow_zero and value == 0))
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}; pass a value {bound}")
    return float(value)


def check_count(name: str, value: int, *, minimum: int = 1) -> int:
    """Return ``value`` after checking it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}; pass an integer >= {minimum}")
    return int(value)


def as_generator(rng: np.random.Generator | int) -> np.random.Generator:
    """Turn ``rng`` (a Generator or an integer seed) into a Generator.

    ``None`` is refused on purpose: every augmentation must be reproducible.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise ValueError(
        f"rng must be a numpy Generator or an integer seed, got {rng!r}; pass rng=np.random.default_rng(seed)"
    )


def python_seed(rng: np.random.Generator) -> int:
    """Draw a seed for Python's ``random.Random`` from ``rng`` (fast per-token draws)."""
    return int(rng.integers(0, 2**63 - 1))
