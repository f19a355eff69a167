"""Task definitions: categorize, ctr, recommend, relevance (layer 3)."""

from __future__ import annotations

import importlib

from longtail.errors import LongtailError
from longtail.tasks.base import ALL, MetricRow, Task, TrialContext

_TASK_MODULES = {
    "categorize": "longtail.tasks.categorize",
    "ctr": "longtail.tasks.ctr",
    "recommend": "longtail.tasks.recommend",
    "relevance": "longtail.tasks.relevance",
}

__all__ = ["ALL", "MetricRow", "Task", "TrialContext", "available", "get"]


def available() -> list[str]:
    """Names of the built-in tasks."""
    return list(_TASK_MODULES)


def get(name: str) -> Task:
    """The task object for a name (each module exposes ``TASK``)."""
    if name not in _TASK_MODULES:
        raise LongtailError(f"unknown task '{name}'; known tasks: {', '.join(_TASK_MODULES)}")
    return importlib.import_module(_TASK_MODULES[name]).TASK
