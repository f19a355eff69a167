"""The benchmark report: leaderboard.csv, leaderboard.json and one self-contained report.html.

The HTML file carries its own CSS and a small script (templates/) that
draws every chart as SVG from JSON embedded in the page, so it opens
offline from a file, with no CDN and no network request (a
Content-Security-Policy forbids them). Per dataset it shows the imbalance
profile, then per task x model the leaderboard, the Pareto plot of the
headline accuracy metric against the headline tail metric, per-group bars
and the Lorenz curves of exposure, and finally the errors of failed trials.
Every piece of text from the results (names, errors) is HTML-escaped; the
script writes text only through ``textContent``.
"""

from __future__ import annotations

import html
import json
import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

import numpy as np
import polars as pl

from longtail.bench import stats
from longtail.bench.aggregate import OVERALL, Aggregate, ResultsFolder, aggregate_folder, read_results
from longtail.bench.leaderboard import Board, Cell, build_boards, counted, format_number, write_leaderboard_files
from longtail.bench.store import write_atomic

TEMPLATES = Path(__file__).parent / "templates"
REPORT_FILE = "report.html"
LORENZ_METRIC = "exposure_lorenz"
LORENZ_DIM = "share_of_items"
MAX_GROUPS = 30
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#17becf", "#bcbd22", "#8c564b", "#e377c2", "#2ca02c", "#1f77b4", "#d62728",
)
BASELINE_COLOR = "#6e7781"
PROFILE_COLUMNS = (
    ("n_groups", "groups"), ("zero_groups", "empty groups"), ("gini", "Gini"), ("imbalance_ratio", "imbalance ratio"),
    ("normalized_entropy", "normalized entropy"), ("effective_classes", "effective classes"),
    ("top20_share", "top-20 % share"),
)
PROFILE_CHART = (("gini", "Gini"), ("top20_share", "top-20 % share"), ("normalized_entropy", "normalized entropy"))


