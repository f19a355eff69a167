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
from longtail.bench.trials import Trial, TrialOutcome, expand, group_trials, open_encoder
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


def test_an_encoder_precision_changes_the_ids_of_trials_that_read_embeddings():
    with_text = {"enabled": True, "model": None}
    plain = {t.trial_id for t in expand(make_spec(encoder=with_text)).trials}
    same = {t.trial_id for t in expand(make_spec(encoder={**with_text, "dtype": None})).trials}
    bf16 = {t.trial_id for t in expand(make_spec(encoder={**with_text, "dtype": "bf16"})).trials}
    assert plain == same and not plain & bf16


def test_the_encoder_opens_in_the_precision_the_spec_asks_for(monkeypatch):
    import longtail.encoders.transformer as transformer

    opened = {}

    class Recorder:
        def __init__(self, model, **options):
            opened.update(options)

    monkeypatch.setattr(transformer, "TransformerEncoder", Recorder)
    open_encoder(None, "cpu", None, "cache", "bf16")
    assert opened["dtype"] == "bf16"


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


def test_each_dataset_is_loaded_once_per_run(tmp_path, monkeypatch):
    from longtail.bench import trials as trials_module
    from longtail.data import registry

    loads = []
    real_load = registry.load

    def counting_load(name, **params):
        loads.append(name)
        return real_load(name, **params)

    monkeypatch.setattr(registry, "load", counting_load)
    # an earlier test may have left this process's dataset cached
    monkeypatch.setattr(trials_module, "_LOADED", {})
    monkeypatch.setattr(trials_module, "_SPLITS", {})
    summary = run(make_spec(tasks=["bench_fakes:MULTI", "bench_fakes:RETRIEVAL"]), tmp_path)
    assert summary.done == 6  # 2 tasks x 2 seeds x the strategies that apply
    assert loads == ["synthetic"]  # profile, task checks and every trial share one load


def test_filters_that_match_nothing_are_reported_with_their_spec_line(tmp_path):
    from rich.console import Console

    text = yaml.safe_dump({
        "datasets": [{"name": "synthetic", "params": SMALL_SHOP}], "tasks": ["bench_fakes:MULTI"],
        "strategies": ["baseline", "focal"], "seeds": [0], "encoder": {"enabled": False}, "device": "cpu",
    }, sort_keys=False) + "metrics: [hit_rate, hit_rat]\ngroup_dims:\n  - popularity\n  - regoin\n"
    spec = parse_spec(text)
    console = Console(record=True, width=300)
    run(spec, tmp_path, console=console)
    out = console.export_text()
    metrics_line = text.splitlines().index("metrics: [hit_rate, hit_rat]") + 1
    assert (f"note: spec.yaml:{metrics_line}: metrics[1]: 'hit_rat' matches no metric of the finished trials, "
            "so it keeps nothing in results.parquet; they wrote: hit_rate, tail_hit_rate") in out
    assert f"note: spec.yaml:{metrics_line + 3}: group_dims[1]: 'regoin' matches no group dimension" in out
    assert "they wrote: popularity" in out
    assert "'hit_rate' matches" not in out and "'popularity' matches" not in out
    assert "trials (1 worker)" in out and "2/2" in out and "eta" in out  # the progress bar
    assert set(results(tmp_path).get_column("metric")) == {"hit_rate"}


