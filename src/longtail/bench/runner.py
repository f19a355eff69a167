"""The benchmark runner: spec in, a results folder out.

``run_bench(spec, out)`` loads each dataset once in this process (to write
its imbalance profile, to ask each task whether it supports the data and to
encode the catalogue texts into the embedding cache), expands the spec into
trials, skips those already in the store, and runs the rest on an executor.
Each outcome is written as soon as it arrives, so a crash or Ctrl-C loses at
most the trials that were running; a re-run into the same folder picks up
where the last one stopped.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from longtail import __version__
from longtail.bench.executors import Executor, make_executor
from longtail.bench.spec import BenchSpec
from longtail.bench.store import ResultStore, tidy_rows
from longtail.bench.trials import (
    DEFAULT_THREADS,
    Embedder,
    Skipped,
    Trial,
    TrialOutcome,
    expand,
    group_trials,
    open_encoder,
)
from longtail.errors import LongtailError


@dataclass
class RunSummary:
    """What a run did: trials finished now, found finished before, failed and skipped."""

    out: Path
    planned: int = 0
    done: int = 0
    resumed: int = 0
    failed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    interrupted: bool = False
    outputs: dict[str, Path] = field(default_factory=dict)
    wall_time: float = 0.0

    def line(self) -> str:
        """One line: trials done / skipped / failed and where the results are."""
        parts = [f"{self.done} trials done"]
        if self.resumed:
            parts.append(f"{self.resumed} already done")
        parts.append(f"{len(self.skipped)} skipped")
        parts.append(f"{len(self.failed)} failed")
        state = "interrupted" if self.interrupted else "finished"
        return f"{state} in {self.wall_time:.0f} s: {', '.join(parts)}; results in {self.out}"


@dataclass
class _DatasetFacts:
    supports: dict[str, bool]
    texts: list[str]


def resolve_device(spec: BenchSpec) -> str:
    """The device trials run on: ``spec.device``, with "auto" picking cuda when there is one."""
    if spec.device == "cpu":
        return "cpu"
    from longtail.models.runtime import pick_device

    try:
        return pick_device(None if spec.device == "auto" else spec.device)
    except ValueError as exc:
        raise spec.error(("device",), f"{exc}") from None


def encoder_texts(dataset: Any, tasks: Iterable[Any] = ()) -> list[str]:
    """The texts to encode before trials start, each once, in first-seen order.

    Catalogue titles and search queries, plus whatever each task says it
    embeds through an optional ``embed_texts(dataset) -> list[str]`` method
    (e.g. titles joined with descriptions).
    """
    from longtail.data import columns as C

    texts: list[str] = []
    texts += dataset.items.get_column(C.TITLE).drop_nulls().to_list()
    for table in (dataset.judgments, dataset.interactions):
        if table is not None and C.QUERY in table.columns:
            texts += table.get_column(C.QUERY).drop_nulls().to_list()
    for task in tasks:
        declared = getattr(task, "embed_texts", None)
        if declared is not None:
            texts += [str(text) for text in declared(dataset)]
    return list(dict.fromkeys(texts))


def _load_facts(spec: BenchSpec, store: ResultStore, console: Console) -> dict[str, _DatasetFacts]:
    """Load each dataset once: write its profile, ask its tasks, collect its texts; keep only those facts."""
    from longtail.bench.trials import load_dataset
    from longtail.profile import profile_dataset

    facts: dict[str, _DatasetFacts] = {}
    for index, entry in enumerate(spec.datasets):
        with console.status(f"loading dataset {entry.key}"):
            try:
                dataset = load_dataset(entry)
            except (LongtailError, ValueError, TypeError, OSError) as exc:
                raise spec.error(("datasets", index), f"cannot load {entry.name} ({exc})") from None
        with console.status(f"profiling dataset {entry.key}"):
            store.write_profile(entry.key, profile_dataset(dataset).to_dict())
        tasks = {task.name: task.resolve() for task in spec.tasks if entry.tasks is None or task.name in entry.tasks}
        supports = {name: bool(task.supports(dataset)) for name, task in tasks.items()}
        used = [task for name, task in tasks.items() if supports[name]]
        facts[entry.key] = _DatasetFacts(supports, encoder_texts(dataset, used) if spec.encoder.enabled else [])
    return facts


def prepare_embedder(spec: BenchSpec, device: str, texts: list[str], console: Console) -> Embedder:
    """Encode ``texts`` into the embedding cache now, so workers only read it; the handle workers embed with."""
    encoder_spec = spec.encoder
    cache_dir = str(Path(encoder_spec.cache_dir).expanduser().resolve())
    model = encoder_spec.model
    if model is not None and Path(model).expanduser().exists():
        model = str(Path(model).expanduser().resolve())
    with console.status("loading the text encoder"):
        try:
            encoder = open_encoder(model, device, encoder_spec.batch_size, cache_dir, encoder_spec.dtype)
        except (LongtailError, OSError, ValueError) as exc:
            raise spec.error(("encoder", "model"), f"cannot load the encoder ({exc})") from None
    with console.status(f"encoding {len(texts)} texts"):
        encoder.encode(texts)
    return Embedder(cache_dir=cache_dir, key=encoder.cache_key, dim=encoder.dim, model=model, device=device,
                    batch_size=encoder_spec.batch_size, dtype=encoder_spec.dtype)


def default_jobs() -> int:
    """Worker processes when not told: the CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def run_bench(
    spec: BenchSpec,
    out: str | Path,
    *,
    jobs: int | None = None,
    executor: str = "local",
    address: str | None = None,
    save_models: bool = False,
    verbose: bool = False,
    console: Console | None = None,
    outputs: bool = True,
    threads: int = DEFAULT_THREADS,
) -> RunSummary:
    """Run every trial of ``spec`` not yet in the results folder ``out``; write results.parquet.

    ``jobs`` workers (default: CPU cores) on ``executor`` ("local" processes,
    "ray" at ``address``, or "inline" in this process), each trial on
    ``threads`` threads for torch and BLAS. ``save_models`` keeps every
    fitted model under ``out/models``. With ``outputs`` the leaderboard and
    report are written at the end (longtail.bench.report). Ctrl-C stops the
    workers, keeps every finished trial and returns with ``interrupted`` set.
    """
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise LongtailError(f"--threads: must be an integer >= 1, got {threads!r}")
    console = console or Console(stderr=True)
    started = time.perf_counter()
    store = ResultStore(out)
    summary = RunSummary(out=store.folder)
    with store.lock():
        store.write_spec(spec.to_yaml())
        device = resolve_device(spec)
        facts = _load_facts(spec, store, console)
        expansion = expand(
            spec,
            supports=lambda dataset, task: facts[dataset.key].supports[task.name],
            device=device,
            models_root=store.folder.resolve() / "models" if save_models else None,
        )
        finished = store.finished()
        pending = [trial for trial in expansion.trials if trial.trial_id not in finished]
        summary.planned = len(expansion.trials)
        summary.resumed = len(expansion.trials) - len(pending)
        embedder = None
        if pending and spec.encoder.enabled:
            needed = {trial.dataset.key for trial in pending}
            texts = list(dict.fromkeys(text for key in needed for text in facts[key].texts))
            embedder = prepare_embedder(spec, device, texts, console)
        pending = [dataclasses.replace(trial, embedder=embedder, threads=threads) for trial in pending]
        recorder = _Recorder(store, spec, device, console, verbose)
        if pending:
            summary.interrupted = _run_pending(pending, recorder, executor, jobs, address, device, threads, console)
        summary.done, summary.failed = recorder.done, recorder.failed
        if recorder.warned and not verbose:
            console.print(f"{recorder.warned} trials raised warnings; run with -v to see them", highlight=False,
                          soft_wrap=True)
        summary.skipped = [*expansion.skipped, *recorder.skipped]
        store.write_skipped(dataclasses.asdict(item) for item in summary.skipped)
        rows = store.rows(trial_ids={trial.trial_id for trial in expansion.trials})
        for line in filter_problems(spec, rows):
            console.print(f"note: {line}", highlight=False, markup=False, soft_wrap=True)
        store.consolidate(spec.metrics, spec.group_dims, rows=rows)
    if outputs and not summary.interrupted:
        summary.outputs = write_report_files(store.folder, console)
    summary.wall_time = time.perf_counter() - started
    return summary


