"""Trials: the spec expanded into single runs, and how one runs inside a worker.

A trial is (dataset, task, model, strategy, seed). Trials that share
(dataset, task, seed) share a split; :func:`run_trial` keeps the last
dataset and split of its process, so a worker that runs a group of trials
one after another loads and splits once. Everything here is picklable: a
trial travels to a local process or a Ray worker and an outcome comes back.
"""

from __future__ import annotations

import os
import random
import re
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import TypeAdapter

from longtail.bench.spec import BenchSpec, DatasetSpec, StrategySpec, TaskSpec, digest
from longtail.errors import LongtailError

GroupKey = tuple[str, str, int]
_JSON_OPTIONS = TypeAdapter(dict[str, Any])
#: threads each trial runs with unless told otherwise (see :func:`trial_threads`)
DEFAULT_THREADS = 1
#: what OpenMP, MKL and OpenBLAS read when they start, torch's OpenMP pool included
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@dataclass(frozen=True)
class Embedder:
    """``TrialContext.embed``: cached encoder embeddings, the encoder loaded only for texts not cached yet.

    ``key`` and ``dim`` name the encoder's cache (``TransformerEncoder.cache_key``
    / ``.dim``), computed once in the main process, so a worker whose texts
    were all encoded beforehand never loads the model. Texts that were not
    are encoded by one worker at a time (a file lock in the cache folder),
    so concurrent workers asking for the same new texts encode them once.
    """

    cache_dir: str
    key: str
    dim: int
    model: str | None = None
    device: str = "cpu"
    batch_size: int | None = None
    dtype: str | None = None

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 embeddings of ``texts``, one row per text."""
        from longtail.encoders.cache import text_digests

        texts = [str(text) for text in texts]
        digests = text_digests(texts)
        found, vectors = _process_cache(self).lookup(digests)
        if found.all():
            return vectors
        # One worker encodes at a time: the others wait, then find the texts cached.
        with _exclusive(Path(self.cache_dir) / self.key / ".encoding.lock"):
            found, vectors = _process_cache(self).lookup(digests)
            if found.all():
                return vectors
            return _process_encoder(self).encode(texts)


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold an advisory lock on ``path`` across processes (a no-op where fcntl is missing)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# one embedding cache and at most one loaded encoder per process, keyed by the embedder
_EMBEDDING_CACHES: dict[Embedder, Any] = {}
_ENCODERS: dict[Embedder, Any] = {}


def _process_cache(embedder: Embedder) -> Any:
    from longtail.encoders.cache import EmbeddingCache

    if embedder not in _EMBEDDING_CACHES:
        _EMBEDDING_CACHES[embedder] = EmbeddingCache(embedder.cache_dir, embedder.key, embedder.dim)
    return _EMBEDDING_CACHES[embedder]


def _process_encoder(embedder: Embedder) -> Any:
    if embedder not in _ENCODERS:
        _ENCODERS.clear()
        _ENCODERS[embedder] = open_encoder(embedder.model, embedder.device, embedder.batch_size, embedder.cache_dir,
                                           embedder.dtype)
    return _ENCODERS[embedder]


def open_encoder(model: str | None, device: str, batch_size: int | None, cache_dir: str, dtype: str | None = None) -> Any:
    """The :class:`~longtail.encoders.transformer.TransformerEncoder` a spec's encoder section describes."""
    from longtail.encoders.transformer import TransformerEncoder

    return TransformerEncoder(model, device=device, batch_size=batch_size, cache_dir=cache_dir, dtype=dtype,
                              progress=False)


@dataclass(frozen=True)
class Trial:
    """One run: fit ``model`` with ``strategy`` on the ``seed`` split of ``dataset`` for ``task``."""

    trial_id: str
    dataset: DatasetSpec
    task: TaskSpec
    model: str
    strategy: StrategySpec
    seed: int
    device: str = "cpu"
    embedder: Embedder | None = None
    model_dir: str | None = None
    #: threads for torch and BLAS while the trial runs (not part of the id: they change rounding, not the experiment)
    threads: int = DEFAULT_THREADS

    @property
    def group(self) -> GroupKey:
        """Trials with the same group share a loaded dataset and a split."""
        return (self.dataset.key, self.task.name, self.seed)

    @property
    def labels(self) -> dict[str, Any]:
        """The columns that name this trial in the results."""
        return {
            "dataset": self.dataset.key,
            "task": self.task.name,
            "model": self.model,
            "strategy": self.strategy.name,
            "seed": self.seed,
            "trial_id": self.trial_id,
        }

    def describe(self) -> str:
        """``dataset/task/model/strategy seed k``, for progress lines."""
        return f"{self.dataset.key}/{self.task.name}/{self.model}/{self.strategy.name} seed {self.seed}"


