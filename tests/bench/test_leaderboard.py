"""Leaderboard tables: columns, marks, best cells, the terminal print and the CSV/JSON files."""

from __future__ import annotations

import json
import math

import polars as pl
import pytest
from rich.console import Console
from test_aggregate import BASE, GOOD, SAME, make_rows, write_store

from longtail.bench.aggregate import TaskInfo, aggregate, task_infos
from longtail.bench.leaderboard import (
    Cell,
    build_boards,
    format_number,
    legend,
    markdown_leaderboard,
    print_leaderboard,
    write_leaderboard_files,
)

WORSE = [0.20, 0.21, 0.19, 0.22]
INFOS = {"recommend": TaskInfo("recommend", ("ndcg@10", "tail_exposure"), frozenset({"exposure_gini@10"}))}


def recommend_rows() -> pl.DataFrame:
    return pl.concat([
        make_rows({"baseline": BASE, "good": GOOD, "worse": WORSE}),
        make_rows({"baseline": WORSE, "good": GOOD, "worse": BASE}, metric="tail_exposure"),
        make_rows({"baseline": GOOD, "good": WORSE, "worse": SAME}, metric="exposure_gini@10"),
        make_rows({"baseline": [100.0] * 4, "good": [100.0] * 4, "worse": [100.0] * 4}, metric="n_test_users"),
        make_rows({"baseline": [0.5] * 4, "good": [0.5] * 4, "worse": [0.5] * 4}, metric="positive_rate"),
        make_rows({"baseline": BASE, "good": GOOD, "worse": WORSE}, metric="recall@10", group_dim="popularity",
                  group="tail"),
    ])


def boards_of(rows: pl.DataFrame, **options):
    summary = aggregate(rows, lower_is_better=lambda t, m: INFOS[t].is_lower_better(m))
    return summary, build_boards(summary, INFOS, ["baseline", "worse", "good"], **options)


def test_columns_are_the_headline_then_metrics_that_differ():
    _, [board] = boards_of(recommend_rows())
    assert board.title == "shop · recommend · two-tower"
    assert board.metrics == ["ndcg@10", "tail_exposure", "exposure_gini@10"]  # no counts, no constant metric
    assert board.strategies == ["baseline", "worse", "good"] and board.seeds == 4


def test_requested_metrics_replace_the_default_columns():
    _, [board] = boards_of(recommend_rows(), metrics=["positive_rate", "no_such_metric", "ndcg@10"])
    assert board.metrics == ["positive_rate", "ndcg@10"]


def test_best_respects_the_metric_direction():
    _, [board] = boards_of(recommend_rows())
    best = {metric: [s for s in board.strategies if board.cell(s, metric).best] for metric in board.metrics}
    assert best == {"ndcg@10": ["good"], "tail_exposure": ["good"], "exposure_gini@10": ["good"]}
    assert board.lower_is_better("exposure_gini@10") and not board.lower_is_better("ndcg@10")


def test_marks_say_direction_better_or_worse_and_significance():
    _, [board] = boards_of(recommend_rows())
    good, worse = board.cell("good", "ndcg@10"), board.cell("worse", "ndcg@10")
    assert (good.arrow, good.better) == ("↑", True) and (worse.arrow, worse.better) == ("↓", False)
    gini = board.cell("good", "exposure_gini@10")  # fell, and lower is better
    assert (gini.arrow, gini.better) == ("↓", True)
    for cell in (good, worse, gini):
        expected = "**" if cell.p_value < 0.01 else "*" if cell.p_value < 0.05 else ""
        assert cell.stars == expected
    base = board.cell("baseline", "ndcg@10")
    assert base.marks == "" and base.better is None


@pytest.mark.parametrize("p, stars", [(0.0099, "**"), (0.01, "*"), (0.0499, "*"), (0.05, ""), (float("nan"), "")])
def test_star_thresholds(p, stars):
    cell = Cell(mean=1.0, ci_low=0.9, ci_high=1.1, n=3, delta=0.2, p_value=p, p_value_wilcoxon=p, lower_is_better=False)
    assert cell.stars == stars
    assert cell.text() == f"1.000 ± 0.100 {'↑' if not math.isnan(p) else ''}{stars}".rstrip()


def test_one_seed_shows_the_mean_alone():
    cell = Cell(mean=0.25, ci_low=0.25, ci_high=0.25, n=1, delta=float("nan"), p_value=float("nan"),
                p_value_wilcoxon=float("nan"), lower_is_better=False)
    assert cell.text() == "0.250"


