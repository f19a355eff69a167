"""Aggregation over seeds on synthetic results frames: means, CIs, pairing, Holm, directions, folders."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml
from scipy import stats as sps

from longtail.bench.aggregate import (
    OUTPUT_COLUMNS,
    TaskInfo,
    aggregate,
    aggregate_folder,
    read_results,
    task_infos,
)
from longtail.bench.stats import holm
from longtail.bench.store import ResultStore, tidy_rows
from longtail.errors import LongtailError

LABELS = {"dataset": "shop", "task": "recommend", "model": "two-tower"}


def make_rows(values: dict[str, list[float]], metric: str = "ndcg@10", group_dim: str = "all", group: str = "all",
              seeds: list[int] | None = None, **labels: str) -> pl.DataFrame:
    """Tidy rows: one per strategy and seed (``values[strategy][i]`` is seed ``seeds[i]``)."""
    records = []
    for strategy, series in values.items():
        for seed, value in zip(seeds or range(len(series)), series):
            records.append({**LABELS, **labels, "strategy": strategy, "seed": seed, "metric": metric,
                            "group_dim": group_dim, "group": group, "value": value})
    return pl.DataFrame(records, schema_overrides={"value": pl.Float64, "seed": pl.Int64})


def write_store(folder: Path, rows: pl.DataFrame, spec: dict | None = None, consolidate: bool = True,
                profiles: dict | None = None, errors: list[dict] | None = None) -> Path:
    """A results folder written through the real store, one rows file per trial."""
    store = ResultStore(folder)
    keys = ["dataset", "task", "model", "strategy", "seed"]
    for index, trial in enumerate(rows.partition_by(keys, maintain_order=True)):
        labels = {key: trial.get_column(key)[0] for key in keys}
        trial_id = f"trial-{index}"  # names may hold characters a file name cannot
        metrics = list(trial.select("metric", "group_dim", "group", "value").iter_rows())
        meta = {"version": "0.1.0", "spec_hash": "abc", "device": "cpu", "wall_time": 1.5}
        store.write_rows(trial_id, tidy_rows({**labels, "trial_id": trial_id}, metrics, meta))
    for dataset, profile in (profiles or {}).items():
        store.write_profile(dataset, profile)
    for index, error in enumerate(errors or []):
        store.write_error(f"failed-{index}", error)
    store.write_spec(yaml.safe_dump(spec or {"baseline": "baseline", "tasks": [{"name": "recommend"}]}))
    if consolidate:
        store.consolidate()
    return folder


def row(table: pl.DataFrame, strategy: str, metric: str = "ndcg@10", group: str = "all") -> dict:
    found = table.filter((pl.col("strategy") == strategy) & (pl.col("metric") == metric) & (pl.col("group") == group))
    assert found.height == 1, found
    return found.row(0, named=True)


BASE = [0.30, 0.32, 0.29, 0.31]
GOOD = [0.35, 0.36, 0.33, 0.37]
SAME = [0.31, 0.31, 0.30, 0.30]


# --------------------------------------------------------------------------- statistics
def test_mean_std_and_interval_match_scipy():
    table = aggregate(make_rows({"baseline": BASE, "good": GOOD})).table
    got = row(table, "good")
    values = np.array(GOOD)
    low, high = sps.t.interval(0.95, 3, loc=values.mean(), scale=sps.sem(values))
    assert got["mean"] == pytest.approx(values.mean())
    assert got["std"] == pytest.approx(values.std(ddof=1))
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((low, high))
    assert (got["n"], got["n_missing"], got["n_pairs"]) == (4, 0, 4)
    assert list(table.columns) == list(OUTPUT_COLUMNS)


def test_paired_tests_against_the_baseline_are_holm_corrected_per_family():
    rows = make_rows({"baseline": BASE, "good": GOOD, "same": SAME})
    table = aggregate(rows).table
    raw = {}
    for name, series in (("good", GOOD), ("same", SAME)):
        got = row(table, name)
        raw[name] = sps.ttest_rel(series, BASE).pvalue
        assert got["p_value_raw"] == pytest.approx(raw[name])
        assert got["p_value_wilcoxon_raw"] == pytest.approx(sps.wilcoxon(np.subtract(series, BASE)).pvalue)
        assert got["delta_vs_baseline"] == pytest.approx(np.mean(np.subtract(series, BASE)))
    adjusted = holm(np.array([raw["good"], raw["same"]]))
    assert row(table, "good")["p_value"] == pytest.approx(adjusted[0])
    assert row(table, "same")["p_value"] == pytest.approx(adjusted[1])
    base = row(table, "baseline")
    assert base["delta_vs_baseline"] == 0.0 and math.isnan(base["p_value"]) and math.isnan(base["p_value_raw"])


def test_families_are_separate_per_metric_and_group():
    rows = pl.concat([
        make_rows({"baseline": BASE, "good": GOOD}),
        make_rows({"baseline": BASE, "good": GOOD}, metric="recall@10", group_dim="popularity", group="tail"),
        make_rows({"baseline": BASE, "good": SAME}, metric="recall@10", group_dim="popularity", group="head"),
    ])
    table = aggregate(rows).table
    # one strategy per family: Holm leaves its p-value as it is
    for metric, group in (("ndcg@10", "all"), ("recall@10", "tail"), ("recall@10", "head")):
        got = row(table, "good", metric, group)
        assert got["p_value"] == pytest.approx(got["p_value_raw"])
    assert row(table, "good", "recall@10", "head")["p_value_raw"] == pytest.approx(sps.ttest_rel(SAME, BASE).pvalue)


def test_pairs_are_matched_by_seed_not_by_position():
    rows = pl.concat([
        make_rows({"baseline": BASE}, seeds=[0, 1, 2, 3]),
        make_rows({"good": [GOOD[3], GOOD[1], GOOD[0]]}, seeds=[3, 1, 0]),  # seed 2 missing, shuffled
    ]).sample(fraction=1.0, shuffle=True, seed=0)
    got = row(aggregate(rows).table, "good")
    shared = [0, 1, 3]
    assert got["n_pairs"] == 3 and got["n"] == 3
    expected = sps.ttest_rel([GOOD[s] for s in shared], [BASE[s] for s in shared]).pvalue
    assert got["p_value_raw"] == pytest.approx(expected)


def test_nan_values_are_counted_not_averaged():
    rows = make_rows({"baseline": BASE, "sparse": [0.4, float("nan"), 0.5, 0.45]})
    result = aggregate(rows)
    got = row(result.table, "sparse")
    assert (got["n"], got["n_missing"], got["n_pairs"]) == (3, 1, 3)
    assert got["mean"] == pytest.approx(0.45)
    assert any("NaN" in note for note in result.notes)


def test_several_rows_for_one_seed_are_averaged_and_reported():
    rows = pl.concat([make_rows({"baseline": BASE}), make_rows({"baseline": [0.40]})])
    result = aggregate(rows)
    assert row(result.table, "baseline")["mean"] == pytest.approx(np.mean([(0.30 + 0.40) / 2, *BASE[1:]]))
    assert any("several rows" in note for note in result.notes)


def test_one_seed_gives_the_mean_as_interval_and_no_test():
    got = row(aggregate(make_rows({"baseline": [0.3], "good": [0.4]})).table, "good")
    assert got["ci_low"] == got["ci_high"] == got["mean"] == 0.4
    assert math.isnan(got["std"]) and math.isnan(got["p_value"])
    assert got["delta_vs_baseline"] == pytest.approx(0.1)


def test_a_missing_baseline_leaves_strategies_untested_and_says_so():
    result = aggregate(make_rows({"good": GOOD, "same": SAME}), baseline="plain")
    assert result.table.get_column("p_value").is_nan().all()
    assert any("'plain'" in note and "shop/recommend/two-tower" in note for note in result.notes)


def test_rows_without_a_required_column_are_refused():
    with pytest.raises(ValueError, match="'seed'"):
        aggregate(make_rows({"baseline": BASE}).drop("seed"))


# --------------------------------------------------------------------------- directions
def test_directions_come_from_the_task():
    rows = pl.concat([make_rows({"baseline": BASE}, metric=m) for m in ("ndcg@10", "exposure_gini@10", "arp@10")])
    infos = task_infos(["recommend"])
    table = aggregate(rows, lower_is_better=lambda t, m: infos[t].is_lower_better(m)).table
    flags = dict(table.select("metric", "lower_is_better").iter_rows())
    assert flags == {"ndcg@10": False, "exposure_gini@10": True, "arp@10": True}


@pytest.mark.parametrize("metric, lower", [
    ("log_loss", True), ("ece", True), ("exposure_gini@10", True), ("arp@20", True), ("hinge_loss", True),
    ("macro_f1", False), ("tail_recall", False), ("sharpness", False), ("coverage", False),
])
def test_unknown_tasks_fall_back_to_metric_names(metric, lower):
    info = task_infos(["no-such-task"])["no-such-task"]
    assert info.is_lower_better(metric) is lower


def test_headline_metrics_declared_or_guessed():
    declared = TaskInfo("t", headline=("macro_f1", "tail_recall"))
    assert declared.headline_metrics(["accuracy", "tail_recall", "macro_f1"]) == ["macro_f1", "tail_recall"]
    guessed = TaskInfo("t")
    assert guessed.headline_metrics(["n_test", "log_loss", "accuracy", "tail_share"]) == ["accuracy", "tail_share"]
    assert guessed.headline_metrics(["n_test", "auc", "log_loss"]) == ["auc", "log_loss"]


def test_tasks_named_by_import_path_in_the_spec(tmp_path, monkeypatch):
    (tmp_path / "shop_tasks.py").write_text(
        "class Task:\n    name = 'price-band'\n    headline = ('hit', 'tail_hit')\n"
        "    lower_is_better = frozenset({'miss'})\nTASK = Task()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    infos = task_infos(["shop_tasks:TASK"], {"tasks": [{"name": "shop_tasks:TASK"}]})
    assert infos["shop_tasks:TASK"].headline == ("hit", "tail_hit")
    assert infos["shop_tasks:TASK"].is_lower_better("miss")
    sys.modules.pop("shop_tasks", None)


# --------------------------------------------------------------------------- folders
def test_read_results_prefers_results_parquet(tmp_path):
    folder = write_store(tmp_path / "run", make_rows({"baseline": BASE, "good": GOOD}))
    # a rows file of another run: results.parquet (what the last run consolidated) wins
    extra = make_rows({"stale": [0.9]})
    ResultStore(folder).write_rows("stale", tidy_rows({**LABELS, "strategy": "stale", "seed": 0, "trial_id": "stale"},
                                                      list(extra.select("metric", "group_dim", "group", "value").iter_rows()),
                                                      {"version": "0", "spec_hash": "x", "device": "cpu", "wall_time": 0.0}))
    results = read_results(folder)
    assert results.source == "results.parquet"
    assert set(results.rows.get_column("strategy")) == {"baseline", "good"}


def test_read_results_of_an_interrupted_run_concatenates_rows(tmp_path):
    folder = write_store(tmp_path / "run", make_rows({"baseline": BASE, "good": GOOD}), consolidate=False)
    results = read_results(folder)
    assert results.source.startswith("rows/")
    assert results.rows.height == 8
    summary, _ = aggregate_folder(results)
    assert row(summary.table, "good")["n_pairs"] == 4


def test_spec_baseline_and_strategy_order(tmp_path):
    spec = {"baseline": "plain", "strategies": ["plain", "zeta", {"name": "alpha"}], "tasks": ["recommend"]}
    folder = write_store(tmp_path / "run", make_rows({"alpha": BASE, "plain": BASE, "zeta": GOOD, "extra": SAME}), spec)
    results = read_results(folder)
    assert results.baseline == "plain"
    assert results.strategy_order() == ["plain", "zeta", "alpha", "extra"]
    summary, infos = aggregate_folder(results)
    assert summary.baseline == "plain" and infos["recommend"].headline == ("ndcg@10", "tail_exposure")
    assert math.isnan(row(summary.table, "plain")["p_value"])
    assert not math.isnan(row(summary.table, "zeta")["p_value"])


def test_a_folder_with_only_failures_is_readable(tmp_path):
    store = ResultStore(tmp_path / "run")
    store.write_error("t1", {"dataset": "shop", "message": "boom"})
    results = read_results(store.folder)
    assert results.rows.height == 0 and results.errors == [{"dataset": "shop", "message": "boom"}]


def test_missing_or_empty_folders_are_one_line_errors(tmp_path):
    with pytest.raises(LongtailError, match="no such results folder"):
        read_results(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LongtailError, match="no results") as caught:
        read_results(tmp_path / "empty")
    assert "\n" not in str(caught.value)


def test_a_corrupt_results_file_is_a_one_line_error(tmp_path):
    folder = write_store(tmp_path / "run", make_rows({"baseline": BASE}))
    (folder / "results.parquet").write_bytes(b"not parquet")
    with pytest.raises(LongtailError, match="cannot read the results"):
        read_results(folder)