@dataclass(frozen=True)
class Skipped:
    """A combination the spec names but that cannot run, with the reason (listed once, not per seed)."""

    dataset: str
    task: str
    strategy: str | None
    reason: str
    model: str | None = None


@dataclass(frozen=True)
class Expansion:
    """The trials to run and the combinations skipped."""

    trials: list[Trial]
    skipped: list[Skipped]


def trial_id(
    dataset: DatasetSpec, task: TaskSpec, model: str, strategy: StrategySpec, seed: int, encoder: dict | None,
    split: dict[str, Any] | None = None,
) -> str:
    """A readable, stable id: the same settings always give the same id (this is what resuming matches).

    ``split`` are the split options the task gets (:meth:`DatasetSpec.split_for`).
    """
    settings = {
        "dataset": [dataset.name, dataset.params],
        "task": [task.name, task.params],
        "model": [model, task.model_params.get(model, {})],
        "strategy": [strategy.name, strategy.base, strategy.params],
        "seed": seed,
        "encoder": encoder,
    }
    if split:
        # only when given: the default split keeps the ids trials had before split options existed.
        # JSON form, so a date read from YAML and its ISO text in a saved spec.yaml give one id
        settings["split"] = _JSON_OPTIONS.dump_python(split, mode="json")
    readable = f"{dataset.key}-{task.name}-{model}-{strategy.name}-s{seed}"
    return f"{re.sub(r'[^A-Za-z0-9_.+-]+', '_', readable)}-{digest(settings, 8)}"


def expand(
    spec: BenchSpec,
    *,
    supports: Callable[[DatasetSpec, TaskSpec], bool] | None = None,
    device: str = "cpu",
    embedder: Embedder | None = None,
    models_root: Path | None = None,
) -> Expansion:
    """Every (dataset, task, model, strategy, seed) of the spec, in group order.

    A strategy that does not apply to a task's kind is skipped, and so is a
    task for which ``supports(dataset_spec, task_spec)`` is False (the runner asks
    ``task.supports`` of the loaded data; None: every pair runs).
    ``models_root`` set: each trial saves its model under
    ``models_root/<dataset>/<task>/<model>/<strategy>/seed<k>``.
    """
    strategies = {entry.name: entry.build() for entry in spec.strategies}
    encoder = {"model": spec.encoder.model} if spec.encoder.enabled else None
    if encoder is not None and spec.encoder.dtype is not None:  # ids of the default precision stay as they were
        encoder["dtype"] = spec.encoder.dtype
    trials: list[Trial] = []
    skipped: list[Skipped] = []
    for dataset in spec.datasets:
        for task_spec in spec.tasks:
            if dataset.tasks is not None and task_spec.name not in dataset.tasks:
                continue
            task = task_spec.resolve()
            split = dataset.split_for(task)
            if supports is not None and not supports(dataset, task_spec):
                skipped.append(Skipped(dataset.key, task_spec.name, None, f"task {task_spec.name} does not support dataset {dataset.key}"))
                continue
            runnable = []
            for entry in spec.strategies:
                if strategies[entry.name].applies_to(task.kind):
                    runnable.append(entry)
                else:
                    reason = f"strategy {entry.name} does not apply to {task.kind} task {task_spec.name}"
                    skipped.append(Skipped(dataset.key, task_spec.name, entry.name, reason))
            for seed in spec.seeds:
                for model in task_spec.model_names(task):
                    for entry in runnable:
                        model_dir = None
                        if models_root is not None:
                            model_dir = str(models_root / dataset.key / task_spec.name / model / entry.name / f"seed{seed}")
                        trials.append(
                            Trial(
                                trial_id=trial_id(dataset, task_spec, model, entry, seed, encoder, split),
                                dataset=dataset, task=task_spec, model=model, strategy=entry, seed=seed,
                                device=device, embedder=embedder, model_dir=model_dir,
                            )
                        )
    return Expansion(trials, skipped)


def group_trials(trials: Sequence[Trial], min_units: int = 1) -> list[list[Trial]]:
    """Trials batched by shared split, largest first; big groups are cut so there are at least ``min_units``.

    Each unit goes to one worker, which loads and splits once for it; cutting
    a group costs one more split but keeps every worker busy.
    """
    groups: dict[GroupKey, list[Trial]] = {}
    for trial in trials:
        groups.setdefault(trial.group, []).append(trial)
    units = sorted(groups.values(), key=len, reverse=True)
    while units and len(units) < min_units and len(units[0]) > 1:
        largest = units.pop(0)
        half = (len(largest) + 1) // 2
        units = sorted([*units, largest[:half], largest[half:]], key=len, reverse=True)
    return units