def write_outputs(results_dir: str | Path) -> dict[str, Path]:
    """Write leaderboard.csv, leaderboard.json and report.html into a results folder; return their paths.

    Keys: ``leaderboard_csv``, ``leaderboard_json``, ``report``.
    """
    results = read_results(results_dir)
    summary, infos = aggregate_folder(results)
    boards = build_boards(summary, infos, results.strategy_order())
    written = write_leaderboard_files(summary, boards, results.folder)
    page = render_report(results, summary, boards)
    written["report"] = write_atomic(results.folder / REPORT_FILE, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return written


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


# --------------------------------------------------------------------------- the page
@dataclass
class _Page:
    """Collects the charts of a page and gives each an id and each strategy a colour."""

    strategies: list[str]
    baseline: str
    charts: list[dict[str, Any]] = field(default_factory=list)

    def color(self, strategy: str) -> str:
        if strategy == self.baseline:
            return BASELINE_COLOR
        others = [name for name in self.strategies if name != self.baseline]
        index = others.index(strategy) if strategy in others else len(others) + zlib.crc32(strategy.encode())
        return PALETTE[index % len(PALETTE)]

    def chart(self, chart: dict[str, Any], title: str, subtitle: str = "", wide: bool = False) -> str:
        """Register a chart's data; the HTML figure its script draws into."""
        chart_id = f"chart-{len(self.charts) + 1}"
        self.charts.append({"id": chart_id, **chart})
        sub = f' <span class="sub">{_e(subtitle)}</span>' if subtitle else ""
        return (f'<figure class="chart{" wide" if wide else ""}"><figcaption>{_e(title)}{sub}</figcaption>'
                f'<div class="plot" id="{chart_id}" data-chart="{chart["type"]}"></div></figure>')


def render_report(results: ResultsFolder, summary: Aggregate, boards: Sequence[Board]) -> str:
    """The whole report.html as a string."""
    page = _Page(results.strategy_order(), summary.baseline)
    datasets = sorted({*results.profiles, *(board.dataset for board in boards),
                       *(str(error["dataset"]) for error in results.errors if error.get("dataset") is not None)})
    anchors = {name: f"dataset-{index}" for index, name in enumerate(datasets, 1)}
    body = [_overview(results, summary, anchors)]
    for name in datasets:
        body.append(_dataset_section(name, anchors[name], results, summary, [b for b in boards if b.dataset == name], page))
    loose = [error for error in results.errors if error.get("dataset") is None]
    if loose:
        body.append(f"<section><h2>Other failed trials</h2>{_errors_html(loose)}</section>")
    title = f"longtail benchmark report: {results.spec.get('name') or results.folder.name}"
    template = Template((TEMPLATES / "report.html").read_text(encoding="utf-8"))
    return template.substitute(
        title=_e(title),
        style=(TEMPLATES / "report.css").read_text(encoding="utf-8"),
        script=(TEMPLATES / "report.js").read_text(encoding="utf-8"),
        header=_header(results, summary),
        body="\n".join(body),
        footer=_e(f"results: {results.folder.resolve()} ({results.source}); every number is in leaderboard.csv"),
        data=_script_json({"charts": page.charts}),
    )


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element: no "</script>", no "<!--", NaN written as null."""
    text = json.dumps(_json_ready(data), allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(item) for item in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def _header(results: ResultsFolder, summary: Aggregate) -> str:
    rows = results.rows
    facts = [("results folder", results.folder.name), ("baseline", summary.baseline)]
    if rows.height:
        seeds = sorted(rows.get_column("seed").unique().drop_nulls().to_list())
        facts += [
            ("datasets × tasks × models", rows.select("dataset", "task", "model").unique().height),
            ("strategies", ", ".join(results.strategy_order())),
            ("seeds", ", ".join(str(seed) for seed in seeds)),
            ("finished trials", rows.get_column("trial_id").n_unique() if "trial_id" in rows.columns else "–"),
        ]
        for column, label in (("version", "longtail version"), ("device", "device"), ("spec_hash", "spec hash")):
            if column in rows.columns:
                facts.append((label, ", ".join(str(v) for v in rows.get_column(column).unique().drop_nulls().sort())))
        if {"trial_id", "wall_time"} <= set(rows.columns):
            seconds = rows.group_by("trial_id").agg(pl.col("wall_time").first()).get_column("wall_time").sum()
            facts.append(("trial time (sum)", f"{seconds:.0f} s"))
    facts.append(("failed trials", len(results.errors)))
    meta = "".join(f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>" for label, value in facts)
    return f'<dl class="meta">{meta}</dl>'


def _overview(results: ResultsFolder, summary: Aggregate, anchors: dict[str, str]) -> str:
    how = (
        '<p class="how"><b>How to read.</b> Each cell is the mean over seeds ± half the width of its '
        f"{summary.confidence:.0%} Student-t confidence interval (one seed: the mean alone). Against the baseline "
        f"<code>{_e(summary.baseline)}</code>, trained and tested on the same splits (same seeds): ↑/↓ say whether the "
        "mean rose or fell, green when that is better for the metric and red when worse; <code>*</code> p&lt;0.05 and "
        "<code>**</code> p&lt;0.01 by a paired t-test, Holm-corrected across the strategies compared on that metric. "
        "Bold is the best mean of a column; ↑ / ↓ next to a metric name says whether higher or lower is better and ★ "
        "marks the headline pair. Hover a cell for the interval, the difference and both p-values (t-test and "
        "Wilcoxon signed-rank).</p>"
    )
    links = "".join(f'<li><a href="#{anchors[name]}">{_e(name)}</a></li>' for name in anchors)
    parts = [how, f"<nav><h2>Datasets</h2><ul>{links}</ul></nav>" if links else ""]
    notes = list(summary.notes)
    if results.errors:
        notes.append(f"{counted(len(results.errors), 'trial', 'trials')} failed; see the errors under each dataset")
    if notes:
        parts.append('<ul class="notes">' + "".join(f"<li>{_e(note)}</li>" for note in notes) + "</ul>")
    if results.skipped:
        parts.append(_skipped_html(results.skipped))
    return "\n".join(parts)


def _skipped_html(skipped: list[dict[str, Any]]) -> str:
    columns = ("dataset", "task", "model", "strategy", "reason")
    head = "".join(f'<th class="text">{_e(name)}</th>' for name in columns)
    body = "".join(
        "<tr>" + "".join(f'<td class="text">{_e(entry.get(name) if entry.get(name) is not None else "–")}</td>'
                         for name in columns) + "</tr>"
        for entry in skipped
    )
    return (f"<details><summary>{counted(len(skipped), 'combination was', 'combinations were')} skipped "
            "(they cannot run)</summary>"
            f'<div class="table-wrap"><table><tr>{head}</tr>{body}</table></div></details>')


# --------------------------------------------------------------------------- one dataset
def _dataset_section(
    name: str, anchor: str, results: ResultsFolder, summary: Aggregate, boards: list[Board], page: _Page
) -> str:
    parts = [f'<section class="dataset" id="{anchor}"><h2>Dataset: {_e(name)}</h2>']
    profile = results.profiles.get(name)
    parts.append(_profile_html(profile, page) if profile else '<p class="empty">no imbalance profile stored</p>')
    for board in boards:
        parts.append(_board_section(board, summary, page))
    errors = [error for error in results.errors if str(error.get("dataset")) == name]
    if errors:
        parts.append(f"<h3>Failed trials ({len(errors)})</h3>{_errors_html(errors)}")
    parts.append("</section>")
    return "\n".join(parts)


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "–" if value is None else str(value)
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1000:
        return f"{int(value):,}"
    return format_number(float(value))


def _profile_html(profile: dict[str, Any], page: _Page) -> str:
    parts = ["<h3>Imbalance profile</h3>"]
    numbers = [("n_interactions", "interactions"), ("n_users", "users"), ("n_items", "items"),
               ("unknown_item_rows", "interactions with unknown items")]
    cards = "".join(f"<div><b>{_e(_number(profile[key]))}</b><span>{_e(label)}</span></div>"
                    for key, label in numbers if key in profile)
    parts.append(f'<div class="numbers">{cards}</div>')
    dimensions = profile.get("dimensions") if isinstance(profile.get("dimensions"), dict) else {}
    dims = {dim: values for dim, values in dimensions.items() if isinstance(values, dict)}
    if dims:
        head = '<th class="text">dimension</th><th class="text">unit</th>' + "".join(
            f"<th>{_e(label)}</th>" for _, label in PROFILE_COLUMNS)
        body = "".join(
            f'<tr><td class="text">{_e(dim)}</td><td class="text">{_e(values.get("unit", "–"))}</td>'
            + "".join(f"<td>{_e(_number(values.get(key)))}</td>" for key, _ in PROFILE_COLUMNS) + "</tr>"
            for dim, values in dims.items()
        )
        parts.append(f'<div class="table-wrap"><table><tr>{head}</tr>{body}</table></div>')
        series = [
            {"name": label, "color": PALETTE[index], "values": [_as_float(values.get(key)) for values in dims.values()],
             "low": [None] * len(dims), "high": [None] * len(dims)}
            for index, (key, label) in enumerate(PROFILE_CHART)
        ]
        if any(value is not None for entry in series for value in entry["values"]):
            chart = {"type": "bars", "groups": list(dims), "series": series, "y_label": "0 = balanced, 1 = skewed"}
            parts.append('<div class="charts">' + page.chart(
                chart, "Skew by dimension", "Gini and top-20 % share rise with skew; normalized entropy falls") + "</div>")
    parts.append(_drift_html(profile.get("drift")))
    parts.append(_advice_html(profile.get("advice")))
    return "\n".join(parts)


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _drift_html(drift: Any) -> str:
    if not isinstance(drift, dict):
        return ""
    mixes = [(name, values) for name, values in drift.items() if isinstance(values, dict) and "js" in values]
    if not mixes:
        return ""
    windows = ""
    first, last = drift.get("first_window"), drift.get("last_window")
    if isinstance(first, list) and isinstance(last, list):
        windows = f" between the first window ({_e(_span(first))}) and the last ({_e(_span(last))})"
    items = "".join(f"<li>{_e(name)} mix: JS = {_e(_number(values.get('js')))}</li>" for name, values in mixes)
    measure = f" ({_e(drift['measure'])})" if drift.get("measure") else ""
    return f"<h4>Drift{windows}{measure}</h4><ul>{items}</ul>"


def _span(window: list[Any]) -> str:
    """``start – end`` of a time window, as dates (the first ten characters of ISO 8601)."""
    return " – ".join(str(moment)[:10] for moment in window)


def _advice_html(advice: Any) -> str:
    if not isinstance(advice, list) or not advice:
        return "<h4>Advice</h4><p class=\"empty\">no strong imbalance found</p>"
    items = []
    for entry in advice:
        if isinstance(entry, dict) and entry.get("finding"):
            dimension = f"<b>{_e(entry.get('dimension', ''))}</b>: " if entry.get("dimension") else ""
            remedy = f' <span class="remedy">→ {_e(entry["remedy"])}</span>' if entry.get("remedy") else ""
            items.append(f"<li>{dimension}{_e(entry['finding'])}{remedy}</li>")
        else:
            items.append(f"<li>{_e(entry.get('text', entry) if isinstance(entry, dict) else entry)}</li>")
    return f'<h4>Advice</h4><ul class="advice">{"".join(items)}</ul>'


def _errors_html(errors: Iterable[dict[str, Any]]) -> str:
    blocks = []
    for error in errors:
        labels = " · ".join(f"{key} {error[key]}" for key in ("task", "model", "strategy", "seed") if error.get(key) is not None)
        message = str(error.get("message") or "").strip()
        first_line = message.splitlines()[0] if message else "(no message)"
        detail = "\n\n".join(str(error[key]) for key in ("message", "traceback") if error.get(key))
        blocks.append(
            f'<details class="error"><summary><span class="type">{_e(error.get("error_type") or "error")}</span> '
            f"{_e(labels)}: {_e(first_line)}</summary><pre>{_e(detail or first_line)}</pre></details>"
        )
    return "\n".join(blocks)


# --------------------------------------------------------------------------- one task x model
def _board_section(board: Board, summary: Aggregate, page: _Page) -> str:
    cells = summary.table.filter(
        (pl.col("dataset") == board.dataset) & (pl.col("task") == board.task) & (pl.col("model") == board.model)
    )
    charts = [chart for chart in (_pareto_chart(board, page), _lorenz_chart(board, cells, page)) if chart]
    charts += _group_charts(board, cells, page)
    plots = f'<div class="charts">{"".join(charts)}</div>' if charts else ""
    return (f"<h3>{_e(board.task)} · {_e(board.model)} <span class=\"sub\">({board.seeds} seeds)</span></h3>"
            f"{_board_table(board, summary.confidence)}{plots}")


def _board_table(board: Board, confidence: float) -> str:
    head = '<th class="text">strategy</th>' + "".join(_metric_header(board, metric) for metric in board.metrics)
    rows = []
    for strategy in board.strategies:
        is_base = strategy == board.baseline
        label = _e(strategy) + (" <small>(baseline)</small>" if is_base and strategy != "baseline" else "")
        tds = "".join(_cell_html(board.cell(strategy, metric), confidence) for metric in board.metrics)
        row_class = ' class="baseline"' if is_base else ""
        rows.append(f'<tr{row_class}><td class="text">{label}</td>{tds}</tr>')
    return f'<div class="table-wrap"><table class="leaderboard"><tr>{head}</tr>{"".join(rows)}</table></div>'


def _metric_header(board: Board, metric: str) -> str:
    headline = metric in board.headline
    direction = "↓" if board.lower_is_better(metric) else "↑"
    attrs = ' class="headline"' if headline else ""
    return f"<th{attrs}>{_e(metric)} {direction}{' ★' if headline else ''}</th>"


def _cell_html(cell: Cell | None, confidence: float) -> str:
    if cell is None:
        return '<td class="empty">–</td>'
    hint = f"n = {cell.n}; {confidence:.0%} CI [{format_number(cell.ci_low)}, {format_number(cell.ci_high)}]"
    if math.isfinite(cell.delta):
        hint += (f"; Δ vs baseline {cell.delta:+.4g}; p (paired t, Holm) {_p(cell.p_value)}; "
                 f"p (Wilcoxon, Holm) {_p(cell.p_value_wilcoxon)}")
    marks = ""
    if cell.marks:
        tone = {True: " better", False: " worse"}.get(cell.better, "") if cell.stars else ""
        marks = f'<span class="marks{tone}">{_e(cell.marks)}</span>'
    best = ' class="best"' if cell.best else ""
    return f'<td{best} title="{_e(hint)}">{_e(cell.value_text())}{marks}</td>'


def _p(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.3g}"


def _pareto_chart(board: Board, page: _Page) -> str:
    if len(board.headline) < 2:
        return ""
    x_metric, y_metric = board.headline[:2]
    chosen = [(strategy, board.cell(strategy, x_metric), board.cell(strategy, y_metric)) for strategy in board.strategies]
    chosen = [(name, x, y) for name, x, y in chosen if x and y and math.isfinite(x.mean) and math.isfinite(y.mean)]
    if not chosen:
        return ""
    x_lower, y_lower = chosen[0][1].lower_is_better, chosen[0][2].lower_is_better
    front = stats.pareto_front(np.array([x.mean for _, x, _ in chosen]), np.array([y.mean for _, _, y in chosen]),
                               x_higher=not x_lower, y_higher=not y_lower)
    points = [
        {"name": name, "x": x.mean, "y": y.mean, "x_low": x.ci_low, "x_high": x.ci_high, "y_low": y.ci_low,
         "y_high": y.ci_high, "front": bool(on_front), "color": page.color(name)}
        for (name, x, y), on_front in zip(chosen, front)
    ]
    chart = {"type": "pareto", "points": points, "x_label": _axis_label(x_metric, x_lower),
             "y_label": _axis_label(y_metric, y_lower)}
    return page.chart(chart, f"Accuracy vs tail: {x_metric} against {y_metric}",
                      f"{counted(int(front.sum()), 'strategy', 'strategies')} on the Pareto front (dashed); whiskers: CI")


def _axis_label(metric: str, lower: bool) -> str:
    return f"{metric} ({'lower' if lower else 'higher'} is better)"


def _lorenz_chart(board: Board, cells: pl.DataFrame, page: _Page) -> str:
    curves = cells.filter((pl.col("metric") == LORENZ_METRIC) & (pl.col("group_dim") == LORENZ_DIM))
    series = []
    for strategy in board.strategies:
        points = []
        for group, mean in curves.filter(pl.col("strategy") == strategy).select("group", "mean").iter_rows():
            try:
                points.append((float(group), mean))
            except ValueError:  # a group that is not a share: not part of the curve
                continue
        points = sorted((x, y) for x, y in points if y is not None and 0.0 <= x <= 1.0)
        if points:
            xs, ys = [0.0, *(x for x, _ in points)], [0.0, *(y for _, y in points)]
            series.append({"name": strategy, "x": xs, "y": ys, "color": page.color(strategy),
                           "gini": _lorenz_gini(xs, ys)})
    if not series:
        return ""
    chart = {"type": "lines", "series": series, "diagonal": True, "x_label": "share of items (least exposed first)",
             "y_label": "share of exposure"}
    return page.chart(chart, "Lorenz curves of exposure", "the closer to the diagonal, the more even the exposure")


def _lorenz_gini(xs: list[float], ys: list[float]) -> float | None:
    """1 - 2 x area under the curve (trapezoids); None when the curve does not reach x = 1."""
    if not xs or xs[-1] < 1.0 - 1e-9 or any(y is None or not math.isfinite(y) for y in ys):
        return None
    x, y = np.asarray(xs), np.asarray(ys)
    return float(1.0 - np.sum(np.diff(x) * (y[1:] + y[:-1])))


def _group_charts(board: Board, cells: pl.DataFrame, page: _Page) -> list[str]:
    grouped = cells.filter(
        (pl.col("group_dim") != OVERALL) & (pl.col("metric") != LORENZ_METRIC) & ~pl.col("metric").str.starts_with("n_")
    )
    pairs = grouped.select("metric", "group_dim").unique().rows()
    pairs.sort(key=lambda pair: (pair[0] not in board.headline, pair[0], pair[1]))
    charts = []
    for metric, dim in pairs:
        frame = grouped.filter((pl.col("metric") == metric) & (pl.col("group_dim") == dim))
        groups, note = _ordered_groups(frame, board.baseline)
        strategies = [name for name in board.strategies if name in set(frame.get_column("strategy"))]
        lookup = {(row["strategy"], row["group"]): row for row in frame.iter_rows(named=True)}
        series = []
        for strategy in strategies:
            rows = [lookup.get((strategy, group)) for group in groups]
            series.append({
                "name": strategy, "color": page.color(strategy),
                **{key: [row[column] if row else None for row in rows]
                   for key, column in (("values", "mean"), ("low", "ci_low"), ("high", "ci_high"))},
            })
        chart = {"type": "bars", "groups": groups, "series": series, "y_label": metric}
        wide = len(groups) * len(series) > 40
        charts.append(page.chart(chart, f"{metric} by {dim}", note, wide=wide))
    return charts


def _ordered_groups(frame: pl.DataFrame, baseline: str) -> tuple[list[str], str]:
    """Groups by the baseline's mean, highest first (all strategies' mean without a baseline); the ends when too many."""
    reference = frame.filter(pl.col("strategy") == baseline)
    reference = reference if reference.height else frame
    order = (reference.group_by("group").agg(pl.col("mean").mean().fill_nan(None).alias("key"))
             .sort(["key", "group"], descending=[True, False], nulls_last=True).get_column("group").to_list())
    extra = sorted(set(frame.get_column("group")) - set(order))
    order += extra
    note = "groups ordered by the baseline's mean; whiskers: CI"
    if len(order) > MAX_GROUPS:
        half = MAX_GROUPS // 2
        note = (f"the {half} highest and {half} lowest of {len(order)} groups by the baseline's mean "
                "(all in leaderboard.csv); whiskers: CI")
        order = [*order[:half], *order[-half:]]
    return order, note
