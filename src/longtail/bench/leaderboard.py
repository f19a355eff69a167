"""The leaderboard: one table per dataset x task x model, strategies down, metrics across.

Each cell reads ``mean ± half-width`` of the confidence interval over seeds,
then an arrow for the direction of the change against the baseline (↑ higher,
↓ lower; green when that is better, red when worse) and ``*`` / ``**`` when
the Holm-corrected paired t-test gives p < 0.05 / p < 0.01. The best mean of
each column is bold. The same tables go to the terminal (rich), to
leaderboard.csv / leaderboard.json (every metric and group) and to the HTML
report.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from rich.console import Console
from rich.table import Table
from rich.text import Text

from longtail.bench.aggregate import (
    OVERALL,
    Aggregate,
    ResultsFolder,
    TaskInfo,
    aggregate_folder,
    read_results,
)
from longtail.bench.store import write_atomic

SIGNIFICANCE = ((0.01, "**"), (0.05, "*"))
#: metrics shown after the headline pair when present, by name before any "@K"
PREFERRED_METRICS = (
    "true_ndcg", "recall", "item_coverage", "exposure_gini", "balanced_accuracy", "accuracy", "head_recall",
    "roc_auc", "log_loss", "ece", "g_mean", "arp",
)
EXTRA_METRICS = 3


@dataclass(frozen=True)
class Cell:
    """One strategy on one metric: its statistics over seeds and its comparison with the baseline."""

    mean: float
    ci_low: float
    ci_high: float
    n: int
    delta: float
    p_value: float
    p_value_wilcoxon: float
    lower_is_better: bool
    best: bool = False

    @property
    def half_width(self) -> float:
        """Half the width of the confidence interval (0 with one seed)."""
        return (self.ci_high - self.ci_low) / 2.0

    @property
    def stars(self) -> str:
        """``**`` for p < 0.01, ``*`` for p < 0.05 (Holm-corrected paired t-test), else empty."""
        for level, mark in SIGNIFICANCE:
            if self.p_value < level:  # NaN compares False: untested cells get no mark
                return mark
        return ""

    @property
    def arrow(self) -> str:
        """``↑`` when the mean rose against the baseline, ``↓`` when it fell, empty when equal or untested."""
        if not math.isfinite(self.delta) or self.delta == 0 or not math.isfinite(self.p_value):
            return ""
        return "↑" if self.delta > 0 else "↓"

    @property
    def better(self) -> bool | None:
        """Whether the change against the baseline is an improvement (None: no change or not tested)."""
        if not self.arrow:
            return None
        return (self.delta < 0) == self.lower_is_better

    @property
    def marks(self) -> str:
        """Arrow then stars, e.g. ``↑**``."""
        return self.arrow + self.stars

    def value_text(self) -> str:
        """``mean ± half-width`` (the mean alone for one seed)."""
        value = format_number(self.mean)
        if self.n > 1:
            value += f" ± {format_number(self.half_width, like=self.mean)}"
        return value

    def text(self) -> str:
        """``mean ± half-width`` followed by the arrow and stars, as plain text."""
        return f"{self.value_text()} {self.marks}".rstrip()


@dataclass
class Board:
    """One leaderboard: a dataset x task x model, its strategies and metric columns."""

    dataset: str
    task: str
    model: str
    baseline: str
    metrics: list[str]
    headline: list[str]
    strategies: list[str]
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    seeds: int = 0

    @property
    def title(self) -> str:
        """``dataset · task · model``."""
        return f"{self.dataset} · {self.task} · {self.model}"

    def cell(self, strategy: str, metric: str) -> Cell | None:
        """The cell of a strategy and metric, None where that strategy has no such metric."""
        return self.cells.get((strategy, metric))

    def lower_is_better(self, metric: str) -> bool:
        """Whether lower is better for a column's metric."""
        return any(cell.lower_is_better for (_, name), cell in self.cells.items() if name == metric)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: labels, columns and one record per strategy with a record per metric."""
        rows = []
        for strategy in self.strategies:
            values = {}
            for metric in self.metrics:
                cell = self.cell(strategy, metric)
                if cell is not None:
                    values[metric] = {**_finite(asdict(cell)), "text": cell.text(), "value_text": cell.value_text(),
                                      "marks": cell.marks, "better": cell.better}
            rows.append({"strategy": strategy, "baseline": strategy == self.baseline, "metrics": values})
        return {"dataset": self.dataset, "task": self.task, "model": self.model, "baseline": self.baseline,
                "headline": self.headline, "metrics": self.metrics, "seeds": self.seeds, "rows": rows}


def format_number(value: float, like: float | None = None) -> str:
    """A compact fixed-point number: 3 decimals below 10, 2 below 100, 1 above (scaled by ``like`` if given)."""
    if value is None or not math.isfinite(value):
        return "–"
    scale = abs(like if like is not None and math.isfinite(like) else value)
    if 0 < scale < 0.001:
        return f"{value:.2e}"
    decimals = 3 if scale < 10 else 2 if scale < 100 else 1
    return f"{value:.{decimals}f}"


def counted(n: int, one: str, many: str) -> str:
    """``"1 trial"`` / ``"3 trials"``."""
    return f"{n} {one if n == 1 else many}"


def _finite(record: dict[str, Any]) -> dict[str, Any]:
    """NaN and infinities as None, so the record is valid JSON."""
    return {key: (None if isinstance(value, float) and not math.isfinite(value) else value)
            for key, value in record.items()}


# --------------------------------------------------------------------------- building
def build_boards(
    summary: Aggregate,
    infos: dict[str, TaskInfo],
    strategy_order: Sequence[str] = (),
    metrics: Sequence[str] | None = None,
    extra: int = EXTRA_METRICS,
) -> list[Board]:
    """One :class:`Board` per dataset x task x model of the overall rows of ``summary``.

    Columns: ``metrics`` when given (those present), else the task's headline
    pair followed by up to ``extra`` other metrics that differ between
    strategies (preferred names first, see PREFERRED_METRICS); counts
    (``n_*``) and metrics equal for every strategy and seed are left out.
    """
    overall = summary.table.filter(pl.col("group_dim") == OVERALL)
    boards = []
    for (dataset, task, model), frame in overall.group_by(["dataset", "task", "model"], maintain_order=True):
        info = infos.get(task) or TaskInfo(task)
        present = frame.get_column("metric").unique(maintain_order=True).to_list()
        headline = info.headline_metrics(present)
        columns = [name for name in metrics if name in present] if metrics else _default_columns(frame, headline, extra)
        strategies = [name for name in dict.fromkeys([*strategy_order, *sorted(frame.get_column("strategy").unique())])
                      if name in set(frame.get_column("strategy"))]
        board = Board(str(dataset), str(task), str(model), summary.baseline, columns, headline, strategies,
                      seeds=int(frame.get_column("n").max() or 0))
        for row in frame.filter(pl.col("metric").is_in(columns)).iter_rows(named=True):
            board.cells[(row["strategy"], row["metric"])] = Cell(
                mean=_float(row["mean"]), ci_low=_float(row["ci_low"]), ci_high=_float(row["ci_high"]),
                n=int(row["n"]), delta=_float(row["delta_vs_baseline"]), p_value=_float(row["p_value"]),
                p_value_wilcoxon=_float(row["p_value_wilcoxon"]), lower_is_better=bool(row["lower_is_better"]),
            )
        _mark_best(board)
        boards.append(board)
    return sorted(boards, key=lambda board: (board.dataset, board.task, board.model))


def _float(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _default_columns(frame: pl.DataFrame, headline: list[str], extra: int) -> list[str]:
    spread = frame.group_by("metric").agg(
        (pl.col("mean").max() - pl.col("mean").min()).fill_nan(0).fill_null(0).alias("range"),
        pl.col("std").fill_nan(0).fill_null(0).max().alias("std"),
    )
    varying = set(spread.filter((pl.col("range") > 0) | (pl.col("std") > 0)).get_column("metric"))
    candidates = sorted(name for name in varying if name not in headline and not name.startswith("n_"))
    rank = {name: index for index, name in enumerate(PREFERRED_METRICS)}
    candidates.sort(key=lambda name: rank.get(name.split("@")[0], len(rank)))
    return [*headline, *candidates[:extra]]


def _mark_best(board: Board) -> None:
    for metric in board.metrics:
        cells = {strategy: board.cell(strategy, metric) for strategy in board.strategies}
        means = [cell.mean for cell in cells.values() if cell is not None and math.isfinite(cell.mean)]
        if len(means) < 2:
            continue
        lower = next(cell.lower_is_better for cell in cells.values() if cell is not None)
        best = min(means) if lower else max(means)
        for strategy, cell in cells.items():
            if cell is not None and cell.mean == best:
                board.cells[(strategy, metric)] = _replace(cell, best=True)


def _replace(cell: Cell, **changes: Any) -> Cell:
    return Cell(**{**asdict(cell), **changes})


# --------------------------------------------------------------------------- terminal
def legend(baseline: str, confidence: float) -> str:
    """One line explaining the cells."""
    return (f"mean ± half-width of the {confidence:.0%} CI over seeds; vs '{baseline}' on the same seeds: "
            "↑/↓ change (green better, red worse), * p<0.05, ** p<0.01 (paired t-test, Holm); bold = best")


def board_table(board: Board, width: int | None = None) -> Table:
    """A rich Table of one board (strategies down, metrics across).

    With ``width``, the trailing non-headline columns that would not fit in
    that many characters are left out (they are all in leaderboard.csv).
    """
    metrics = _fitting_columns(board, width) if width else board.metrics
    table = Table(header_style="bold")
    table.add_column("strategy", no_wrap=True, min_width=max(map(len, _row_labels(board))))
    for metric in metrics:
        table.add_column(_column_label(board, metric), justify="right", overflow="fold")
    for strategy, label in zip(board.strategies, _row_labels(board)):
        table.add_row(label, *(_rich_cell(board.cell(strategy, metric)) for metric in metrics))
    return table


def markdown_leaderboard(boards: Iterable[Board], legend_line: str) -> str:
    """The boards as Markdown: a heading and a table each (best cells bold), then the legend.

    For pages that quote a results folder (``longtail report DIR --markdown``);
    the cells read as in the terminal.
    """
    parts = []
    for board in boards:
        header = ["strategy", *(_column_label(board, metric) for metric in board.metrics)]
        lines = [f"#### {board.title} ({board.seeds} seeds)", "",
                 "| " + " | ".join(header) + " |", "|---" + "|---:" * len(board.metrics) + "|"]
        for strategy, label in zip(board.strategies, _row_labels(board)):
            cells = []
            for metric in board.metrics:
                cell = board.cell(strategy, metric)
                if cell is None:
                    cells.append("–")
                    continue
                value = f"**{cell.value_text()}**" if cell.best else cell.value_text()
                cells.append(f"{value} {cell.marks.replace('*', chr(92) + '*')}".rstrip())
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        parts.append("\n".join(lines))
    parts.append(legend_line.replace(" (green better, red worse)", "").replace("*", "\\*"))
    return "\n\n".join(parts) + "\n"


def _row_labels(board: Board) -> list[str]:
    return [name + (" (baseline)" if name == board.baseline and name != "baseline" else "") for name in board.strategies]


def _column_label(board: Board, metric: str) -> str:
    return f"{metric} {'↓' if board.lower_is_better(metric) else '↑'}" + (" ★" if metric in board.headline else "")


def _fitting_columns(board: Board, width: int) -> list[str]:
    """The board's columns, dropping non-headline ones from the right until the table fits ``width``."""
    def needed(metric: str) -> int:
        cells = [board.cell(strategy, metric) for strategy in board.strategies]
        return max(len(_column_label(board, metric)), *(len(cell.text()) for cell in cells if cell)) + 3

    used = max(map(len, _row_labels(board))) + 4
    kept = []
    for metric in board.metrics:
        if metric in board.headline or used + needed(metric) <= width:
            kept.append(metric)
            used += needed(metric)
    return kept