def filter_problems(spec: BenchSpec, rows: Any) -> list[str]:
    """Lines naming the spec's ``metrics`` / ``group_dims`` entries that match none of ``rows``.

    Tasks write their metric names as they run, so a misspelt filter can only
    be told from the rows; without rows there is nothing to judge.
    """
    if rows.height == 0:
        return []
    problems = []
    for key, column, what in (("metrics", "metric", "metric"), ("group_dims", "group_dim", "group dimension")):
        wanted = getattr(spec, key)
        if not wanted:
            continue
        present = set(rows.get_column(column).unique().to_list())
        # the overall rows are kept by any group filter, so "all" is never a group dimension to choose
        choices = sorted(present - {"all"}) if key == "group_dims" else sorted(present)
        for index, name in enumerate(wanted):
            if name not in present:
                shown = ", ".join(choices) if choices else "none"
                problems.append(f"{spec.where((key, index))}: '{name}' matches no {what} of the finished trials, "
                                f"so it keeps nothing in results.parquet; they wrote: {shown}")
    return problems


def _run_pending(
    pending: list[Trial], recorder: _Recorder, kind: str, jobs: int | None, address: str | None, device: str,
    threads: int, console: Console,
) -> bool:
    """Run the trials with a progress bar; True when Ctrl-C stopped the run."""
    if jobs is None and kind != "ray":  # Ray's default is the cluster's CPU count
        jobs = max(1, default_jobs() // threads)
    runner = make_executor(kind, jobs, address, device, threads)
    units = group_trials(pending, min_units=runner.slots)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn())
    interrupted = finished = False
    with Progress(*columns, console=console, transient=False) as progress:
        workers = min(runner.slots, len(units))
        bar = progress.add_task(f"trials ({workers} worker{'' if workers == 1 else 's'})", total=len(pending))
        recorder.print = progress.console.print
        try:
            schedule(runner, units, lambda trial, outcome: (recorder(trial, outcome), progress.advance(bar)))
            finished = True
        except KeyboardInterrupt:
            interrupted = True
        finally:
            # on Ctrl-C or an unexpected error, running trials are abandoned: what is stored is whole
            runner.close(cancel=not finished)
    return interrupted


