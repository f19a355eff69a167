"""The HTML report and `longtail report` on synthetic results folders: content, escaping, chart data, CLI."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import polars as pl
import pytest
from test_aggregate import BASE, GOOD, SAME, make_rows, write_store
from typer.testing import CliRunner

from longtail.bench.report import MAX_GROUPS, write_outputs
from longtail.bench.stats import pareto_front
from longtail.bench.store import ResultStore
from longtail.cli.main import app

HOSTILE_DATASET = "<img src=x onerror=alert(1)>"
HOSTILE_STRATEGY = "</script><script>alert('s')</script>"
HOSTILE_MESSAGE = '<script>alert("boom")</script> & more'
WORSE = [0.20, 0.21, 0.19, 0.22]
STRATEGIES = {"baseline": BASE, "logq": GOOD, HOSTILE_STRATEGY: WORSE}


def lorenz_rows(dataset: str) -> pl.DataFrame:
    frames = []
    for power, strategy in zip((3.0, 2.0, 1.5), STRATEGIES):
        shares = np.arange(1, 21) / 20
        frames += [make_rows({strategy: [share**power] * 3}, metric="exposure_lorenz", group_dim="share_of_items",
                             group=f"{share:.2f}", dataset=dataset) for share in shares]
    return pl.concat(frames)


def shop_rows(dataset: str = "shop") -> pl.DataFrame:
    frames = [
        make_rows(STRATEGIES, dataset=dataset),
        make_rows({"baseline": WORSE, "logq": SAME, HOSTILE_STRATEGY: GOOD}, metric="tail_exposure", dataset=dataset),
        lorenz_rows(dataset),
    ]
    for index, group in enumerate(("head", "torso", "tail", "cold")):
        frames.append(make_rows({name: [v - 0.05 * index for v in series] for name, series in STRATEGIES.items()},
                                metric="recall@10", group_dim="popularity", group=group, dataset=dataset))
    return pl.concat(frames)


PROFILE = {
    "n_interactions": 12345, "n_users": 200, "n_items": 150, "unknown_item_rows": 0,
    "dimensions": {
        "item": {"unit": "interactions", "n_groups": 150, "zero_groups": 8, "counts": {"1": 10, "2": 1}, "gini": 0.69,
                 "imbalance_ratio": 756.0, "normalized_entropy": 0.77, "effective_classes": 46.7, "top20_share": 0.73},
        "category": {"unit": "interactions", "n_groups": 74, "gini": 0.66, "imbalance_ratio": 379.0,
                     "normalized_entropy": 0.77, "effective_classes": 27.5, "top20_share": 0.72},
    },
    "drift": {"measure": "jensen-shannon divergence", "first_window": ["2024-01-01T00:00:00+00:00", "2024-01-13T00:00:00"],
              "last_window": ["2024-02-18T00:00:00", "2024-02-29T00:00:00"], "category": {"js": 0.064}},
    "advice": [{"dimension": "item", "finding": "top 20 % of items take 72.8 % of interactions",
                "remedy": "use logQ-corrected sampled softmax", "text": "..."}],
}
ERROR = {"dataset": "shop", "task": "recommend", "model": "two-tower", "strategy": "focal", "seed": 1,
         "error_type": "RuntimeError", "message": HOSTILE_MESSAGE, "traceback": "Traceback ...\nRuntimeError: <boom>"}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A folder with two datasets (one with a hostile name), profiles, an error; its written outputs and page."""
    folder = tmp_path_factory.mktemp("report") / "run"
    rows = pl.concat([shop_rows("shop"), shop_rows(HOSTILE_DATASET).filter(pl.col("metric") == "ndcg@10")])
    spec = {"name": "nightly", "baseline": "baseline", "tasks": ["recommend"], "strategies": list(STRATEGIES)}
    write_store(folder, rows, spec, profiles={"shop": PROFILE}, errors=[ERROR, {**ERROR, "dataset": None}])
    written = write_outputs(folder)
    page = written["report"].read_text(encoding="utf-8")
    return written, page, chart_data(page)


def chart_data(page: str) -> list[dict]:
    found = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    assert found, "no embedded chart data"
    return json.loads(found.group(1))["charts"]


def test_outputs_are_the_leaderboard_files_and_the_report(report):
    written, page, _ = report
    assert set(written) == {"leaderboard_csv", "leaderboard_json", "report"}
    assert all(path.is_file() and path.parent.name == "run" for path in written.values())
    assert page.startswith("<!DOCTYPE html>") and "longtail benchmark report: nightly" in page


def test_the_page_needs_no_network(report):
    _, page, _ = report
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert re.findall(r"<link[^>]*>", page) == ['<link rel="icon" href="data:,">']
    assert "@import" not in page and "url(" not in page
    # the only address is the SVG namespace, an identifier the browser never fetches
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}


def test_user_text_is_escaped(report):
    _, page, charts = report
    for hostile in (HOSTILE_DATASET, HOSTILE_STRATEGY, HOSTILE_MESSAGE, "<boom>"):
        assert hostile not in page
    assert html.escape(HOSTILE_DATASET) in page and html.escape(HOSTILE_MESSAGE) in page
    assert html.escape(HOSTILE_STRATEGY) in page
    # the chart data keeps the names intact for the script, which writes them as text
    names = {point["name"] for chart in charts if chart["type"] == "pareto" for point in chart["points"]}
    assert HOSTILE_STRATEGY in names


