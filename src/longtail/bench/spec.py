"""The benchmark spec: a YAML file naming datasets, tasks, models, strategies and seeds.

``load_spec(path)`` reads and validates a spec. Every problem is reported as
one :class:`~longtail.errors.LongtailError` line naming the file, the line
and the key path, e.g.
``spec.yaml:12: tasks[1].models[0]: 'fm2' is not a model of task ctr; choose one of deepfm, fm, gbm``.
Validation happens in two passes: pydantic checks the shape (keys, types),
then :func:`check_spec` checks the names against the dataset, task and
strategy registries, and the split options, task parameters and model
parameters against what each task declares (see :mod:`longtail.tasks.base`).
Line numbers come from the YAML node tree.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import inspect
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from longtail.errors import LongtailError

DEFAULT_SPEC = Path(__file__).parent / "specs" / "default.yaml"
DEVICES = ("auto", "cpu", "cuda")
# A task name with a colon is an import path, "package.module:OBJECT", for tasks defined outside longtail.
TASK_PATH_SEP = ":"

Loc = tuple[str | int, ...]


class SpecError(LongtailError):
    """A spec problem at a key path (``loc``); :func:`load_spec` adds the file and line."""

    def __init__(self, loc: Loc, message: str) -> None:
        self.loc = tuple(loc)
        self.message = message
        super().__init__(f"{format_loc(self.loc)}: {message}" if self.loc else message)


def format_loc(loc: Loc) -> str:
    """``("tasks", 1, "models", 0)`` -> ``"tasks[1].models[0]"``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Named(_Strict):
    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value: Any) -> Any:
        # a bare string stands for {name: <string>}
        return {"name": value} if isinstance(value, str) else value