# --------------------------------------------------------------------------- running
@dataclass(frozen=True)
class TrialOutcome:
    """What came back from one trial: metric rows ``(metric, group_dim, group, value)``, an error, or a skip.

    ``skip_reason`` is set when the task refused the strategy for this model
    (a :class:`~longtail.strategies.StrategyError`): not a failure, the
    combination simply does not exist.
    """

    trial_id: str
    rows: list[tuple[str, str, str, float]] = field(default_factory=list)
    wall_time: float = 0.0
    error_type: str | None = None
    message: str | None = None
    traceback: str | None = None
    skip_reason: str | None = None
    #: distinct warnings the trial raised (caught in the worker so they do not break the progress bar)
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the trial finished and gave rows."""
        return self.error_type is None and self.skip_reason is None

    @classmethod
    def failed(cls, trial_id: str, exc: BaseException, wall_time: float = 0.0) -> TrialOutcome:
        """The outcome of a trial that raised ``exc``."""
        text = "".join(traceback.format_exception(exc))
        return cls(trial_id, [], wall_time, type(exc).__name__, str(exc) or type(exc).__name__, text)


# the last dataset and split this process made, so a group's trials share them
_LOADED: dict[str, Any] = {}
_SPLITS: dict[tuple, Any] = {}


def load_dataset(dataset: DatasetSpec) -> Any:
    """The dataset a spec entry describes (loaded once per process and kept until another is asked for)."""
    key = digest([dataset.name, dataset.params])
    if key not in _LOADED:
        from longtail.data import registry

        _LOADED.clear()
        _SPLITS.clear()
        _LOADED[key] = registry.load(dataset.name, **dataset.params)
    return _LOADED[key]


def _split(trial: Trial, task: Any) -> Any:
    options = trial.dataset.split_for(task)
    key = (digest([trial.dataset.name, trial.dataset.params]), trial.task.name, trial.seed, digest(options))
    if key not in _SPLITS:
        dataset = load_dataset(trial.dataset)
        _SPLITS.clear()
        _SPLITS[key] = task.split(dataset, trial.seed, **options)
    return _SPLITS[key]


def _seed_globals(seed: int) -> None:
    # models should take their own seeded generators; seeding the globals as
    # well makes a trial independent of which trials ran before in the process
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)


@contextmanager
def trial_threads(threads: int) -> Iterator[None]:
    """Run the block with ``threads`` threads for torch and the BLAS / OpenMP libraries, then restore them.

    A float sum split over another number of threads rounds differently, so
    a trial's metrics would change in the last digits with ``-j``, the
    executor or the machine's core count. Fixing the count per trial makes
    the rows depend on the spec and the seeds alone.
    """
    from threadpoolctl import threadpool_limits

    saved_env = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    # libraries first loaded inside the block (torch, usually) size their pools from these
    os.environ.update({name: str(threads) for name in THREAD_VARIABLES})
    torch = sys.modules.get("torch")
    saved_torch = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if torch is not None and saved_torch is not None:
            torch.set_num_threads(saved_torch)


def run_trial(trial: Trial) -> TrialOutcome:
    """Run one trial; any exception becomes a failed outcome carrying the traceback."""
    with warnings.catch_warnings(record=True) as caught, trial_threads(trial.threads):
        warnings.simplefilter("default")
        outcome = _run_trial(trial)
    seen = tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    return replace(outcome, warnings=seen) if seen else outcome


def _run_trial(trial: Trial) -> TrialOutcome:
    from longtail.strategies import StrategyError
    from longtail.tasks import MetricRow, TrialContext

    started = time.perf_counter()
    try:
        task = trial.task.resolve()
        split = _split(trial, task)
        strategy = trial.strategy.build()
        if trial.model_dir is not None:
            Path(trial.model_dir).mkdir(parents=True, exist_ok=True)
        ctx = TrialContext(
            seed=trial.seed,
            device=trial.device,
            embed=trial.embedder,
            model_dir=Path(trial.model_dir) if trial.model_dir is not None else None,
            progress=False,
            params=dict(trial.task.params),
        )
        _seed_globals(trial.seed)
        started = time.perf_counter()
        metric_rows = task.run(split, trial.model, strategy, ctx, model_params=trial.task.model_params.get(trial.model))
        wall_time = time.perf_counter() - started
        rows = []
        for row in metric_rows:
            if not isinstance(row, MetricRow):
                raise LongtailError(f"task {trial.task.name} returned {type(row).__name__}, not MetricRow")
            rows.append((str(row.metric), str(row.group_dim), str(row.group), float(row.value)))
        if not rows:
            raise LongtailError(f"task {trial.task.name} returned no metric rows")
        return TrialOutcome(trial.trial_id, rows, wall_time)
    except StrategyError as exc:
        return TrialOutcome(trial.trial_id, wall_time=time.perf_counter() - started, skip_reason=str(exc))
    except Exception as exc:  # noqa: BLE001 - one trial's failure must not stop the grid
        return TrialOutcome.failed(trial.trial_id, exc, time.perf_counter() - started)