@pytest.mark.parametrize("value, like, text", [
    (0.41234, None, "0.412"), (12.3456, None, "12.35"), (345.67, None, "345.7"), (0.0004, None, "4.00e-04"),
    (0.0132, 0.41, "0.013"), (float("nan"), None, "–"),
])
def test_format_number(value, like, text):
    assert format_number(value, like) == text


def test_print_leaderboard_shows_every_board_the_legend_and_failures(tmp_path):
    rows = pl.concat([recommend_rows(), make_rows({"baseline": BASE, "good": GOOD}, task="ctr", metric="pr_auc")])
    folder = write_store(tmp_path / "run", rows, errors=[{"dataset": "shop", "message": "boom"}])
    console = Console(record=True, width=200)
    boards = print_leaderboard(folder, console)
    out = console.export_text()
    assert [b.task for b in boards] == ["ctr", "recommend"]
    assert "shop · recommend · two-tower  (4 seeds)" in out and "shop · ctr · two-tower" in out
    assert "ndcg@10 ↑ ★" in out and "exposure_gini@10 ↓" in out
    good = boards[1].cell("good", "ndcg@10")
    assert good.stars and good.text() in out
    assert "paired t-test, Holm" in out and "1 trial failed" in out


def test_print_leaderboard_without_finished_trials(tmp_path):
    folder = write_store(tmp_path / "run", make_rows({"baseline": BASE}).head(0),
                         errors=[{"dataset": "shop", "message": "boom"}])
    console = Console(record=True, width=120)
    assert print_leaderboard(folder, console) == []
    assert "no finished trials" in console.export_text()


def test_leaderboard_files(tmp_path):
    summary, boards = boards_of(recommend_rows())
    paths = write_leaderboard_files(summary, boards, tmp_path)
    csv = pl.read_csv(paths["leaderboard_csv"])
    required = ["dataset", "task", "model", "strategy", "metric", "group_dim", "group", "mean", "std", "n", "ci_low",
                "ci_high", "p_value", "p_value_wilcoxon", "delta_vs_baseline"]
    assert set(required) <= set(csv.columns)
    assert csv.height == summary.table.height == 6 * 3
    document = json.loads(paths["leaderboard_json"].read_text(encoding="utf-8"), parse_constant=pytest.fail)
    assert document["baseline"] == "baseline" and len(document["rows"]) == csv.height
    [board] = document["boards"]
    good = next(entry for entry in board["rows"] if entry["strategy"] == "good")
    assert good["metrics"]["ndcg@10"]["marks"].startswith("↑")
    base = next(entry for entry in document["rows"] if entry["strategy"] == "baseline")
    assert base["p_value"] is None  # NaN written as null, never as the non-JSON NaN


def test_real_task_registry_directions_reach_the_board():
    rows = pl.concat([
        make_rows({"baseline": BASE, "good": GOOD}, task="categorize", metric=m) for m in ("macro_f1", "log_loss")
    ])
    infos = task_infos(["categorize"])
    summary = aggregate(rows, lower_is_better=lambda t, m: infos[t].is_lower_better(m))
    [board] = build_boards(summary, infos)
    assert board.headline == ["macro_f1"]  # tail_recall absent from these rows
    assert board.lower_is_better("log_loss") and board.cell("baseline", "log_loss").best


def test_markdown_leaderboard_has_a_table_per_board_best_in_bold_and_escaped_marks():
    summary, boards = boards_of(recommend_rows())
    text = markdown_leaderboard(boards, legend(summary.baseline, summary.confidence))
    lines = text.splitlines()
    assert lines[0] == "#### shop · recommend · two-tower (4 seeds)"
    assert lines[2] == "| strategy | ndcg@10 ↑ ★ | tail_exposure ↑ ★ | exposure_gini@10 ↓ |"
    rows = {line.split(" | ")[0].strip("| "): line for line in lines if line.startswith("| ") and "---" not in line}
    assert set(rows) >= {"baseline", "worse", "good"}
    assert rows["good"].count("**") >= 2  # the best ndcg@10 is bold
    good = boards[0].cell("good", "ndcg@10")
    assert good.stars and f"{good.arrow}\\{good.stars[0]}" in rows["good"]  # marks escaped, not read as emphasis
    assert "\\* p<0.05" in lines[-1]


def test_report_writes_markdown(tmp_path):
    from typer.testing import CliRunner

    from longtail.cli.main import app

    write_store(tmp_path, recommend_rows())
    out = tmp_path / "board.md"
    result = CliRunner().invoke(app, ["report", str(tmp_path), "--quiet", "--markdown", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("#### shop · recommend · two-tower")
