"""Spec parsing: defaults, shorthands, and one-line errors that name the file, line and key path."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from longtail.bench.spec import DEFAULT_SPEC, BenchSpec, digest, format_loc, load_spec, parse_spec
from longtail.errors import LongtailError

ROOT = Path(__file__).resolve().parents[2]


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


# --------------------------------------------------------------- split options, task and model parameters
ALL_TASKS = "tasks: [categorize, ctr, recommend, relevance]\n"


def one_dataset(split: str, tasks: str = ALL_TASKS) -> str:
    return f"datasets:\n  - name: synthetic\n    split:\n{textwrap.indent(split, '      ')}{tasks}"


def test_split_options_go_to_each_task_whose_split_takes_them():
    spec = parse_spec(one_dataset("test_size: 0.3\nvalid_size: 0.2\nmethod: temporal\n"))
    dataset = spec.datasets[0]
    given = {task.name: dataset.split_for(task.resolve()) for task in spec.tasks}
    assert given == {
        "categorize": {"test_size": 0.3},
        "ctr": {"test_size": 0.3, "valid_size": 0.2},
        "recommend": {"test_size": 0.3, "method": "temporal"},
        "relevance": {"test_size": 0.3},
    }
    assert parse_spec(ALL_TASKS).datasets[0].split == {}
    # a task of one's own declares its options in the signature of its split
    fakes = parse_spec(one_dataset("test_size: 0.5\n", "tasks: [bench_fakes:MULTI]\n"))
    assert fakes.datasets[0].split_for(fakes.tasks[0].resolve()) == {"test_size": 0.5}


def test_split_options_of_a_task_that_takes_any_reach_it_unchecked():
    from longtail.bench.spec import DatasetSpec

    class Open:
        def split(self, dataset, seed, **options):
            return options

    class Closed:
        def split(self, dataset, seed):
            return None

    dataset = DatasetSpec(name="synthetic", split={"anything": 1})
    assert dataset.split_for(Open()) == {"anything": 1}
    assert dataset.split_for(Closed()) == {}


@pytest.mark.parametrize(
    ("split", "tasks", "expected"),
    [
        ("test_sise: 0.3\n", ALL_TASKS,
         "spec.yaml:4: datasets[0].split.test_sise: unknown split option 'test_sise'; allowed keys by task: "
         "categorize: test_size, stratify_by_category; ctr: test_size, valid_size, cut; recommend: method, test_size; "
         "relevance: test_size"),
        ("valid_size: 0.1\n", "tasks: [recommend]\n",
         "spec.yaml:4: datasets[0].split.valid_size: unknown split option 'valid_size'; allowed keys by task: "
         "recommend: method, test_size"),
        ("valid_size: 0.3\n", "tasks: [bench_fakes:MULTI]\n",
         "spec.yaml:4: datasets[0].split.valid_size: unknown split option 'valid_size'; allowed keys by task: "
         "fake-multi: test_size"),
        ("test_size: 1.5\n", "tasks: [categorize]\n",
         "spec.yaml:4: datasets[0].split.test_size: task categorize: 1.5 is outside (0, 1); give a fraction in (0, 1)"),
        ("test_size: '0.3'\n", "tasks: [relevance]\n",
         "spec.yaml:4: datasets[0].split.test_size: task relevance: '0.3' is not a number"),
        ("stratify_by_category: maybe\n", "tasks: [categorize]\n",
         "spec.yaml:4: datasets[0].split.stratify_by_category: task categorize: 'maybe' is not true or false"),
        ("test_size: 0.3\n", ALL_TASKS,
         "spec.yaml:4: datasets[0].split.test_size: task recommend: the leave-last-out split holds out one item per "
         "user and has no test share; add method: temporal"),
        ("method: random\n", "tasks: [recommend]\n",
         "spec.yaml:4: datasets[0].split.method: task recommend: 'random' is not one of leave-last-out, temporal"),
        ("test_size: 0.2\ncut: 2024-02-15\n", "tasks: [ctr]\n",
         "spec.yaml:5: datasets[0].split.cut: task ctr: give test_size or cut, not both"),
        ("cut: mid-march\n", "tasks: [ctr]\n",
         "spec.yaml:4: datasets[0].split.cut: task ctr: 'mid-march' is not a date or datetime"),
        ("valid_size: -0.1\n", "tasks: [ctr]\n",
         "spec.yaml:4: datasets[0].split.valid_size: task ctr: -0.1 is outside [0, 1)"),
        # the default valid_size (0.1) leaves no training data: the error points at the options given
        ("test_size: 0.95\n", "tasks: [ctr]\n",
         "spec.yaml:3: datasets[0].split: task ctr: test_size + valid_size is 1.05; keep it below 1"),
    ],
)
def test_split_option_errors_name_line_path_and_choices(split, tasks, expected):
    assert error_of(one_dataset(split, tasks)).startswith(expected)


def test_split_must_be_a_mapping():
    assert error_of("datasets:\n  - name: synthetic\n    split: 0.3\ntasks: [ctr]\n").startswith(
        "spec.yaml:3: datasets[0].split: 0.3: input should be a valid dictionary"
    )


def test_dates_in_split_options_read_from_yaml_or_text_give_one_trial():
    from longtail.bench.trials import expand

    as_date = parse_spec(one_dataset("cut: 2024-02-15\n", "tasks: [ctr]\n"))
    as_text = parse_spec(one_dataset("cut: '2024-02-15'\n", "tasks: [ctr]\n"))
    assert [t.trial_id for t in expand(as_date).trials] == [t.trial_id for t in expand(as_text).trials]
    assert parse_spec(as_date.to_yaml()).spec_hash() == as_date.spec_hash()


def test_split_options_change_only_the_trials_that_get_them():
    from longtail.bench.trials import expand, trial_id

    plain = parse_spec("tasks: [categorize, ctr]\n")
    sized = parse_spec(one_dataset("valid_size: 0.2\n", "tasks: [categorize, ctr]\n"))
    before = {t.task.name: t.trial_id for t in expand(plain).trials}
    after = {t.task.name: t.trial_id for t in expand(sized).trials}
    assert after["ctr"] != before["ctr"]
    assert after["categorize"] == before["categorize"]  # categorize has no validation part: its trials stay
    # without split options the id is the one trials had before datasets took them
    trial = expand(plain).trials[0]
    settings = {
        "dataset": [trial.dataset.name, trial.dataset.params],
        "task": [trial.task.name, trial.task.params],
        "model": [trial.model, trial.task.model_params.get(trial.model, {})],
        "strategy": [trial.strategy.name, trial.strategy.base, trial.strategy.params],
        "seed": trial.seed,
        "encoder": {"model": None},
    }
    assert trial.trial_id.endswith("-" + digest(settings, 8))
    assert trial_id(trial.dataset, trial.task, trial.model, trial.strategy, trial.seed, {"model": None}, {}) == trial.trial_id


def test_spec_hash_without_split_options_is_unchanged_and_with_them_differs():
    bare = parse_spec("tasks: [categorize]\n")
    empty = parse_spec("datasets: [{name: synthetic, split: {}}]\ntasks: [categorize]\n")
    sized = parse_spec("datasets: [{name: synthetic, split: {test_size: 0.3}}]\ntasks: [categorize]\n")
    data = {key: value for key, value in bare.to_dict().items() if key != "output"}
    data["datasets"] = [{k: v for k, v in entry.items() if k != "split"} for entry in data["datasets"]]
    data["encoder"] = {k: v for k, v in data["encoder"].items() if k != "dtype"}
    assert bare.spec_hash() == empty.spec_hash() == digest(data) != sized.spec_hash()
    assert "split" in bare.to_yaml()  # spec.yaml in a results folder shows the key, defaults filled in


def test_split_options_reach_the_split_a_worker_makes():
    from longtail.bench import trials

    spec = parse_spec(spec_text("""
        datasets:
          - name: synthetic
            params: {n_users: 60, n_items: 80, n_events: 800, n_queries: 5}
            split: {test_size: 0.5}
        tasks: [bench_fakes:MULTI]
    """))
    trial = trials.expand(spec).trials[0]
    split = trials._split(trial, trial.task.resolve())
    assert split.test.meta["split"]["test_size"] == 0.5
    default = trials.expand(parse_spec(spec_text("""
        datasets:
          - name: synthetic
            params: {n_users: 60, n_items: 80, n_events: 800, n_queries: 5}
        tasks: [bench_fakes:MULTI]
    """))).trials[0]
    assert trials._split(default, default.task.resolve()).test.meta["split"]["test_size"] == 0.3


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("tasks:\n  - name: ctr\n    params:\n      target: purchase\n      session_gap: 60\n",
         "spec.yaml:5: tasks[0].params.session_gap: unknown parameter 'session_gap' of task ctr; "
         "allowed keys: target, event_order, sessions, session_gap_minutes"),
        ("tasks:\n  - name: recommend\n    params: {positive: purchase}\n",
         "spec.yaml:3: tasks[0].params.positive: unknown parameter 'positive' of task recommend; "
         "allowed keys: positive_event"),
        ("tasks:\n  - name: categorize\n    params:\n      depth: 2\n",
         "spec.yaml:4: tasks[0].params.depth: unknown parameter 'depth' of task categorize; "
         "allowed keys: category_depth, use_brand"),
        ("tasks:\n  - name: relevance\n    params: {target: E}\n",
         "spec.yaml:3: tasks[0].params.target: unknown parameter 'target' of task relevance; "
         "task relevance reads none; remove params"),
        ("tasks:\n  - name: bench_fakes:DECLARING\n    params: {extra: true}\n",
         "spec.yaml:3: tasks[0].params.extra: unknown parameter 'extra' of task fake-declaring; "
         "allowed keys: extra_metric, report_threads"),
    ],
)
def test_unknown_task_parameters_name_line_and_allowed_keys(body, expected):
    assert error_of(body) == expected


def test_declared_task_parameters_pass_and_undeclaring_tasks_are_not_checked():
    spec = parse_spec(spec_text("""
        tasks:
          - name: ctr
            params: {target: purchase, event_order: [view, purchase], sessions: gap, session_gap_minutes: 60}
          - name: recommend
            params: {positive_event: purchase}
          - name: categorize
            params: {category_depth: 2, use_brand: false}
          - name: bench_fakes:MULTI
            params: {whatever: 1}
            model_params: {slow: {anything: 2}}
          - name: bench_fakes:DECLARING
            params: {extra_metric: true}
            model_params: {slow: {sleep: 0.1}}
    """))
    assert spec.tasks[3].params == {"whatever": 1}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("tasks:\n  - name: recommend\n    model_params:\n      two-tower: {epoch: 3}\n",
         "spec.yaml:4: tasks[0].model_params.two-tower.epoch: model 'two-tower' takes no parameter 'epoch'; "
         "it takes: batch_size, device, dim, epochs, lr, seed, "),
        ("tasks:\n  - name: recommend\n    model_params:\n      most-popular: {k: 3}\n",
         "spec.yaml:4: tasks[0].model_params.most-popular.k: model 'most-popular' takes no parameter 'k'; it takes: none"),
        ("tasks:\n  - name: ctr\n    model_params:\n      deepfm:\n        epochs: 2\n        deep: false\n",
         "spec.yaml:6: tasks[0].model_params.deepfm.deep: model 'deepfm' takes no parameter 'deep'; it takes: "),
        ("tasks:\n  - name: ctr\n    model_params:\n      deepfm-ensemble:\n        ensemble: stacked\n",
         "spec.yaml:5: tasks[0].model_params.deepfm-ensemble.ensemble: 'stacked' is unknown; "
         "use one of easy, bagging, self-paced"),
        ("tasks:\n  - name: ctr\n    model_params:\n      deepfm-ensemble: {ensemble: easy, hardness: 2}\n",
         "spec.yaml:4: tasks[0].model_params.deepfm-ensemble.hardness: model 'deepfm-ensemble' takes no parameter "
         "'hardness'"),
        ("tasks:\n  - name: categorize\n    model_params:\n      embedding-linear: {hidden: 8}\n",
         "spec.yaml:4: tasks[0].model_params.embedding-linear.hidden: model 'embedding-linear' takes no parameter "
         "'hidden'"),
        ("tasks:\n  - name: relevance\n    model_params:\n      crossencoder: {max_len: 64}\n",
         "spec.yaml:4: tasks[0].model_params.crossencoder.max_len: model 'crossencoder' takes no parameter 'max_len'"),
        ("tasks:\n  - name: bench_fakes:DECLARING\n    model_params:\n      slow: {sleeep: 1}\n",
         "spec.yaml:4: tasks[0].model_params.slow.sleeep: model 'slow' takes no parameter 'sleeep'; "
         "it takes: fail_on, k, sleep, warn"),
    ],
)
def test_unknown_model_parameters_name_line_and_allowed_names(body, expected):
    assert error_of(body).startswith(expected)


def test_model_parameters_each_model_takes_pass():
    spec = parse_spec(spec_text("""
        tasks:
          - name: ctr
            model_params:
              deepfm-ensemble: {ensemble: self-paced, n_bins: 5, hardness: absolute, epochs: 2}
              gbm: {n_estimators: 20, n_jobs: 1}
          - name: categorize
            model_params:
              embedding-mlp: {dropout: 0.2, category_depth: 1}
              tfidf-logreg: {C: 2.0}
          - name: relevance
            model_params:
              crossencoder: {pooling: mean, max_length: 64, device: cpu}
    """))
    assert spec.tasks[0].model_params["gbm"] == {"n_estimators": 20, "n_jobs": 1}


@pytest.mark.parametrize("task_name", ["categorize", "ctr", "recommend", "relevance"])
def test_spec_allows_exactly_what_build_model_accepts(task_name):
    import importlib

    from longtail.tasks import TrialContext, get

    task = get(task_name)
    module = importlib.import_module(f"longtail.tasks.{task_name}")
    for model in task.models:
        with pytest.raises(LongtailError) as info:
            module.build_model(model, TrialContext(seed=0), {"no_such_parameter": 1})
        takes = str(info.value).split("it takes: ")[1]
        takes = [] if takes == "none" else takes.split(", ")
        # categorize reads category_depth itself, before the model is built
        extra = {"category_depth"} if task_name == "categorize" else set()
        assert set(takes) | extra == task.model_param_names(model), model


def _yaml_blocks(markdown: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", markdown, flags=re.S)


@pytest.mark.parametrize("page", ["docs/benchmark.md"])
def test_the_spec_examples_in_the_docs_are_valid(page, tmp_path):
    blocks = _yaml_blocks((ROOT / page).read_text())
    assert blocks, f"{page} shows no yaml spec"
    for i, block in enumerate(blocks):
        path = tmp_path / f"example{i}.yaml"
        path.write_text(block)
        load_spec(path)


@pytest.mark.parametrize("spec", sorted((ROOT / "examples").glob("*.yaml")), ids=lambda p: p.name)
def test_the_example_specs_are_valid(spec):
    assert load_spec(spec).tasks


def test_encoder_precision_is_optional_checked_and_leaves_default_hashes_alone():
    plain = parse_spec("tasks: [ctr]\n")
    assert plain.encoder.dtype is None
    assert parse_spec("tasks: [ctr]\nencoder: {dtype: null}\n").spec_hash() == plain.spec_hash()
    bf16 = parse_spec("tasks: [ctr]\nencoder: {dtype: bf16}\n")
    assert bf16.encoder.dtype == "bf16" and bf16.spec_hash() != plain.spec_hash()
    with pytest.raises(LongtailError, match="encoder.dtype"):
        parse_spec("tasks: [ctr]\nencoder: {dtype: int8}\n")
