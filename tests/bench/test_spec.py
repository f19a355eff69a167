"""Spec parsing: defaults, shorthands, and one-line errors that name the file, line and key path."""

from __future__ import annotations

import textwrap

import pytest

from longtail.bench.spec import DEFAULT_SPEC, BenchSpec, format_loc, load_spec, parse_spec
from longtail.errors import LongtailError


def spec_text(body: str) -> str:
    return textwrap.dedent(body).lstrip("\n")


def error_of(body: str) -> str:
    with pytest.raises(LongtailError) as info:
        parse_spec(spec_text(body))
    message = str(info.value)
    assert "\n" not in message
    return message


def test_minimal_spec_fills_defaults():
    spec = parse_spec("tasks: [bench_fakes:MULTI]\n")
    assert [d.name for d in spec.datasets] == ["synthetic"]
    assert [s.name for s in spec.strategies] == ["baseline"]
    assert spec.seeds == [0]
    assert spec.baseline == "baseline"
    assert spec.device == "auto"
    assert spec.encoder.enabled and spec.encoder.model is None and spec.encoder.cache_dir == ".cache/embeddings"
    assert spec.tasks[0].model_names() == ["popular"]  # the task's first model


def test_shorthands_and_renamed_strategies():
    spec = parse_spec(spec_text("""
        datasets:
          - synthetic
          - {name: synthetic, label: bigger, params: {n_users: 100}}
        tasks:
          - name: bench_fakes:MULTI
            models: [popular, slow]
            model_params: {slow: {sleep: 0.1}}
            params: {extra_metric: true}
        strategies:
          - baseline
          - {name: focal, params: {gamma: 1.0}}
          - {name: soft-focal, base: focal, params: {gamma: 0.5}}
        seeds: 3
    """))
    assert [d.key for d in spec.datasets] == ["synthetic", "bigger"]
    assert spec.seeds == [0, 1, 2]
    assert spec.tasks[0].model_params == {"slow": {"sleep": 0.1}}
    focal, soft = spec.strategy("focal").build(), spec.strategy("soft-focal").build()
    assert focal.name == "focal" and focal.effective_params("loss")["gamma"] == 1.0
    assert soft.name == "soft-focal" and soft.effective_params("loss")["gamma"] == 0.5
    assert soft.loss.name == focal.loss.name


def test_spec_hash_ignores_output_but_not_seeds():
    base = parse_spec("tasks: [bench_fakes:MULTI]\nseeds: [0, 1]\n")
    moved = parse_spec("tasks: [bench_fakes:MULTI]\nseeds: [0, 1]\noutput: elsewhere\n")
    more = parse_spec("tasks: [bench_fakes:MULTI]\nseeds: [0, 1, 2]\n")
    assert base.spec_hash() == moved.spec_hash() != more.spec_hash()


def test_round_trip_through_yaml():
    spec = parse_spec(spec_text("""
        tasks: [{name: bench_fakes:MULTI, models: [slow]}]
        strategies: [baseline, {name: f1, base: focal, params: {gamma: 1}}]
    """))
    again = parse_spec(spec.to_yaml())
    assert again.to_dict() == spec.to_dict() and again.spec_hash() == spec.spec_hash()


