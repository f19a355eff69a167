"""Samplers: rebalance classes (imbalanced-learn contract) and interaction logs.

Class-level samplers follow imbalanced-learn: ``fit_resample(X, y) -> (X_res,
y_res)``, ``sampling_strategy``, ``random_state`` and ``sample_indices_`` where
rows are selected, so they and imbalanced-learn's samplers are
interchangeable. Dataset-level samplers (``fit_resample(dataset) ->
dataset``) thin head items or repeat tail items; negative samplers draw
non-positive items for implicit feedback.

Names are loaded on first use: importing this package needs numpy only, and
polars, pandas or torch are imported only when their objects or devices are
used.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "RandomOverSampler": "random",
    "RandomUnderSampler": "random",
    "SMOTE": "smote",
    "BorderlineSMOTE": "smote",
    "ADASYN": "smote",
    "TomekLinks": "cleaning",
    "kneighbors": "neighbors",
    "ClusterSearch": "approximate",
    "resolve_sampling_strategy": "strategy",
    "RowSelectionError": "base",
    "selected_rows": "base",
    "PopularityUnderSampler": "interactions",
    "TailOverSampler": "interactions",
    "UniformNegativeSampler": "negatives",
    "PopularityNegativeSampler": "negatives",
    "InBatchNegatives": "negatives",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'longtail.sampling' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"longtail.sampling.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
