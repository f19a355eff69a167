"""Any metric per group, and how far apart the groups are."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from longtail.metrics._inputs import as_labels, positive_int, split_ragged


def by_group(
    metric: Callable[..., float], groups: ArrayLike, *rows: Any, min_size: int = 1, **fixed: Any
) -> dict[Any, float]:
    """``metric`` computed on each group's rows: ``{group: metric(*rows[group], **fixed)}``.

    ``groups`` labels each row (a user's region, a product's category ...).
    Positional ``rows`` are split by group (arrays along their first axis,
    lists of per-user collections, sparse matrices by row); keyword arguments
    are passed unchanged (``k=10``, ``item_popularity=...``). Groups with
    fewer than ``min_size`` rows are left out. Groups come out sorted.

    Example: ``by_group(recall_at_k, user_region, ranked, relevant, k=10)``.
    """
    labels = as_labels(groups, "groups")
    if not rows:
        raise ValueError("rows: pass at least one per-row argument to split (e.g. y_true, y_pred)")
    for i, arg in enumerate(rows):
        size = arg.shape[0] if hasattr(arg, "shape") else len(arg)
        if size != labels.size:
            raise ValueError(f"rows: argument {i} has {size} rows but groups has {labels.size}")
    min_size = positive_int(min_size, "min_size")
    names, codes = np.unique(labels, return_inverse=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=names.size))])
    out = {}
    for g, name in enumerate(names):
        index = order[bounds[g] : bounds[g + 1]]
        if index.size >= min_size:
            out[name.item()] = metric(*(split_ragged(arg, index) for arg in rows), **fixed)
    return out


def group_summary(per_group: Mapping[Any, float]) -> dict[str, Any]:
    """Worst group and spread of per-group values (NaN values ignored).

    Keys: ``min``, ``argmin`` (the worst group), ``max``, ``mean``,
    ``spread`` (max - min), ``ratio`` (min / max) and ``cv`` (population
    std / mean, the spread measure of REO / RSP).
    """
    items = [(name, float(v)) for name, v in per_group.items() if not np.isnan(v)]
    if not items:
        raise ValueError("per_group: no group has a value")
    values = np.array([v for _, v in items])
    worst = int(np.argmin(values))
    mean = float(values.mean())
    return {
        "min": float(values[worst]),
        "argmin": items[worst][0],
        "max": float(values.max()),
        "mean": mean,
        "spread": float(values.max() - values[worst]),
        "ratio": float(values[worst] / values.max()) if values.max() > 0 else float("nan"),
        "cv": float(values.std() / mean) if mean > 0 else float("nan"),
    }