class DatasetSpec(_Named):
    """One dataset: a registry name, loader parameters, optionally its own task list."""

    name: str = Field(min_length=1)
    #: how the dataset is called in the results (default: name); lets one dataset appear with two settings
    label: str | None = Field(default=None, min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    #: split options, each handed to the split of every task of this dataset that takes it
    split: dict[str, Any] = Field(default_factory=dict)
    #: run only these tasks (names from the spec's tasks) on this dataset; default: all
    tasks: list[str] | None = None

    @property
    def key(self) -> str:
        """The dataset's name in results, profiles and folders."""
        return self.label or self.name

    def split_for(self, task: Any) -> dict[str, Any]:
        """The split options ``task`` gets: those of :attr:`split` its ``split`` takes (all when it takes ``**options``)."""
        from longtail.tasks.base import split_options

        taken = split_options(task)
        return {key: value for key, value in self.split.items() if taken is None or key in taken}


class TaskSpec(_Named):
    """One task: its models (default: the task's first), their parameters, the task's own parameters."""

    name: str = Field(min_length=1)
    models: list[str] | None = Field(default=None, min_length=1)
    #: parameters per model name, e.g. {deepfm: {epochs: 2}}
    model_params: dict[str, dict[str, Any]] = Field(default_factory=dict)
    #: handed to the task through TrialContext.params
    params: dict[str, Any] = Field(default_factory=dict)

    def resolve(self) -> Any:
        """The task object (a registered task, or ``module:OBJECT`` imported)."""
        return resolve_task(self.name)

    def model_names(self, task: Any | None = None) -> list[str]:
        """The models to run: those listed, else the task's default model."""
        return list(self.models) if self.models else [(task or self.resolve()).models[0]]


class StrategySpec(_Named):
    """A strategy by registry name, optionally renamed from a ``base`` with parameter overrides."""

    name: str = Field(min_length=1)
    base: str | None = Field(default=None, min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)

    def build(self) -> Any:
        """The :class:`longtail.strategies.Strategy` this entry describes."""
        from longtail import strategies

        strategy = strategies.get(self.base or self.name, **self.params)
        return dataclasses.replace(strategy, name=self.name) if self.base else strategy


class EncoderSpec(_Strict):
    """The pretrained text encoder whose cached embeddings tasks receive (TrialContext.embed)."""

    enabled: bool = True
    #: None for the packaged all-MiniLM-L6-v2, or a local model folder
    model: str | None = None
    cache_dir: str = ".cache/embeddings"
    batch_size: int | None = Field(default=None, ge=1)
    #: compute precision; None: the encoder's default (fp16 on cuda, fp32 elsewhere). bf16 is several
    #: times faster on CPUs with AMX and stays within cosine 0.9999 of fp32 (docs/performance.md)
    dtype: Literal["fp32", "fp16", "bf16"] | None = None


class BenchSpec(_Strict):
    """A whole benchmark: datasets x tasks x models x strategies x seeds."""

    name: str | None = Field(default=None, min_length=1)
    datasets: list[DatasetSpec] = Field(default_factory=lambda: [DatasetSpec(name="synthetic")], min_length=1)
    tasks: list[TaskSpec] = Field(min_length=1)
    strategies: list[StrategySpec] = Field(default_factory=lambda: [StrategySpec(name="baseline")], min_length=1)
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    #: keep only these metrics in results.parquet (default: all)
    metrics: list[str] | None = None
    #: keep only these group dimensions besides the overall rows (default: all)
    group_dims: list[str] | None = None
    baseline: str = "baseline"
    encoder: EncoderSpec = Field(default_factory=EncoderSpec)
    output: str | None = None
    device: Literal["auto", "cpu", "cuda"] = "auto"

    # maps a key path to "file:line"; set when parsed from YAML
    _where: Callable[[Loc], str] | None = PrivateAttr(default=None)

    @field_validator("seeds", mode="before")
    @classmethod
    def _seed_count(cls, value: Any) -> Any:
        # "seeds: 3" is short for [0, 1, 2]
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 1:
                raise ValueError("a seed count must be at least 1")
            return list(range(value))
        return value

    @field_validator("seeds")
    @classmethod
    def _seeds_valid(cls, value: list[int]) -> list[int]:
        if any(seed < 0 for seed in value):
            raise ValueError("seeds must be non-negative integers")
        if len(set(value)) != len(value):
            raise ValueError("seeds must be different from each other")
        return value

    def where(self, loc: Loc) -> str:
        """``"file:line: path"`` for a key path, as far as the spec's YAML locates it."""
        prefix = self._where(tuple(loc)) if self._where is not None else ""
        path = format_loc(tuple(loc))
        return ": ".join(part for part in (prefix, path) if part)

    def error(self, loc: Loc, message: str) -> LongtailError:
        """A one-line LongtailError about the value at ``loc``."""
        return LongtailError(f"{self.where(loc)}: {message}")

    def strategy(self, name: str) -> StrategySpec:
        """The strategy entry called ``name``."""
        return next(entry for entry in self.strategies if entry.name == name)

    def to_dict(self) -> dict[str, Any]:
        """Every key with its value (defaults filled in), JSON-friendly."""
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        """The spec as YAML, defaults filled in (what the results folder keeps as spec.yaml)."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def spec_hash(self) -> str:
        """A short digest of everything that shapes the results (the output folder excluded)."""
        data = {key: value for key, value in self.to_dict().items() if key != "output"}
        # a dataset without split options hashes as it did before datasets had them, so older rows keep their hash
        data["datasets"] = [{k: v for k, v in entry.items() if k != "split" or v} for entry in data["datasets"]]
        # likewise an encoder without a precision of its own
        data["encoder"] = {k: v for k, v in data["encoder"].items() if k != "dtype" or v is not None}
        return digest(data)


def digest(value: Any, length: int = 12) -> str:
    """Short sha256 of a JSON-serialisable value, independent of dict order."""
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:length]


# --------------------------------------------------------------------------- tasks
def resolve_task(name: str) -> Any:
    """A registered task (``longtail.tasks.get``) or, for ``module:OBJECT``, that object imported.

    A task module that cannot be imported is a LongtailError naming it.
    """
    from longtail import tasks

    if TASK_PATH_SEP not in name:
        if name not in tasks.available():
            raise LongtailError(f"'{name}' is not a task; choose one of {', '.join(tasks.available())}")
        try:
            return tasks.get(name)
        except ImportError as exc:
            raise LongtailError(f"task {name} cannot be imported ({exc}); check the installation") from exc
    module, _, attribute = name.partition(TASK_PATH_SEP)
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError) as exc:
        raise LongtailError(f"task '{name}' cannot be imported ({exc}); write it as package.module:OBJECT") from exc


# --------------------------------------------------------------------------- loading
def load_spec(path: str | Path | None = None) -> BenchSpec:
    """Read and validate a spec file (None: the built-in default spec).

    A missing file, a YAML syntax error, a wrong key or an unknown name
    raises LongtailError with ``file:line: key.path: what; what to do``.
    """
    path = Path(path) if path is not None else DEFAULT_SPEC
    if not path.is_file():
        raise LongtailError(f"{path}: no such spec file; check the path")
    return parse_spec(path.read_text(encoding="utf-8"), source=str(path), default_name=path.stem)


def parse_spec(text: str, source: str = "spec.yaml", default_name: str | None = None) -> BenchSpec:
    """Validate spec text; ``source`` names it in error messages, ``default_name`` fills a missing ``name``."""
    root = _compose(text, source)
    where = _locator(source, root)
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise LongtailError(f"{where(())}: a spec is a mapping with keys {', '.join(BenchSpec.model_fields)}")
    if default_name and "name" not in data:
        data["name"] = default_name
    try:
        spec = BenchSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        raise LongtailError(f"{where(loc)}: {format_loc(loc) or 'spec'}: {_pydantic_message(first)}") from None
    spec._where = where
    try:
        check_spec(spec)
    except SpecError as exc:
        raise LongtailError(f"{where(exc.loc)}: {exc}") from None
    return spec


def _compose(text: str, source: str) -> yaml.Node | None:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise LongtailError(f"{source}{line}: not valid YAML ({exc.problem or exc.context}); fix the syntax") from None
    _check_duplicate_keys(root, source)
    return root


def _check_duplicate_keys(node: yaml.Node | None, source: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key, value in node.value:
            if key.value in seen:
                raise LongtailError(
                    f"{source}:{key.start_mark.line + 1}: key '{key.value}' is given twice; keep one"
                )
            seen.add(key.value)
            _check_duplicate_keys(value, source)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicate_keys(item, source)


def _locator(source: str, root: yaml.Node | None) -> Callable[[Loc], str]:
    """Maps a key path to ``"source:line"`` of the deepest YAML node it reaches."""

    def where(loc: Loc) -> str:
        node, line = root, (root.start_mark.line if root is not None else 0)
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                pair = next(((k, v) for k, v in node.value if k.value == part), None)
                if pair is None:
                    break
                line, node = pair[0].start_mark.line, pair[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line
            else:
                break
        return f"{source}:{line + 1}"

    return where


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The spec model class that holds the last key of ``loc`` (for listing allowed keys)."""
    model: Any = BenchSpec
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return None
        model = _inner_model(model.model_fields[part].annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if isinstance(found, type) and issubclass(found, BaseModel):
            return found
    return annotation


def _pydantic_message(error: dict[str, Any]) -> str:
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        model = _model_at(loc)
        allowed = f"; allowed keys: {', '.join(model.model_fields)}" if model else ""
        return f"unknown key '{loc[-1]}'{allowed}"
    if kind == "missing":
        return "is required; add it"
    message = error["msg"]
    message = message[0].lower() + message[1:] if message else message
    message = message.removeprefix("value error, ")
    shown = error.get("input")
    if isinstance(shown, (str, int, float, bool)) or shown is None:
        return f"{shown!r}: {message}"
    return message


# --------------------------------------------------------------------------- checks
def _choose(value: str, what: str, choices: Sequence[str]) -> str:
    return f"'{value}' is not {what}; choose one of {', '.join(choices)}"


def check_spec(spec: BenchSpec) -> None:
    """Check names against the registries and options against the tasks; raises :class:`SpecError` with the
    key path of the first problem."""
    _check_datasets(spec)
    _check_tasks(spec)
    _check_splits(spec)
    _check_strategies(spec)


def _check_unique(names: list[str], field: str, loc: Loc) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            raise SpecError((*loc, index, field), f"'{name}' is listed twice; give each a different {field}")
        seen.add(name)


def _check_datasets(spec: BenchSpec) -> None:
    from longtail.data import registry

    task_names = [task.name for task in spec.tasks]
    _check_unique([dataset.key for dataset in spec.datasets], "label", ("datasets",))
    for index, dataset in enumerate(spec.datasets):
        loc: Loc = ("datasets", index)
        try:
            registry.info(dataset.name)
        except LongtailError:
            names = [info.name for info in registry.list_datasets()]
            raise SpecError((*loc, "name"), _choose(dataset.name, "a dataset", names)) from None
        problem = dataset_params_problem(dataset.name, dataset.params)
        if problem:
            raise SpecError((*loc, "params"), problem)
        for position, task in enumerate(dataset.tasks or []):
            if task not in task_names:
                raise SpecError((*loc, "tasks", position), _choose(task, "a task of this spec", task_names))


def dataset_params_problem(name: str, params: dict[str, Any]) -> str | None:
    """What is wrong with a dataset's loader parameters (None when they fit the loader)."""
    from longtail.data import registry

    key = registry.info(name).name
    if key == registry.SYNTHETIC.name:
        from longtail.data.synthetic import MarketplaceConfig

        knobs = {k: v for k, v in params.items() if k not in ("seed", "progress")}
        try:
            MarketplaceConfig.from_knobs(**knobs)
        except (TypeError, ValueError) as exc:
            return f"{exc}"
        return None
    loader = importlib.import_module(f"longtail.data.loaders.{key}").load
    try:
        inspect.signature(loader).bind(**params)
    except TypeError as exc:
        accepted = ", ".join(p for p in inspect.signature(loader).parameters)
        return f"{exc}; {name} takes: {accepted}"
    return None


def _check_tasks(spec: BenchSpec) -> None:
    _check_unique([task.name for task in spec.tasks], "name", ("tasks",))
    for index, entry in enumerate(spec.tasks):
        loc: Loc = ("tasks", index)
        try:
            task = entry.resolve()
        except LongtailError as exc:
            raise SpecError((*loc, "name"), str(exc)) from None
        known = list(task.models)
        for position, model in enumerate(entry.models or []):
            if model not in known:
                raise SpecError((*loc, "models", position), _choose(model, f"a model of task {task.name}", known))
        _check_unique(list(entry.models or []), "model", (*loc, "models"))
        for model in entry.model_params:
            if model not in known:
                raise SpecError((*loc, "model_params", model), _choose(model, f"a model of task {task.name}", known))
        _check_task_params(task, entry, loc)
        _check_model_params(task, entry, loc)


def _check_task_params(task: Any, entry: TaskSpec, loc: Loc) -> None:
    """Each key of ``params`` must be one the task reads, when the task declares them (``param_names``)."""
    from longtail.tasks.base import param_names

    declared = param_names(task)
    if declared is None:
        return
    for key in entry.params:
        if key not in declared:
            allowed = f"allowed keys: {', '.join(declared)}" if declared else f"task {task.name} reads none; remove params"
            raise SpecError((*loc, "params", key), f"unknown parameter '{key}' of task {task.name}; {allowed}")


def _check_model_params(task: Any, entry: TaskSpec, loc: Loc) -> None:
    """Each model's parameters must be ones it takes, when the task says which (``model_param_names``)."""
    from longtail.tasks.base import OptionError

    accepted_of = getattr(task, "model_param_names", None)
    if accepted_of is None:
        return
    for model, params in entry.model_params.items():
        try:
            accepted = accepted_of(model, params)
        except OptionError as exc:
            raise SpecError((*loc, "model_params", model, exc.key), exc.message) from None
        except LongtailError as exc:
            raise SpecError((*loc, "model_params", model), str(exc)) from None
        for key in params:
            if key not in accepted:
                takes = ", ".join(sorted(accepted)) or "none"
                raise SpecError((*loc, "model_params", model, key),
                                f"model '{model}' takes no parameter '{key}'; it takes: {takes}")


def _check_splits(spec: BenchSpec) -> None:
    """Every split option must be taken by one of the dataset's tasks, with a value each such task accepts."""
    from longtail.tasks.base import OptionError, split_options

    for index, dataset in enumerate(spec.datasets):
        if not dataset.split:
            continue
        loc: Loc = ("datasets", index, "split")
        tasks = [entry.resolve() for entry in spec.tasks if dataset.tasks is None or entry.name in dataset.tasks]
        taken = {task.name: split_options(task) for task in tasks}
        for key in dataset.split:
            if not any(options is None or key in options for options in taken.values()):
                listed = "; ".join(f"{name}: {', '.join(options) or 'none'}" for name, options in taken.items())
                raise SpecError((*loc, key), f"unknown split option '{key}'; allowed keys by task: {listed}")
        for task in tasks:
            check = getattr(task, "check_split", None)
            if check is None:
                continue
            try:
                check(dataset.split_for(task))
            except OptionError as exc:
                # a problem of a default (e.g. test_size + the default valid_size) points at the options given
                where = (*loc, exc.key) if exc.key in dataset.split else loc
                raise SpecError(where, f"task {task.name}: {exc.message}") from None
            except LongtailError as exc:
                raise SpecError(loc, f"task {task.name}: {exc}") from None


def _check_strategies(spec: BenchSpec) -> None:
    from longtail import strategies

    names = [entry.name for entry in spec.strategies]
    _check_unique(names, "name", ("strategies",))
    for index, entry in enumerate(spec.strategies):
        loc: Loc = ("strategies", index)
        registered = entry.base or entry.name
        if registered not in strategies.names():
            field = "base" if entry.base else "name"
            hint = "" if entry.base else " (or give base: for a renamed copy)"
            raise SpecError((*loc, field), _choose(registered, "a strategy", strategies.names()) + hint)
        try:
            entry.build()
        except LongtailError as exc:
            raise SpecError((*loc, "params"), str(exc)) from None
    if spec.baseline not in names:
        raise SpecError(("baseline",), _choose(spec.baseline, "one of the spec's strategies", names))