def schedule(executor: Executor, units: Iterable[list[Trial]], on_outcome: Callable[[Trial, TrialOutcome], Any]) -> None:
    """Feed each slot one trial at a time, a whole unit to one slot, and report every outcome as it comes.

    A slot that runs out of units takes the back half of the longest queue
    of another slot, so no worker idles while trials wait (the taker splits
    that group once more, far cheaper than the idle time at the end of a
    grid of few large groups). A worker that dies fails only its current
    trial: the slot is restarted and goes on with the rest of its unit.
    """
    waiting = deque(units)
    queues: list[deque[Trial]] = [deque() for _ in range(executor.slots)]
    running: dict[Future, tuple[int, Trial]] = {}

    def steal(slot: int) -> None:
        donor = max(range(len(queues)), key=lambda other: len(queues[other]) if other != slot else -1)
        if donor != slot and queues[donor]:
            taken = [queues[donor].pop() for _ in range((len(queues[donor]) + 1) // 2)]
            queues[slot].extend(reversed(taken))

    def feed(slot: int) -> None:
        if not queues[slot] and waiting:
            queues[slot].extend(waiting.popleft())
        if not queues[slot]:
            steal(slot)
        if queues[slot]:
            trial = queues[slot].popleft()
            running[executor.submit(slot, trial)] = (slot, trial)

    for slot in range(executor.slots):
        feed(slot)
    while running:
        done, _ = wait(list(running), return_when=FIRST_COMPLETED)
        for future in done:
            slot, trial = running.pop(future)
            try:
                outcome = future.result()
            except Exception as exc:  # noqa: BLE001 - the worker died; the trial failed, the grid goes on
                outcome = TrialOutcome.failed(trial.trial_id, exc)
                executor.restart(slot)
            on_outcome(trial, outcome)
            feed(slot)


class _Recorder:
    """Writes each outcome to the store and tells the user about it."""

    def __init__(self, store: ResultStore, spec: BenchSpec, device: str, console: Console, verbose: bool) -> None:
        self.store = store
        self.spec_hash = spec.spec_hash()
        self.device = device
        self.verbose = verbose
        self.print: Callable[..., None] = console.print
        self.done = 0
        self.failed: list[str] = []
        self.skipped: list[Skipped] = []
        self.warned = 0
        self._headlines: dict[str, tuple[str, ...]] = {}

    def __call__(self, trial: Trial, outcome: TrialOutcome) -> None:
        self.warned += bool(outcome.warnings)
        if self.verbose:
            for warning in outcome.warnings:
                self.print(f"warn   {trial.describe()}: {warning}", highlight=False, markup=False, soft_wrap=True)
        meta = {"version": __version__, "spec_hash": self.spec_hash, "device": self.device,
                "wall_time": outcome.wall_time}
        if outcome.skip_reason is not None:
            skipped = Skipped(trial.dataset.key, trial.task.name, trial.strategy.name, outcome.skip_reason, trial.model)
            if skipped not in self.skipped:  # once per combination, not per seed
                self.skipped.append(skipped)
            if self.verbose:
                self.print(f"skip   {trial.describe()}: {outcome.skip_reason}", highlight=False, markup=False,
                           soft_wrap=True)
            return
        if outcome.ok:
            self.store.write_rows(trial.trial_id, tidy_rows(trial.labels, outcome.rows, meta))
            self.done += 1
            if self.verbose:
                self.print(f"done   {trial.describe()}  {self._headline_text(trial, outcome)}  "
                           f"({outcome.wall_time:.1f} s)", highlight=False, markup=False, soft_wrap=True)
            return
        record = {**trial.labels, "error_type": outcome.error_type,
                  "message": outcome.message, "traceback": outcome.traceback, **meta,
                  "time": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        path = self.store.write_error(trial.trial_id, record)
        self.failed.append(trial.trial_id)
        first_line = (outcome.message or "").splitlines()[0] if outcome.message else ""
        self.print(f"failed {trial.describe()}: {outcome.error_type}: {first_line} (see {path})",
                   highlight=False, markup=False, soft_wrap=True)

    def _headline_text(self, trial: Trial, outcome: TrialOutcome) -> str:
        if trial.task.name not in self._headlines:
            self._headlines[trial.task.name] = tuple(getattr(trial.task.resolve(), "headline", ()))
        overall = {metric: value for metric, dim, _, value in outcome.rows if dim == "all"}
        shown = [name for name in self._headlines[trial.task.name] if name in overall] or list(overall)[:2]
        return "  ".join(f"{name} {overall[name]:.4g}" for name in shown)


def write_report_files(folder: Path, console: Console) -> dict[str, Path]:
    """The leaderboard and report files of a results folder (longtail.bench.report), when that module is installed."""
    try:
        from longtail.bench.report import write_outputs as write_report
    except ImportError as exc:
        console.print(f"no report written: longtail.bench.report is not available ({exc})", highlight=False, soft_wrap=True)
        return {}
    with console.status("writing the leaderboard and report"):
        return {name: Path(path) for name, path in write_report(folder).items()}