def _rich_cell(cell: Cell | None) -> Text:
    if cell is None:
        return Text("–", style="dim")
    text = Text(cell.value_text(), style="bold" if cell.best else "")
    if cell.marks:
        colour = {True: "green", False: "red"}.get(cell.better) if cell.stars else None
        text.append(" " + cell.marks, style=colour or "dim")
    return text


def print_leaderboard(
    results_dir: str | Path | ResultsFolder,
    console: Console | None = None,
    *,
    metrics: Sequence[str] | None = None,
) -> list[Board]:
    """Print the leaderboards of a results folder (one table per dataset x task x model); return them.

    ``metrics`` chooses the columns; by default they are the headline pair and
    the other columns that fit the console's width.
    """
    console = console or Console()
    results = results_dir if isinstance(results_dir, ResultsFolder) else read_results(results_dir)
    summary, infos = aggregate_folder(results)
    boards = build_boards(summary, infos, results.strategy_order(), metrics)
    for board in boards:
        console.print(Text(f"{board.title}  ({board.seeds} seeds)", style="bold"))
        # chosen columns are all shown; the default ones are trimmed to the terminal
        console.print(board_table(board, None if metrics else console.width))
    if boards:
        console.print(legend(summary.baseline, summary.confidence), style="dim", highlight=False, markup=False)
    for line in [*summary.notes, *_failure_lines(results)]:
        console.print(f"note: {line}", highlight=False, markup=False, soft_wrap=True)
    if not boards:
        console.print("no finished trials to compare", highlight=False)
    return boards


def _failure_lines(results: ResultsFolder) -> list[str]:
    if not results.errors:
        return []
    failed = counted(len(results.errors), "trial", "trials")
    return [f"{failed} failed; their errors are in {results.folder / 'errors'} and in the report"]


# --------------------------------------------------------------------------- files
def write_leaderboard_files(summary: Aggregate, boards: Iterable[Board], folder: str | Path) -> dict[str, Path]:
    """Write leaderboard.csv (every metric and group) and leaderboard.json (that, plus the boards) into ``folder``."""
    folder = Path(folder)
    table = summary.table
    csv = write_atomic(folder / "leaderboard.csv", table.write_csv)
    document = {
        "baseline": summary.baseline,
        "confidence": summary.confidence,
        "notes": summary.notes,
        "legend": legend(summary.baseline, summary.confidence),
        "boards": [board.to_dict() for board in boards],
        "rows": [_finite(record) for record in table.to_dicts()],
    }
    # allow_nan=False: a NaN that slipped through would make the file unreadable for strict JSON parsers
    text = json.dumps(document, indent=1, allow_nan=False, ensure_ascii=False) + "\n"
    path = write_atomic(folder / "leaderboard.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return {"leaderboard_csv": csv, "leaderboard_json": path}
