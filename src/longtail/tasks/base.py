"""What every task gives the benchmark: a split, a way to run one trial, its metrics.

A task is the one place that turns polars tables into arrays for the models
(layer 2 never sees a DataFrame). The benchmark runner knows nothing of
models: it hands each trial a split, a model name, a strategy and a context,
and gets tidy metric rows back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from longtail.data import Dataset
    from longtail.data.splits import Split
    from longtail.strategies import Strategy

ALL = "all"


@dataclass(frozen=True)
class MetricRow:
    """One number of one trial: a metric, overall (group_dim='all') or for one group."""

    metric: str
    value: float
    group_dim: str = ALL
    group: str = ALL


@dataclass
class TrialContext:
    """Everything a trial needs besides data, model and strategy.

    ``embed`` maps texts to L2-normalised float32 rows through the cached text
    encoder (None: the task falls back to a text-free representation or
    TF-IDF). ``model_dir``, when set, is where the fitted model is saved
    (safetensors + JSON) so it can be served.
    """

    seed: int
    device: str = "cpu"
    embed: Callable[[list[str]], np.ndarray] | None = None
    model_dir: Path | None = None
    progress: bool = False
    params: dict[str, Any] = field(default_factory=dict)


class Task(Protocol):
    """A benchmark task (categorize, ctr, recommend, relevance)."""

    name: str
    #: the loss kind strategies are built for: "multiclass", "binary" or "retrieval"
    kind: str
    #: models this task can train, first is the default
    models: tuple[str, ...]
    #: (headline accuracy metric, headline tail metric) for the leaderboard
    headline: tuple[str, str]
    #: metrics where lower is better (e.g. "exposure_gini", "log_loss")
    lower_is_better: frozenset[str]

    def supports(self, dataset: "Dataset") -> bool:
        """Whether the dataset has what the task needs (e.g. categories, judgments)."""
        ...

    def split(self, dataset: "Dataset", seed: int) -> "Split":
        """The task's default split of the dataset for a seed."""
        ...

    def run(
        self,
        split: "Split",
        model: str,
        strategy: "Strategy",
        ctx: TrialContext,
        model_params: dict[str, Any] | None = None,
    ) -> list[MetricRow]:
        """Fit ``model`` with ``strategy`` on split.train, evaluate on split.test."""
        ...
