"""Turn a ``sampling_strategy`` into the number of rows to add or keep per class.

The forms and their meaning follow imbalanced-learn exactly, so that a spec
written for one library means the same in the other:

* over-sampling: the result maps a class to the number of rows to *add*;
* under-sampling: it maps a class to the number of rows to *keep*;
* cleaning: only its keys matter (the classes whose rows may be removed).

Classes are ordered as ``np.unique`` orders them; ties between equally large
classes go to the first one in that order.
"""

from __future__ import annotations

from collections import OrderedDict
from numbers import Real
from typing import Any, Callable

import numpy as np

from longtail.sampling.convert import SamplingInputError

OVER = "over-sampling"
UNDER = "under-sampling"
CLEAN = "clean-sampling"
KINDS = (OVER, UNDER, CLEAN)
STRING_FORMS = ("auto", "minority", "majority", "not minority", "not majority", "all")


def class_counts(y: np.ndarray) -> dict[Any, int]:
    """Rows per class, in ``np.unique`` order."""
    labels, counts = np.unique(y, return_counts=True)
    return dict(zip(labels.tolist(), counts.tolist()))


def _from_string(form: str, counts: dict[Any, int], kind: str) -> dict[Any, int]:
    if form == "auto":
        form = "not majority" if kind == OVER else "not minority"
    # Over-sampling the majority or under-sampling the minority has no meaning.
    forbidden = "majority" if kind == OVER else "minority"
    if form == forbidden:
        allowed = [f for f in STRING_FORMS if f != forbidden]
        raise ValueError(f"sampling_strategy={form!r} cannot be used by a {kind} sampler; use one of {allowed}")
    majority = max(counts, key=counts.get)
    minority = min(counts, key=counts.get)
    targeted = {
        "minority": [minority],
        "majority": [majority],
        "not minority": [c for c in counts if c != minority],
        "not majority": [c for c in counts if c != majority],
        "all": list(counts),
    }[form]
    if kind == OVER:
        return {c: counts[majority] - counts[c] for c in targeted}
    return {c: counts[minority] for c in targeted}


def _check_known(classes: Any, counts: dict[Any, int]) -> None:
    unknown = [c for c in classes if c not in counts]
    if unknown:
        raise ValueError(
            f"sampling_strategy names class(es) {unknown} that are not in y "
            f"(classes: {list(counts)}); use only classes present in y"
        )


def _from_dict(wanted: dict[Any, int], counts: dict[Any, int], kind: str) -> dict[Any, int]:
    if kind == CLEAN:
        raise ValueError(
            "sampling_strategy cannot be a dict for a cleaning sampler; "
            "give a list of the classes to clean instead"
        )
    _check_known(wanted, counts)
    negative = {c: n for c, n in wanted.items() if n < 0}
    if negative:
        raise ValueError(
            f"sampling_strategy asks for a negative number of rows {negative}; "
            "give counts of at least 0"
        )
    result = {}
    for label, n in wanted.items():
        have = counts[label]
        if kind == OVER:
            if n < have:
                raise ValueError(
                    f"sampling_strategy asks for {n} rows of class {label!r}, which already has {have}; "
                    "an over-sampler can only add rows: ask for at least the current count"
                )
            result[label] = n - have
        else:
            if n > have:
                raise ValueError(
                    f"sampling_strategy asks for {n} rows of class {label!r}, which has only {have}; "
                    "an under-sampler can only remove rows: ask for at most the current count"
                )
            result[label] = n
    return result


def _from_list(classes: list[Any], counts: dict[Any, int], kind: str) -> dict[Any, int]:
    if kind != CLEAN:
        raise ValueError(
            "sampling_strategy can be a list only for cleaning samplers; "
            "give a dict {class: n_rows} instead"
        )
    _check_known(classes, counts)
    low = min(counts.values())
    return {c: low for c in classes}


def _from_ratio(ratio: float, counts: dict[Any, int], kind: str) -> dict[Any, int]:
    if not 0 < ratio <= 1:
        raise ValueError(
            f"sampling_strategy={ratio} is out of range; a ratio must be in (0, 1] "
            "(minority/majority after resampling)"
        )
    if len(counts) != 2:
        raise ValueError(
            f"sampling_strategy can be a float only for two classes (y has {len(counts)}); "
            "give a dict {class: n_rows} for more classes"
        )
    if kind == CLEAN:
        raise ValueError("sampling_strategy cannot be a float for a cleaning sampler; give a list of classes")
    majority = max(counts, key=counts.get)
    minority = min(counts, key=counts.get)
    if kind == OVER:
        result = {c: int(counts[majority] * ratio - n) for c, n in counts.items() if c != majority}
        if any(n <= 0 for n in result.values()):
            raise ValueError(
                f"sampling_strategy={ratio} would need to remove minority rows while over-sampling; "
                f"raise it above the current ratio {counts[minority] / counts[majority]:.4g}"
            )
        return result
    result = {c: int(counts[minority] / ratio) for c in counts if c != minority}
    if any(n > counts[c] for c, n in result.items()):
        raise ValueError(
            f"sampling_strategy={ratio} would need to add majority rows while under-sampling; "
            f"raise it above the current ratio {counts[minority] / counts[majority]:.4g}"
        )
    return result


def resolve_sampling_strategy(
    sampling_strategy: str | float | dict | list | Callable[[np.ndarray], dict],
    y: np.ndarray,
    kind: str,
) -> OrderedDict:
    """Resolve ``sampling_strategy`` for ``y`` and a sampler ``kind``.

    ``kind`` is ``"over-sampling"``, ``"under-sampling"`` or ``"clean-sampling"``.
    Returns an ordered ``{class: n}`` sorted by class, as imbalanced-learn's
    ``check_sampling_strategy`` does; raises ``ValueError`` naming the
    parameter and the fix for a form that does not apply.
    """
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is unknown; use one of {KINDS}")
    counts = class_counts(y)
    if len(counts) < 2:
        raise SamplingInputError(
            f"y has a single class ({list(counts)})",
            column="y",
            fix="resampling balances classes against each other: give y with at least two classes",
        )
    if isinstance(sampling_strategy, str):
        if sampling_strategy not in STRING_FORMS:
            raise ValueError(
                f"sampling_strategy={sampling_strategy!r} is unknown; use one of {STRING_FORMS}, "
                "a float, a dict or a callable"
            )
        result = _from_string(sampling_strategy, counts, kind)
    elif isinstance(sampling_strategy, dict):
        result = _from_dict(sampling_strategy, counts, kind)
    elif isinstance(sampling_strategy, (list, tuple)):
        result = _from_list(list(sampling_strategy), counts, kind)
    elif isinstance(sampling_strategy, Real) and not isinstance(sampling_strategy, bool):
        result = _from_ratio(float(sampling_strategy), counts, kind)
    elif callable(sampling_strategy):
        wanted = sampling_strategy(y)
        if not isinstance(wanted, dict):
            raise ValueError(
                f"sampling_strategy callable returned {type(wanted).__name__}; it must return a dict {{class: n_rows}}"
            )
        result = _from_dict(wanted, counts, kind)
    else:
        raise ValueError(
            f"sampling_strategy of type {type(sampling_strategy).__name__} is not understood; "
            "use a string, a float, a dict, a list (cleaning) or a callable"
        )
    return OrderedDict(sorted(result.items()))