def test_every_trial_runs_with_the_threads_asked_for(tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    spec = make_spec(tasks=[{"name": "bench_fakes:MULTI", "params": {"report_threads": True}}], seeds=[0])
    run(spec, tmp_path / "default")
    run(spec, tmp_path / "three", threads=3)
    for folder, threads in (("default", 1), ("three", 3)):
        values = results(tmp_path / folder).filter(pl.col("metric") == "omp_threads").get_column("value")
        assert values.to_list() == [threads, threads]
    assert os.environ["OMP_NUM_THREADS"] == "7"  # restored after each trial
    with pytest.raises(LongtailError, match="--threads: must be an integer >= 1"):
        run(spec, tmp_path / "zero", threads=0)


def test_trial_threads_limits_and_restores_torch_and_blas(monkeypatch):
    torch = pytest.importorskip("torch")
    from threadpoolctl import threadpool_info

    from longtail.bench.trials import THREAD_VARIABLES, trial_threads

    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    before = torch.get_num_threads()
    with trial_threads(1):
        assert torch.get_num_threads() == 1
        assert all(os.environ[name] == "1" for name in THREAD_VARIABLES)
        assert all(lib["num_threads"] == 1 for lib in threadpool_info())
    assert torch.get_num_threads() == before and "MKL_NUM_THREADS" not in os.environ


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


def test_a_slot_out_of_work_takes_half_of_the_longest_queue():
    class Recording(InlineExecutor):
        slots = 2

        def __init__(self):
            self.log = []

        def submit(self, slot, trial):
            self.log.append((slot, trial.trial_id))
            return super().submit(slot, trial)

    trials = expand(make_spec(strategies=["baseline", "focal", "weighted-ce", "random-over"], seeds=[0, 1, 2])).trials
    units = group_trials(trials, min_units=2)
    assert [len(unit) for unit in units] == [4, 4, 4]
    executor = Recording()
    seen = []
    schedule(executor, units, lambda trial, outcome: seen.append(trial.trial_id))
    assert sorted(seen) == sorted(t.trial_id for t in trials)  # each trial exactly once
    slot_of = dict((trial_id, slot) for slot, trial_id in executor.log)
    third = [t.trial_id for t in units[2]]
    # the third group is shared: its back half runs on the slot that would otherwise idle
    assert {slot_of[i] for i in third[:2]} != {slot_of[i] for i in third[2:]}
    assert len(executor.log) == len(trials)


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
        from longtail.bench.executors import RayExecutor

        with pytest.raises(LongtailError, match="--threads 3: the Ray cluster has 2 CPUs"):
            RayExecutor(threads=3)  # its actors could never be placed
        assert RayExecutor(threads=2).slots == 1
    finally:
        ray.shutdown()
    assert summary.done == 2 and not summary.failed
    inline = run(spec, tmp_path / "inline")
    assert inline.done == 2
    assert results(tmp_path / "ray").drop("wall_time").equals(results(tmp_path / "inline").drop("wall_time"))


REAL_SPEC = """
datasets:
  - name: synthetic
    params: {seed: 0, n_users: 150, n_items: 120, n_events: 3000, n_queries: 12}
tasks:
  - {name: categorize, models: [tfidf-logreg]}
  - ctr
  - recommend
  - relevance
strategies: [baseline, focal, logq]
seeds: [0]
encoder: {enabled: false}
device: cpu
"""


@pytest.mark.slow
def test_real_tasks_give_the_same_rows_in_this_process_and_in_two_workers(tmp_path):
    """The four built-in tasks with their torch and scikit-learn models, not the fakes.

    Two workers order the trials differently than one process and start
    with another thread count; the rows must not change in any digit.
    """
    from longtail import __version__

    spec = parse_spec(REAL_SPEC)
    inline = run(spec, tmp_path / "inline")
    workers = run(spec, tmp_path / "workers", executor="local", jobs=2)
    # tfidf-logreg trains no loss, so it refuses focal: 7 of the 8 trials run
    assert inline.done == workers.done == 7 and not inline.failed and not workers.failed
    frames = [results(tmp_path / name) for name in ("inline", "workers")]
    assert set(frames[0].get_column("task")) == {"categorize", "ctr", "recommend", "relevance"}
    assert frames[0].drop("wall_time").equals(frames[1].drop("wall_time"))
    for frame in frames:  # every row says what produced it
        assert frame.select(pl.col("version", "spec_hash", "device", "wall_time").null_count()).sum_horizontal()[0] == 0
        assert set(frame.get_column("version")) == {__version__}
        assert set(frame.get_column("spec_hash")) == {spec.spec_hash()}
        assert set(frame.get_column("device")) == {"cpu"}
        assert frame.get_column("wall_time").min() > 0


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
