"""From the tidy rows of a results folder to one line per (dataset, task, model, strategy, metric, group).

:func:`read_results` opens a results folder (rows, spec, profiles, errors);
:func:`aggregate` reduces the rows over seeds: mean, standard deviation and a
Student-t confidence interval per cell, and paired tests of every strategy
against the baseline on the same seeds (the same splits), Holm-corrected
across the strategies compared on one metric of one dataset x task x model
(and one group, for per-group rows).

Whether lower is better for a metric comes from the task (``lower_is_better``);
a metric the task does not declare, or a task that cannot be loaded, falls
back to its name: a ``gini``, ``arp``, ``ece`` or ``loss`` word means lower is
better.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import yaml

from longtail.bench import stats
from longtail.errors import LongtailError

OVERALL = "all"
DEFAULT_BASELINE = "baseline"
TRIAL_KEYS = ("dataset", "task", "model", "strategy")
CELL_KEYS = (*TRIAL_KEYS, "metric", "group_dim", "group")
#: one comparison family: the strategies compared on one metric (and group) of one dataset x task x model
FAMILY_KEYS = ("dataset", "task", "model", "metric", "group_dim", "group")
LOWER_IS_BETTER_WORDS = frozenset({"gini", "arp", "ece", "loss"})
TAIL_WORDS = frozenset({"tail", "coverage", "aplt"})
STAT_COLUMNS = (
    "mean", "std", "n", "n_missing", "ci_low", "ci_high", "n_pairs", "delta_vs_baseline",
    "p_value", "p_value_wilcoxon", "p_value_raw", "p_value_wilcoxon_raw", "lower_is_better",
)
OUTPUT_COLUMNS = (*CELL_KEYS, *STAT_COLUMNS)
REQUIRED_COLUMNS = ("dataset", "task", "model", "strategy", "seed", "metric", "group_dim", "group", "value")


# --------------------------------------------------------------------------- the folder
@dataclass
class ResultsFolder:
    """What a results folder holds, read once."""

    folder: Path
    rows: pl.DataFrame
    spec: dict[str, Any]
    profiles: dict[str, dict[str, Any]]
    errors: list[dict[str, Any]]
    skipped: list[dict[str, Any]]
    #: where the rows came from: results.parquet, or rows/*.parquet of an interrupted run
    source: str

    @property
    def baseline(self) -> str:
        """The strategy every other one is compared with (the spec's ``baseline``)."""
        return str(self.spec.get("baseline") or DEFAULT_BASELINE)

    def strategy_order(self) -> list[str]:
        """Strategies in the order of the spec, the baseline first, then any others alphabetically."""
        present = set(self.rows.get_column("strategy").unique().to_list())
        listed = [_entry_name(entry) for entry in self.spec.get("strategies") or []]
        ordered = [self.baseline, *listed, *sorted(present)]
        return [name for name in dict.fromkeys(ordered) if name in present]


def read_results(results_dir: str | Path) -> ResultsFolder:
    """Open a results folder: results.parquet (else every rows/*.parquet), spec.yaml, profiles/, errors/.

    A missing folder, or one with no rows and no failed or skipped trials,
    is a LongtailError saying so.
    """
    folder = Path(results_dir)
    if not folder.is_dir():
        raise LongtailError(f"{folder}: no such results folder; give the folder `longtail bench` wrote")
    rows, source = _read_rows(folder)
    errors = _read_json_files(sorted((folder / "errors").glob("*.json")))
    skipped = _read_skipped(folder / "skipped.json")
    if rows.height == 0 and not errors and not skipped:
        raise LongtailError(
            f"{folder}: no results (no results.parquet or rows/*.parquet, no failed or skipped trials); "
            f"run `longtail bench --out {folder}`"
        )
    return ResultsFolder(
        folder=folder,
        rows=rows,
        spec=_read_spec(folder / "spec.yaml"),
        profiles={path.stem: data for path, data in _read_json_map(sorted((folder / "profiles").glob("*.json"))).items()},
        errors=errors,
        skipped=skipped,
        source=source,
    )


def _read_rows(folder: Path) -> tuple[pl.DataFrame, str]:
    consolidated = folder / "results.parquet"
    paths = [consolidated] if consolidated.is_file() else sorted((folder / "rows").glob("*.parquet"))
    frames = []
    for path in paths:
        try:
            frames.append(pl.read_parquet(path))
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise LongtailError(f"{path}: cannot read the results ({exc}); remove the file and re-run the benchmark") from None
    frame = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()
    missing = [name for name in REQUIRED_COLUMNS if name not in frame.columns]
    if frames and missing:
        raise LongtailError(f"{paths[0]}: results lack the column '{missing[0]}'; write them with `longtail bench`")
    if not frames:
        frame = pl.DataFrame(schema={name: pl.Float64 if name == "value" else pl.String for name in REQUIRED_COLUMNS})
    frame = frame.with_columns(pl.col("value").cast(pl.Float64), pl.col("seed").cast(pl.Int64))
    source = "results.parquet" if consolidated.is_file() else f"rows/*.parquet ({len(paths)} trial files)"
    return frame, source


def _read_spec(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise LongtailError(f"{path}: not valid YAML ({exc.__class__.__name__}); restore the spec the run wrote") from None
    return spec if isinstance(spec, dict) else {}


def _read_json_map(paths: Iterable[Path]) -> dict[Path, Any]:
    found = {}
    for path in paths:
        try:
            found[path] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise LongtailError(f"{path}: not valid JSON ({exc}); remove it or re-run the benchmark") from None
    return found


def _read_json_files(paths: Iterable[Path]) -> list[dict[str, Any]]:
    return [data if isinstance(data, dict) else {"message": str(data)} for data in _read_json_map(paths).values()]


def _read_skipped(path: Path) -> list[dict[str, Any]]:
    data = _read_json_map([path]).get(path, []) if path.is_file() else []
    return [entry for entry in data if isinstance(entry, dict)] if isinstance(data, list) else []


def _entry_name(entry: Any) -> str:
    return str(entry.get("name")) if isinstance(entry, dict) else str(entry)


# --------------------------------------------------------------------------- metric directions
@dataclass(frozen=True)
class TaskInfo:
    """What the report needs from a task: its headline metrics and which metrics are lower-is-better."""

    name: str
    headline: tuple[str, ...] = ()
    lower_is_better: frozenset[str] = frozenset()

    def is_lower_better(self, metric: str) -> bool:
        """True when a smaller value of ``metric`` is better (declared by the task, else by its name)."""
        return metric in self.lower_is_better or bool(_words(metric) & LOWER_IS_BETTER_WORDS)

    def headline_metrics(self, available: Iterable[str]) -> list[str]:
        """The (accuracy, tail) metrics to lead with, among ``available`` overall metrics.

        The task's declared headline where its metrics are present; otherwise
        the first accuracy-like metric and the first tail-like metric by name.
        """
        available = [name for name in dict.fromkeys(available) if not name.startswith("n_")]
        declared = [name for name in self.headline if name in available]
        if declared:
            return declared
        tail = [name for name in available if _words(name) & TAIL_WORDS]
        accuracy = [name for name in available if name not in tail and not self.is_lower_better(name)]
        accuracy = accuracy or [name for name in available if name not in tail]
        tail = tail or [name for name in available if self.is_lower_better(name) and name not in accuracy[:1]]
        return [*accuracy[:1], *tail[:1]]


def _words(metric: str) -> set[str]:
    return set(re.split(r"[^a-z0-9]+", metric.lower()))


def task_infos(names: Iterable[str], spec: dict[str, Any] | None = None) -> dict[str, TaskInfo]:
    """A :class:`TaskInfo` for each task name found in the results.

    Tasks are looked up through the spec's task entries (which may be import
    paths ``module:OBJECT``), then the built-in registry; a task that cannot
    be loaded gets no declared metrics (the name-based fallback applies).
    """
    found: dict[str, TaskInfo] = {}
    for entry in (spec or {}).get("tasks") or []:
        # results name a task by its spec entry, which may differ from the task's own name (an import path)
        name = _entry_name(entry)
        task = _load_task(name, via_spec=True)
        if task is not None:
            found[name] = _info(task)
            found.setdefault(str(task.name), found[name])
    infos = {}
    for name in names:
        if name not in found:
            task = _load_task(name, via_spec=False)
            found[name] = _info(task) if task is not None else TaskInfo(name)
        infos[name] = found[name]
    return infos


def _load_task(name: str, *, via_spec: bool) -> Any:
    try:
        if via_spec:
            from longtail.bench.spec import resolve_task

            return resolve_task(name)
        from longtail import tasks

        return tasks.get(name)
    except (LongtailError, ImportError, AttributeError, ValueError):
        # an unknown or unimportable task: the report still works, metric names decide directions
        return None


def _info(task: Any) -> TaskInfo:
    return TaskInfo(
        name=str(task.name),
        headline=tuple(str(name) for name in getattr(task, "headline", ()) or ()),
        lower_is_better=frozenset(str(name) for name in getattr(task, "lower_is_better", ()) or ()),
    )


# --------------------------------------------------------------------------- aggregation
@dataclass
class Aggregate:
    """Per-cell statistics over seeds (``table``) and notes on anything unusual in the rows."""

    table: pl.DataFrame
    baseline: str
    confidence: float
    notes: list[str] = field(default_factory=list)


def aggregate(
    rows: pl.DataFrame,
    baseline: str = DEFAULT_BASELINE,
    *,
    confidence: float = stats.CONFIDENCE,
    lower_is_better: Callable[[str, str], bool] | None = None,
) -> Aggregate:
    """Reduce tidy result rows over seeds and compare every strategy with ``baseline``.

    One output row per (dataset, task, model, strategy, metric, group_dim,
    group) with ``mean``, ``std`` (sample, NaN for one seed), ``n`` (seeds with
    a finite value), ``n_missing`` (seeds whose value is NaN or null),
    ``ci_low``/``ci_high`` (Student-t ``confidence`` interval; the mean itself
    for one seed), ``n_pairs`` (seeds shared with the baseline),
    ``delta_vs_baseline`` (mean paired difference strategy - baseline),
    ``p_value`` / ``p_value_wilcoxon`` (paired t / Wilcoxon signed-rank,
    Holm-corrected across the strategies of the family; ``*_raw`` before
    correction) and ``lower_is_better`` (``lower_is_better(task, metric)``,
    default: :meth:`TaskInfo.is_lower_better` by metric name).
    Several rows for one cell and seed (e.g. rows/ of two runs) are averaged
    and counted in ``notes``.
    """
    missing = [name for name in REQUIRED_COLUMNS if name not in rows.columns]
    if missing:
        raise ValueError(f"rows lack the column '{missing[0]}'; give the tidy rows of a results folder")
    notes: list[str] = []
    per_seed = _per_seed(rows, notes)
    cells = _cells(per_seed, confidence)
    table = cells.join(_comparisons(per_seed, baseline), on=list(CELL_KEYS), how="left")
    table = _holm_per_family(table)
    directions = lower_is_better or _name_direction
    pairs = table.select("task", "metric").unique()
    flags = [bool(directions(task, metric)) for task, metric in pairs.iter_rows()]
    table = table.join(pairs.with_columns(pl.Series("lower_is_better", flags, dtype=pl.Boolean)), on=["task", "metric"])
    _note_missing_baseline(table, baseline, notes)
    table = table.select(OUTPUT_COLUMNS).with_columns(pl.col("n", "n_missing", "n_pairs").cast(pl.Int64))
    return Aggregate(table.sort(list(CELL_KEYS)), baseline, confidence, notes)


def _name_direction(task: str, metric: str) -> bool:
    return TaskInfo(task).is_lower_better(metric)


def _per_seed(rows: pl.DataFrame, notes: list[str]) -> pl.DataFrame:
    """One value per cell and seed: the mean of its finite values (null when none is finite)."""
    finite = pl.col("value").is_finite().fill_null(False)
    per_seed = rows.group_by([*CELL_KEYS, "seed"]).agg(
        pl.col("value").filter(finite).mean().alias("value"),
        pl.len().alias("copies"),
    )
    repeated = per_seed.filter(pl.col("copies") > 1)
    if repeated.height:
        notes.append(
            f"{repeated.height} cells had several rows for one seed (rows of more than one run); "
            "their finite values were averaged per seed"
        )
    missing = per_seed.get_column("value").null_count()
    if missing:
        notes.append(f"{missing} cell values were NaN or missing (e.g. a group with no test rows); n counts only finite ones")
    return per_seed.drop("copies")


def _cells(per_seed: pl.DataFrame, confidence: float) -> pl.DataFrame:
    cells = per_seed.group_by(list(CELL_KEYS)).agg(
        pl.col("value").mean().alias("mean"),
        pl.col("value").std(ddof=1).alias("std"),
        pl.col("value").count().alias("n"),
        pl.col("value").null_count().alias("n_missing"),
    )
    n = cells.get_column("n").to_numpy()
    mean = cells.get_column("mean").fill_null(np.nan).to_numpy()
    std = cells.get_column("std").fill_null(np.nan).to_numpy()
    low, high = stats.t_bounds(mean, std, n, confidence)
    return cells.with_columns(
        pl.Series("mean", mean),
        pl.Series("std", std),
        pl.Series("ci_low", low),
        pl.Series("ci_high", high),
    )


def _comparisons(per_seed: pl.DataFrame, baseline: str) -> pl.DataFrame:
    """Raw paired tests of each strategy against ``baseline`` on the seeds both have a value for."""
    known = per_seed.filter(pl.col("value").is_not_null())
    base = known.filter(pl.col("strategy") == baseline).select(*FAMILY_KEYS, "seed", pl.col("value").alias("base"))
    paired = (
        known.join(base, on=[*FAMILY_KEYS, "seed"], how="inner")
        .sort("seed")
        .group_by(list(CELL_KEYS))
        .agg(pl.col("value"), pl.col("base"), pl.len().alias("n_pairs"))
    )
    sizes = paired.get_column("n_pairs").to_numpy()
    p_t = np.full(paired.height, np.nan)
    p_w = np.full(paired.height, np.nan)
    delta = np.full(paired.height, np.nan)
    values, bases = paired.get_column("value").to_list(), paired.get_column("base").to_list()
    for size in np.unique(sizes):
        # one vectorised scipy call per number of shared seeds
        index = np.flatnonzero(sizes == size)
        candidate = np.array([values[i] for i in index], dtype=np.float64)
        reference = np.array([bases[i] for i in index], dtype=np.float64)
        p_t[index], p_w[index] = stats.paired_tests(reference, candidate)
        delta[index] = (candidate - reference).mean(axis=1)
    is_baseline = paired.get_column("strategy").to_numpy() == baseline
    p_t[is_baseline] = p_w[is_baseline] = np.nan
    return paired.select(*CELL_KEYS, "n_pairs").with_columns(
        pl.Series("delta_vs_baseline", delta),
        pl.Series("p_value_raw", p_t),
        pl.Series("p_value_wilcoxon_raw", p_w),
    )


def _holm_per_family(table: pl.DataFrame) -> pl.DataFrame:
    table = table.with_columns(pl.col("n_pairs").fill_null(0))
    if table.height == 0:
        return table.with_columns(pl.lit(None, dtype=pl.Float64).alias(name) for name in ("p_value", "p_value_wilcoxon"))
    table = table.with_row_index("_row")
    families = table.group_by(list(FAMILY_KEYS)).agg("_row").get_column("_row").to_list()
    adjusted = {}
    for raw, name in (("p_value_raw", "p_value"), ("p_value_wilcoxon_raw", "p_value_wilcoxon")):
        p = table.get_column(raw).fill_null(np.nan).to_numpy()
        out = np.full(p.size, np.nan)
        for rows in families:
            out[rows] = stats.holm(p[rows])
        adjusted[name] = out
    return table.drop("_row").with_columns(pl.Series(name, values) for name, values in adjusted.items())


def _note_missing_baseline(table: pl.DataFrame, baseline: str, notes: list[str]) -> None:
    if table.height == 0:
        return
    trials = table.select(TRIAL_KEYS[:3]).unique()
    with_base = table.filter(pl.col("strategy") == baseline).select(TRIAL_KEYS[:3]).unique()
    lacking = trials.join(with_base, on=list(TRIAL_KEYS[:3]), how="anti").sort(list(TRIAL_KEYS[:3]))
    if lacking.height:
        where = ", ".join("/".join(row) for row in lacking.head(3).iter_rows())
        more = f" and {lacking.height - 3} more" if lacking.height > 3 else ""
        notes.append(f"no results for the baseline strategy '{baseline}' in {where}{more}: no tests there")


def aggregate_folder(results: ResultsFolder, confidence: float = stats.CONFIDENCE) -> tuple[Aggregate, dict[str, TaskInfo]]:
    """:func:`aggregate` of a results folder with its spec's baseline and its tasks' metric directions."""
    infos = task_infos(results.rows.get_column("task").unique().sort().to_list(), results.spec)
    summary = aggregate(
        results.rows,
        results.baseline,
        confidence=confidence,
        lower_is_better=lambda task, metric: infos[task].is_lower_better(metric),
    )
    return summary, infos