def test_every_chart_has_a_place_and_data(report):
    _, page, charts = report
    ids = [chart["id"] for chart in charts]
    assert len(set(ids)) == len(ids)
    for chart in charts:
        assert page.count(f'id="{chart["id"]}"') == 1
        if chart["type"] == "bars":
            assert chart["groups"] and all(len(s["values"]) == len(chart["groups"]) for s in chart["series"])
            assert any(v is not None for s in chart["series"] for v in s["values"])
        elif chart["type"] == "pareto":
            assert chart["points"]
        else:
            assert chart["type"] == "lines" and all(len(s["x"]) == len(s["y"]) > 1 for s in chart["series"])
    kinds = [chart["type"] for chart in charts]
    # profile skew bars + (pareto, lorenz, per-group bars) for shop + nothing for the one-metric dataset
    assert kinds == ["bars", "pareto", "lines", "bars"]


def test_pareto_front_is_computed_on_the_means(report):
    _, _, charts = report
    [pareto] = [chart for chart in charts if chart["type"] == "pareto"]
    points = {point["name"]: point for point in pareto["points"]}
    assert set(points) == set(STRATEGIES)
    x = np.array([np.mean(STRATEGIES[name]) for name in points])
    tail = {"baseline": WORSE, "logq": SAME, HOSTILE_STRATEGY: GOOD}
    y = np.array([np.mean(tail[name]) for name in points])
    np.testing.assert_allclose([p["x"] for p in points.values()], x)
    assert [p["front"] for p in points.values()] == pareto_front(x, y).tolist()
    assert pareto["x_label"] == "ndcg@10 (higher is better)"


def test_lorenz_curves_start_at_zero_and_end_at_one(report):
    _, _, charts = report
    [lorenz] = [chart for chart in charts if chart["type"] == "lines"]
    assert [s["name"] for s in lorenz["series"]] == list(STRATEGIES)
    for series, power in zip(lorenz["series"], (3.0, 2.0, 1.5)):
        assert series["x"][0] == series["y"][0] == 0.0 and series["x"][-1] == pytest.approx(1.0)
        np.testing.assert_allclose(series["y"], np.array(series["x"]) ** power)
        # Gini of a curve x**p is 1 - 2/(p+1); the 20-point trapezoid is close
        assert series["gini"] == pytest.approx(1 - 2 / (power + 1), abs=0.01)


def test_group_bars_order_groups_by_the_baseline(report):
    _, _, charts = report
    bars = [chart for chart in charts if chart["type"] == "bars" and chart["y_label"] == "recall@10"]
    assert bars and bars[0]["groups"] == ["head", "torso", "tail", "cold"]


def test_profile_and_errors_are_shown(report):
    _, page, _ = report
    assert "12,345" in page and "top 20 % of items take 72.8 % of interactions" in page
    assert "jensen-shannon divergence" in page and "2024-01-01 – 2024-01-13" in page
    assert page.count('class="error"') == 2 and "Other failed trials" in page
    assert "RuntimeError" in page and html.escape("RuntimeError: <boom>") in page
    assert "no imbalance profile stored" in page  # the second dataset has none


def test_many_groups_show_both_ends(tmp_path):
    groups = [f"cat {index:02d}" for index in range(50)]
    rows = pl.concat([make_rows({"baseline": [index / 50] * 2, "other": [0.5] * 2}, metric="recall",
                                group_dim="category", group=group) for index, group in enumerate(groups)])
    rows = pl.concat([rows, make_rows({"baseline": [0.1, 0.2], "other": [0.3, 0.4]}, metric="macro_f1")])
    written = write_outputs(write_store(tmp_path / "run", rows))
    [bars] = [c for c in chart_data(written["report"].read_text()) if c["type"] == "bars"]
    assert len(bars["groups"]) == MAX_GROUPS
    assert bars["groups"][0] == "cat 49" and bars["groups"][-1] == "cat 00"


def test_a_folder_with_only_failures_gets_a_report(tmp_path):
    folder = write_store(tmp_path / "run", make_rows({"baseline": BASE}).head(0), errors=[ERROR])
    page = write_outputs(folder)["report"].read_text()
    assert chart_data(page) == [] and html.escape(HOSTILE_MESSAGE) in page


def test_a_run_where_everything_was_skipped_gets_a_report(tmp_path):
    store = ResultStore(tmp_path / "run")
    store.write_skipped([{"dataset": "shop", "task": "ctr", "strategy": "logq", "reason": "<retrieval only>",
                          "model": None}])
    page = write_outputs(store.folder)["report"].read_text()
    assert "1 combination was skipped" in page and html.escape("<retrieval only>") in page


# --------------------------------------------------------------------------- CLI
def test_cli_report_rebuilds_files_and_prints_the_leaderboard(tmp_path):
    folder = write_store(tmp_path / "run", shop_rows())
    result = CliRunner().invoke(app, ["report", str(folder)])
    assert result.exit_code == 0, result.output
    assert "shop · recommend · two-tower" in result.output and "ndcg@10" in result.output
    assert f"report: {folder / 'report.html'}" in result.output
    assert (folder / "report.html").is_file() and (folder / "leaderboard.csv").is_file()


def test_cli_report_metric_option_and_quiet(tmp_path):
    folder = write_store(tmp_path / "run", shop_rows())
    result = CliRunner().invoke(app, ["report", str(folder), "-m", "tail_exposure"])
    assert result.exit_code == 0 and "tail_exposure" in result.output and "ndcg@10 ↑" not in result.output
    quiet = CliRunner().invoke(app, ["report", str(folder), "--quiet"])
    assert quiet.exit_code == 0 and "two-tower" not in quiet.output and "report:" in quiet.output


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_cli_report_on_a_missing_or_empty_folder_is_one_error_line(tmp_path, make):
    folder = tmp_path / "run"
    if make == "empty":
        folder.mkdir()
    result = CliRunner().invoke(app, ["report", str(folder)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(folder) in lines[0]