def test_wrong_model_names_line_path_and_choices():
    message = error_of("""
        tasks:
          - bench_fakes:RETRIEVAL
          - name: bench_fakes:MULTI
            models:
              - popular
              - fm2
    """)
    assert message == (
        "spec.yaml:6: tasks[1].models[1]: 'fm2' is not a model of task fake-multi; choose one of popular, slow, boom, picky"
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("tasks: [bench_fakes:MULTI]\nfoo: 1\n", "spec.yaml:2: foo: unknown key 'foo'; allowed keys: name, datasets"),
        ("tasks: [bench_fakes:MULTI]\nencoder:\n  enabled: true\n  size: 3\n",
         "spec.yaml:4: encoder.size: unknown key 'size'; allowed keys: enabled, model, cache_dir, batch_size"),
        ("tasks: [bench_fakes:MULTI]\ndevice: gpu\n", "spec.yaml:2: device: 'gpu': input should be 'auto', 'cpu' or 'cuda'"),
        ("datasets: [{params: {}}]\ntasks: [bench_fakes:MULTI]\n", "spec.yaml:1: datasets[0].name: is required"),
        ("seeds: [0, -1]\ntasks: [bench_fakes:MULTI]\n", "spec.yaml:1: seeds: seeds must be non-negative"),
        ("seeds: [1, 1]\ntasks: [bench_fakes:MULTI]\n", "spec.yaml:1: seeds: seeds must be different"),
        ("tasks: []\n", "spec.yaml:1: tasks:"),
        ("seeds: 2\n", "spec.yaml:1: tasks: is required; add it"),
        ("tasks: [nope]\n", "spec.yaml:1: tasks[0].name: 'nope' is not a task; choose one of categorize, ctr, recommend, relevance"),
        ("tasks: [bench_fakes:MISSING]\n", "spec.yaml:1: tasks[0].name: task 'bench_fakes:MISSING' cannot be imported"),
        ("tasks: [bench_fakes:MULTI]\nstrategies: [baseline, focall]\n",
         "spec.yaml:2: strategies[1].name: 'focall' is not a strategy; choose one of baseline,"),
        ("tasks: [bench_fakes:MULTI]\nstrategies:\n  - name: f\n    base: focal\n    params: {gama: 1}\n",
         "spec.yaml:5: strategies[0].params: strategy 'focal' has no parameter 'gama'"),
        ("tasks: [bench_fakes:MULTI]\nstrategies: [focal]\n",
         "spec.yaml:1: baseline: 'baseline' is not one of the spec's strategies; choose one of focal"),
        ("tasks: [bench_fakes:MULTI]\nstrategies: [baseline, baseline]\n",
         "spec.yaml:2: strategies[1].name: 'baseline' is listed twice"),
        ("datasets: [synthetics]\ntasks: [bench_fakes:MULTI]\n",
         "spec.yaml:1: datasets[0].name: 'synthetics' is not a dataset; choose one of synthetic, amazon_uk_products"),
        ("datasets:\n  - name: synthetic\n    params: {n_user: 5}\ntasks: [bench_fakes:MULTI]\n",
         "spec.yaml:3: datasets[0].params: unknown knob 'n_user'"),
        ("datasets:\n  - name: amazon_uk_products\n    params: {rows: 5}\ntasks: [bench_fakes:MULTI]\n",
         "spec.yaml:3: datasets[0].params: got an unexpected keyword argument 'rows'; amazon_uk_products takes: path"),
        ("datasets:\n  - name: synthetic\n    tasks: [other]\ntasks: [bench_fakes:MULTI]\n",
         "spec.yaml:3: datasets[0].tasks[0]: 'other' is not a task of this spec; choose one of bench_fakes:MULTI"),
        ("tasks:\n  - name: bench_fakes:MULTI\n    model_params: {fm: {k: 1}}\n",
         "spec.yaml:3: tasks[0].model_params.fm: 'fm' is not a model of task fake-multi"),
        ("tasks: [bench_fakes:MULTI]\ntasks: [bench_fakes:MULTI]\n", "spec.yaml:2: key 'tasks' is given twice"),
        ("tasks: [bench_fakes:MULTI\n", "spec.yaml:2: not valid YAML"),
        ("- tasks\n", "spec.yaml:1: a spec is a mapping with keys name, datasets, tasks"),
    ],
)
def test_errors_name_line_and_path(body, expected):
    assert error_of(body).startswith(expected)


def test_load_spec_uses_file_name_and_stem(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text("tasks: [bench_fakes:MULTI]\nstrategies: [baseline, nope]\n")
    with pytest.raises(LongtailError, match=rf"^{path}:2: strategies\[1\]\.name: 'nope' is not a strategy"):
        load_spec(path)
    path.write_text("tasks: [bench_fakes:MULTI]\n")
    assert load_spec(path).name == "tiny"
    with pytest.raises(LongtailError, match="no such spec file"):
        load_spec(tmp_path / "missing.yaml")


def test_where_locates_keys_for_later_errors():
    spec = parse_spec("tasks: [bench_fakes:MULTI]\ndatasets:\n  - name: synthetic\n    params: {n_items: 3}\n")
    assert str(spec.error(("datasets", 0, "params"), "too small")) == "spec.yaml:4: datasets[0].params: too small"
    assert BenchSpec(tasks=[{"name": "bench_fakes:MULTI"}]).where(("seeds",)) == "seeds"


def test_format_loc():
    assert format_loc(("tasks", 1, "models", 0)) == "tasks[1].models[0]"
    assert format_loc(()) == ""


def test_default_spec_is_valid_and_big_enough():
    spec = load_spec()
    assert spec.name == "default" and DEFAULT_SPEC.is_file()
    assert {task.name for task in spec.tasks} == {"categorize", "ctr", "recommend", "relevance"}
    assert len(spec.strategies) >= 8 and spec.baseline in {s.name for s in spec.strategies}
    assert len(spec.seeds) == 3
    assert [d.name for d in spec.datasets] == ["synthetic"]
    assert not spec.metrics and not spec.group_dims  # every metric and group reaches the report


def test_default_spec_runs_every_task_on_every_seed_with_many_strategies():
    from longtail.bench.trials import expand

    spec = load_spec()
    trials = expand(spec).trials
    runs = {(t.task.name, t.seed) for t in trials}
    assert runs == {(task, seed) for task in ("categorize", "ctr", "recommend", "relevance") for seed in spec.seeds}
    assert len({t.strategy.name for t in trials}) >= 8
    for task in ("categorize", "ctr", "recommend", "relevance"):
        strategies = {t.strategy.name for t in trials if t.task.name == task}
        # every task has a baseline to be compared with and at least one remedy
        assert "baseline" in strategies and len(strategies) >= 2, (task, strategies)
