"""Per-class weights computed from class counts.

Every scheme gives a class with no examples the weight 0: such a class never
appears in a loss, and a finite array is safer than ``inf`` in downstream
arithmetic. Non-zero weights of the ``inverse``, ``sqrt_inverse`` and
``effective_number`` schemes are scaled to sum to the number of classes that
have examples, so the average weight of an observed class is 1 and a loss keeps
its usual scale.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

DEFAULT_BETA = 0.999


def validate_counts(counts, name: str = "counts", *, allow_zero: bool = True) -> np.ndarray:
    """Check per-class (or per-item) counts and return them as a float64 array.

    Counts must be a non-empty 1-D array of finite values >= 0, not all zero;
    with ``allow_zero=False`` every count must be positive.
    """
    array = np.asarray(counts, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D sequence of counts, got shape {array.shape}; "
            "pass one count per class, e.g. np.bincount(y)"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinity; pass finite counts")
    if np.any(array < 0):
        bad = int(np.flatnonzero(array < 0)[0])
        raise ValueError(f"{name}[{bad}] is negative ({array[bad]:g}); counts must be >= 0")
    if not np.any(array > 0):
        raise ValueError(f"{name} are all zero; at least one class needs an example")
    if not allow_zero and np.any(array == 0):
        bad = int(np.flatnonzero(array == 0)[0])
        raise ValueError(
            f"{name}[{bad}] is 0 and this formula takes log(count) or 1/count; "
            "drop classes without examples or add a pseudo-count (e.g. counts + 1)"
        )
    return array


def validate_beta(beta: float) -> float:
    """Check the effective-number ``beta`` lies in [0, 1) and return it as a float."""
    beta = float(beta)
    if not 0.0 <= beta < 1.0:
        raise ValueError(
            f"beta must be in [0, 1), got {beta}; use e.g. 0.999 (beta -> 1 approaches inverse frequency, 0 gives equal weights)"
        )
    return beta


def _balanced(counts: np.ndarray, present: np.ndarray) -> np.ndarray:
    weights = np.zeros_like(counts)
    weights[present] = counts.sum() / (present.sum() * counts[present])
    return weights


def _inverse(counts: np.ndarray, present: np.ndarray) -> np.ndarray:
    weights = np.zeros_like(counts)
    weights[present] = 1.0 / counts[present]
    return weights


def _sqrt_inverse(counts: np.ndarray, present: np.ndarray) -> np.ndarray:
    weights = np.zeros_like(counts)
    weights[present] = 1.0 / np.sqrt(counts[present])
    return weights


def _effective_number(counts: np.ndarray, present: np.ndarray, beta: float = DEFAULT_BETA) -> np.ndarray:
    beta = validate_beta(beta)
    weights = np.zeros_like(counts)
    # -expm1(n log beta) is 1 - beta**n without cancellation when beta is close to 1.
    effective = -np.expm1(counts[present] * np.log(beta)) if beta > 0 else np.ones(int(present.sum()))
    weights[present] = (1.0 - beta) / effective
    return weights


_SCHEMES: dict[str, tuple[Callable[..., np.ndarray], bool]] = {
    # name: (function, normalise to sum to the number of observed classes)
    "balanced": (_balanced, False),
    "inverse": (_inverse, True),
    "sqrt_inverse": (_sqrt_inverse, True),
    "effective_number": (_effective_number, True),
}
SCHEMES: tuple[str, ...] = tuple(_SCHEMES)


def class_weights(counts, scheme: str = "balanced", **params) -> np.ndarray:
    """Weight per class from per-class counts.

    Schemes (``n_c`` the count of class c, ``N`` the total, ``C`` the number of
    classes with at least one example):

    * ``balanced``: ``N / (C n_c)``, scikit-learn's ``compute_class_weight("balanced")``;
    * ``inverse``: ``1 / n_c``; ``sqrt_inverse``: ``1 / sqrt(n_c)``;
    * ``effective_number`` (Cui et al. 2019): ``(1 - beta) / (1 - beta**n_c)``,
      parameter ``beta`` in [0, 1), default 0.999.

    The last three are scaled so that the weights sum to ``C``. Classes with a
    zero count get weight 0.

    Raises ValueError for negative or non-finite counts, an unknown scheme,
    or a bad or unexpected parameter.
    """
    if scheme not in _SCHEMES:
        raise ValueError(f"scheme {scheme!r} is unknown; choose one of {', '.join(SCHEMES)}")
    function, normalise = _SCHEMES[scheme]
    if scheme != "effective_number" and params:
        raise ValueError(f"scheme {scheme!r} takes no parameters, got {sorted(params)}; remove them")
    unknown = set(params) - {"beta"}
    if unknown:
        raise ValueError(f"scheme {scheme!r} got unknown parameters {sorted(unknown)}; it takes only 'beta'")
    array = validate_counts(counts)
    present = array > 0
    weights = function(array, present, **params)
    if normalise:
        weights *= present.sum() / weights.sum()
    return weights
