"""The runner on small fake tasks: expansion, shared splits, failures, resuming, determinism, executors."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
import yaml
from bench_fakes import SMALL_SHOP, log_lines

from longtail.bench.executors import InlineExecutor
from longtail.bench.runner import RunSummary, run_bench, schedule
from longtail.bench.spec import parse_spec
from longtail.bench.store import ROW_SCHEMA
from longtail.bench.trials import Trial, TrialOutcome, expand, group_trials
from longtail.errors import LongtailError

FAKE_ROWS = 4  # rows the fake task returns per trial


def make_spec(**overrides):
    data = {
        "datasets": [{"name": "synthetic", "params": SMALL_SHOP}],
        "tasks": [{"name": "bench_fakes:MULTI"}],
        "strategies": ["baseline", "focal"],
        "seeds": [0, 1],
        "encoder": {"enabled": False},
        "device": "cpu",
    }
    data.update(overrides)
    return parse_spec(yaml.safe_dump(data, sort_keys=False))


@pytest.fixture
def fake_log(tmp_path, monkeypatch):
    path = tmp_path / "calls.log"
    path.touch()
    monkeypatch.setenv("LONGTAIL_FAKE_LOG", str(path))
    return path


def run(spec, out, **options) -> RunSummary:
    options = {"executor": "inline", "outputs": False, **options}
    return run_bench(spec, out, **options)


def runs_in(log: Path) -> Counter:
    return Counter(tuple(parts[1:5]) for parts in log_lines(log) if parts[0] == "run")


def results(out: Path) -> pl.DataFrame:
    return pl.read_parquet(out / "results.parquet")


# --------------------------------------------------------------------------- expansion
def test_expand_crosses_everything_and_lists_each_skip_once():
    spec = make_spec(
        tasks=[{"name": "bench_fakes:MULTI", "models": ["popular", "slow"]}, "bench_fakes:RETRIEVAL"],
        strategies=["baseline", "focal", "logq"],
    )
    expansion = expand(spec)
    combos = Counter((t.task.name, t.model, t.strategy.name) for t in expansion.trials)
    assert combos == {
        ("bench_fakes:MULTI", "popular", "baseline"): 2, ("bench_fakes:MULTI", "popular", "focal"): 2,
        ("bench_fakes:MULTI", "slow", "baseline"): 2, ("bench_fakes:MULTI", "slow", "focal"): 2,
        ("bench_fakes:RETRIEVAL", "popular", "baseline"): 2, ("bench_fakes:RETRIEVAL", "popular", "logq"): 2,
    }
    assert [(s.task, s.strategy) for s in expansion.skipped] == [
        ("bench_fakes:MULTI", "logq"), ("bench_fakes:RETRIEVAL", "focal"),
    ]
    assert "does not apply to retrieval task" in expansion.skipped[1].reason
    assert expansion.skipped[1].model is None
    ids = [t.trial_id for t in expansion.trials]
    assert len(set(ids)) == len(ids)
    assert ids == [t.trial_id for t in expand(spec).trials]  # stable: this is what resuming matches
    assert ids[0].startswith("synthetic-bench_fakes_MULTI-popular-baseline-s0-")


def test_trial_ids_change_only_with_what_shapes_a_trial():
    before = {t.labels["strategy"] + t.labels["model"]: t.trial_id for t in expand(make_spec()).trials if t.seed == 0}
    tuned = make_spec(tasks=[{"name": "bench_fakes:MULTI", "model_params": {"popular": {"k": 3}}}])
    after = {t.labels["strategy"] + t.labels["model"]: t.trial_id for t in expand(tuned).trials if t.seed == 0}
    assert before.keys() == after.keys() and not set(before.values()) & set(after.values())
    more_seeds = {t.trial_id for t in expand(make_spec(seeds=[0, 1, 2])).trials}
    assert {t.trial_id for t in expand(make_spec()).trials} < more_seeds


def test_group_trials_keeps_groups_whole_unless_workers_would_idle():
    trials = expand(make_spec(strategies=["baseline", "focal", "weighted-ce", "random-over"])).trials
    units = group_trials(trials)
    assert [len(u) for u in units] == [4, 4] and all(len({t.group for t in u}) == 1 for u in units)
    cut = group_trials(trials, min_units=4)
    assert sorted(len(u) for u in cut) == [2, 2, 2, 2]
    assert sorted(t.trial_id for u in cut for t in u) == sorted(t.trial_id for t in trials)


# --------------------------------------------------------------------------- running
def test_inline_run_writes_a_complete_store_and_splits_once_per_group(tmp_path, fake_log):
    spec = make_spec(tasks=["bench_fakes:MULTI", "bench_fakes:RETRIEVAL"], strategies=["baseline", "focal", "logq"])
    summary = run(spec, tmp_path / "out")
    assert (summary.done, summary.resumed, summary.failed, summary.interrupted) == (8, 0, [], False)
    assert len(summary.skipped) == 2
    frame = results(tmp_path / "out")
    assert frame.schema == pl.Schema(ROW_SCHEMA)
    assert frame.height == 8 * FAKE_ROWS
    assert frame.select("trial_id").n_unique() == 8
    assert set(frame.get_column("spec_hash")) == {spec.spec_hash()}
    assert set(frame.get_column("device")) == {"cpu"}
    assert frame.get_column("wall_time").min() >= 0
    assert set(frame.filter(pl.col("group_dim") == "popularity").get_column("group")) == {"head", "tail"}
    splits = Counter(tuple(parts[1:4]) for parts in log_lines(fake_log) if parts[0] == "split")
    assert set(splits.values()) == {1} and len(splits) == 4  # 2 tasks x 2 seeds, each split once
    profile = json.loads((tmp_path / "out" / "profiles" / "synthetic.json").read_text())
    assert profile["n_items"] == SMALL_SHOP["n_items"] and "dimensions" in profile
    assert yaml.safe_load((tmp_path / "out" / "spec.yaml").read_text())["baseline"] == "baseline"
    assert len(json.loads((tmp_path / "out" / "skipped.json").read_text())) == 2
    assert "8 trials done, 2 skipped, 0 failed" in summary.line()


def test_a_crash_is_recorded_the_grid_goes_on_and_a_rerun_retries_only_it(tmp_path, fake_log):
    spec = make_spec(tasks=[{"name": "bench_fakes:MULTI", "model_params": {"popular": {"fail_on": "focal"}}}])
    first = run(spec, tmp_path)
    assert first.done == 2 and len(first.failed) == 2
    errors = sorted((tmp_path / "errors").glob("*.json"))
    assert [p.stem for p in errors] == sorted(first.failed)
    record = json.loads(errors[0].read_text())
    assert record["strategy"] == "focal" and record["error_type"] == "RuntimeError"
    assert "popular cannot fit with focal" in record["message"]
    assert "Traceback" in record["traceback"] and "bench_fakes.py" in record["traceback"]
    assert set(results(tmp_path).get_column("strategy")) == {"baseline"}

    second = run(spec, tmp_path)
    assert (second.done, second.resumed, len(second.failed)) == (0, 2, 2)
    assert runs_in(fake_log) == {
        ("fake-multi", "popular", "baseline", "0"): 1, ("fake-multi", "popular", "baseline", "1"): 1,
        ("fake-multi", "popular", "focal", "0"): 2, ("fake-multi", "popular", "focal", "1"): 2,
    }


def test_rerun_into_the_same_folder_skips_finished_trials(tmp_path, fake_log):
    run(make_spec(), tmp_path)
    bigger = make_spec(strategies=["baseline", "focal", "weighted-ce"])
    summary = run(bigger, tmp_path)
    assert (summary.done, summary.resumed) == (2, 4)
    assert set(runs_in(fake_log).values()) == {1}
    assert results(tmp_path).select("trial_id").n_unique() == 6
    smaller = run(make_spec(strategies=["baseline"]), tmp_path)
    assert (smaller.done, smaller.resumed) == (0, 2)
    assert set(results(tmp_path).get_column("strategy")) == {"baseline"}  # results follow the spec run last
    assert len(list((tmp_path / "rows").glob("*.parquet"))) == 6  # nothing stored is thrown away


def test_unsupported_task_is_skipped_not_failed(tmp_path):
    spec = make_spec(
        datasets=[{"name": "synthetic", "params": {**SMALL_SHOP, "n_queries": 0}}],
        tasks=["bench_fakes:MULTI", "bench_fakes:SEARCH"],
    )
    summary = run(spec, tmp_path)
    assert summary.done == 4 and not summary.failed
    assert [(s.task, s.strategy) for s in summary.skipped] == [("bench_fakes:SEARCH", None)]
    assert "does not support dataset synthetic" in summary.skipped[0].reason


def test_a_strategy_the_model_refuses_is_skipped_once_not_failed(tmp_path):
    spec = make_spec(tasks=[{"name": "bench_fakes:MULTI", "models": ["popular", "picky"]}])
    summary = run(spec, tmp_path)
    assert summary.done == 6 and not summary.failed
    assert [(s.model, s.strategy) for s in summary.skipped] == [("picky", "focal")]
    assert "cannot use the loss of strategy focal" in summary.skipped[0].reason
    assert not list((tmp_path / "errors").iterdir())
    assert json.loads((tmp_path / "skipped.json").read_text())[0]["model"] == "picky"


@pytest.mark.parametrize("verbose", [True, False])
def test_warnings_are_caught_per_trial_and_shown_with_verbose(tmp_path, verbose):
    from rich.console import Console

    console = Console(record=True, width=200)
    spec = make_spec(tasks=[{"name": "bench_fakes:MULTI", "model_params": {"popular": {"warn": True}}}], seeds=[0])
    run(spec, tmp_path, console=console, verbose=verbose)
    text = console.export_text()
    shown = "warn   synthetic/bench_fakes:MULTI/popular/focal seed 0: UserWarning: popular saw few rows"
    assert (shown in text) == verbose
    assert ("2 trials raised warnings; run with -v to see them" in text) != verbose


def test_filters_save_models_and_task_params(tmp_path):
    spec = make_spec(
        tasks=[{"name": "bench_fakes:MULTI", "params": {"extra_metric": True}}],
        metrics=["hit_rate", "extra"], group_dims=[], seeds=[3],
    )
    run(spec, tmp_path, save_models=True)
    frame = results(tmp_path)
    assert set(frame.get_column("metric")) == {"hit_rate", "extra"}
    assert set(frame.get_column("group_dim")) == {"all"}
    saved = tmp_path / "models" / "synthetic" / "bench_fakes:MULTI" / "popular" / "focal" / "seed3" / "config.json"
    assert json.loads(saved.read_text()) == {"model": "popular", "strategy": "focal"}
    # the filters apply to results.parquet; every row stays in the store
    assert pl.concat([pl.read_parquet(p) for p in (tmp_path / "rows").glob("*.parquet")]).height == 2 * (FAKE_ROWS + 1)


def test_a_dataset_that_cannot_load_names_its_spec_line(tmp_path):
    spec = make_spec(datasets=[{"name": "synthetic", "params": {"n_items": 3}}])
    with pytest.raises(LongtailError, match=r"^spec.yaml:2: datasets\[0\]: cannot load synthetic \(n_items must be"):
        run(spec, tmp_path)
    assert not (tmp_path / ".lock").exists()


def test_a_dead_worker_fails_its_trial_and_the_slot_restarts():
    spec = make_spec()
    trials = expand(spec).trials

    class DyingExecutor(InlineExecutor):
        restarted = 0

        def submit(self, slot, trial):
            future = super().submit(slot, trial)
            if trial.strategy.name == "focal" and trial.seed == 0:
                from concurrent.futures import Future
                from concurrent.futures.process import BrokenProcessPool

                future = Future()
                future.set_exception(BrokenProcessPool("worker died"))
            return future

        def restart(self, slot):
            DyingExecutor.restarted += 1

    seen: list[tuple[Trial, TrialOutcome]] = []
    schedule(DyingExecutor(), group_trials(trials), lambda trial, outcome: seen.append((trial, outcome)))
    assert len(seen) == len(trials) == 4 and DyingExecutor.restarted == 1
    failed = [(t.strategy.name, t.seed, o.error_type) for t, o in seen if not o.ok]
    assert failed == [("focal", 0, "BrokenProcessPool")]


@pytest.mark.slow
def test_worker_processes_give_the_same_rows_as_the_same_run_again(tmp_path, fake_log):
    spec = make_spec(strategies=["baseline", "focal", "weighted-ce"])
    first = run(spec, tmp_path / "a", executor="local", jobs=2)
    second = run(spec, tmp_path / "b", executor="local", jobs=2)
    inline = run(spec, tmp_path / "c")
    assert first.done == second.done == inline.done == 6
    frames = [results(tmp_path / name).drop("wall_time") for name in "abc"]
    assert frames[0].equals(frames[1]) and frames[0].equals(frames[2])
    worker_pids = {parts[-1] for parts in log_lines(fake_log)[:12]}
    assert str(os.getpid()) not in worker_pids  # the first two runs did run in other processes


@pytest.mark.slow
def test_ray_executor_on_a_local_cluster(tmp_path, fake_log):
    ray = pytest.importorskip("ray")
    here = str(Path(__file__).parent)
    path = os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": path, "LONGTAIL_FAKE_LOG": str(fake_log)}})
    try:
        spec = make_spec(seeds=[0])
        summary = run(spec, tmp_path / "ray", executor="ray")
    finally:
        ray.shutdown()
    assert summary.done == 2 and not summary.failed
    inline = run(spec, tmp_path / "inline")
    assert inline.done == 2
    assert results(tmp_path / "ray").drop("wall_time").equals(results(tmp_path / "inline").drop("wall_time"))


def test_texts_to_encode_are_titles_queries_and_what_tasks_declare():
    from bench_fakes import MULTI

    from longtail.bench.runner import encoder_texts
    from longtail.bench.trials import load_dataset

    dataset = load_dataset(make_spec().datasets[0])
    texts = encoder_texts(dataset, [MULTI])
    titles = dataset.items.get_column("title").to_list()
    queries = dataset.judgments.get_column("query").unique().to_list()
    assert set(texts) == set(titles) | set(queries) | set(MULTI.embed_texts(dataset))
    assert len(texts) == len(set(texts))
    assert encoder_texts(dataset) == list(dict.fromkeys(titles + dataset.judgments.get_column("query").to_list()))


@pytest.mark.lm
@pytest.mark.slow
def test_texts_are_encoded_up_front_and_workers_only_read_the_cache(tmp_path, monkeypatch):
    from rich.console import Console

    from longtail.bench import trials as trials_module
    from longtail.bench.runner import prepare_embedder

    cache = tmp_path / "cache"
    spec = make_spec(encoder={"enabled": True, "cache_dir": str(cache)}, seeds=[0])
    summary = run(spec, tmp_path / "out")
    assert summary.done == 2
    norms = results(tmp_path / "out").filter(pl.col("metric") == "embedding_norm").get_column("value")
    assert norms.len() == 2 and (norms - 1.0).abs().max() < 1e-5  # the task got L2-normalised rows

    titles = ["Red Skirt", "Voltra HD Bumper Case", "Red Skirt"]
    embedder = prepare_embedder(spec, "cpu", titles[:2], Console(quiet=True))
    expected = trials_module.open_encoder(None, "cpu", None, str(cache)).encode(titles)

    def no_model(*args, **kwargs):
        raise AssertionError("the encoder was loaded although every text is cached")

    monkeypatch.setattr(trials_module, "open_encoder", no_model)
    monkeypatch.setattr(trials_module, "_ENCODERS", {})
    assert (embedder(titles) == expected).all()
    from bench_fakes import MULTI

    from longtail.bench.trials import load_dataset

    declared = MULTI.embed_texts(load_dataset(spec.datasets[0]))
    assert embedder(declared).shape == (5, expected.shape[1])  # the task's own texts were encoded by the run
    with pytest.raises(AssertionError, match="encoder was loaded"):
        embedder(["a text nobody encoded"])
