"""What every task gives the benchmark: a split, a way to run one trial, its metrics.

A task is the one place that turns polars tables into arrays for the models
(layer 2 never sees a DataFrame). The benchmark runner knows nothing of
models: it hands each trial a split, a model name, a strategy and a context,
and gets tidy metric rows back.

Besides the :class:`Task` interface, a task may declare what it reads, so a
spec is checked when it is loaded, before anything runs:

- split options: the keyword-only parameters of ``split(dataset, seed, *, ...)``
  (:func:`split_options`; a task without them gets none), their values checked
  by an optional ``check_split(options)`` that raises :class:`OptionError`;
- ``param_names``: the ``TrialContext.params`` keys it reads (without it,
  any ``params`` reach the task unchecked);
- ``model_param_names(model, params)``: the parameters a model takes (without
  it, ``model_params`` are unchecked).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from datetime import date, datetime
from numbers import Real
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol

import numpy as np

from longtail.errors import LongtailError

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

    def split(self, dataset: "Dataset", seed: int, **options: Any) -> "Split":
        """The task's split of the dataset for a seed; ``options`` are its keyword-only split options."""
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


# --------------------------------------------------------------- declared options
class OptionError(LongtailError):
    """A split option or model parameter with a bad value.

    ``key`` names the option, so the spec can point at its line.
    """

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(f"{key}: {message}")


def split_options(task: Any) -> dict[str, Any] | None:
    """The split options a task takes, with their defaults: the keyword-only parameters of its ``split``.

    None when ``split`` takes ``**options`` (any option goes to it unchecked).
    """
    parameters = inspect.signature(task.split).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return {p.name: p.default for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}


def param_names(task: Any) -> tuple[str, ...] | None:
    """The ``TrialContext.params`` keys a task reads, or None when it does not say."""
    names = getattr(task, "param_names", None)
    return None if names is None else tuple(names)


def check_fraction(key: str, value: Any, *, zero_ok: bool = False) -> float:
    """``value`` as a fraction in (0, 1) (``[0, 1)`` with ``zero_ok``), else :class:`OptionError`."""
    interval = "[0, 1)" if zero_ok else "(0, 1)"
    if isinstance(value, bool) or not isinstance(value, Real):
        raise OptionError(key, f"{value!r} is not a number; give a fraction in {interval}")
    if not (0.0 <= value < 1.0 if zero_ok else 0.0 < value < 1.0):
        raise OptionError(key, f"{value!r} is outside {interval}; give a fraction in {interval}")
    return float(value)


def check_choice(key: str, value: Any, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices``, else :class:`OptionError` listing them."""
    if not isinstance(value, str) or value not in choices:
        raise OptionError(key, f"{value!r} is not one of {', '.join(choices)}")
    return value


def check_bool(key: str, value: Any) -> bool:
    """``value`` if it is true or false, else :class:`OptionError`."""
    if not isinstance(value, bool):
        raise OptionError(key, f"{value!r} is not true or false")
    return value


def check_datetime(key: str, value: Any) -> datetime | date:
    """A date, a datetime or an ISO date / datetime string, else :class:`OptionError`."""
    if isinstance(value, (date, datetime)):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise OptionError(key, f"{value!r} is not a date or datetime; write it as ISO, e.g. 2024-02-15 or 2024-02-15T12:00")
