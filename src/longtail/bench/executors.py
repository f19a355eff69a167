"""Where trials run: in this process, in local worker processes, or on a Ray cluster.

Every executor offers a fixed number of *slots* (workers). The runner gives
a slot one trial at a time and all trials of a group (same dataset, task and
seed) in a row, so the worker behind the slot loads and splits once per
group (:func:`longtail.bench.trials.run_trial` keeps the last split of its
process). A submitted trial comes back as a ``concurrent.futures.Future`` of
a :class:`~longtail.bench.trials.TrialOutcome`; a worker that dies makes the
future raise, and :meth:`restart` gives the slot a fresh worker.

Local workers are started with the "spawn" method: torch and fork do not mix.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Protocol

from longtail.bench.trials import DEFAULT_THREADS, THREAD_VARIABLES, Trial, TrialOutcome, run_trial
from longtail.errors import LongtailError

EXECUTORS = ("local", "ray", "inline")


class Executor(Protocol):
    """Runs trials on ``slots`` workers."""

    slots: int

    def submit(self, slot: int, trial: Trial) -> Future:
        """Start ``trial`` on worker ``slot``; the future gives its TrialOutcome."""
        ...

    def restart(self, slot: int) -> None:
        """Replace the worker of ``slot`` (after it died)."""
        ...

    def close(self, cancel: bool = False) -> None:
        """Stop the workers; ``cancel`` kills running trials instead of waiting for them."""
        ...


class InlineExecutor:
    """Runs each trial in this process, one at a time (for debugging and small runs)."""

    slots = 1

    def submit(self, slot: int, trial: Trial) -> Future:
        """Run ``trial`` now and return its finished future."""
        future: Future = Future()
        future.set_result(run_trial(trial))
        return future

    def restart(self, slot: int) -> None:
        """Nothing to restart: trials run in this process."""

    def close(self, cancel: bool = False) -> None:
        """Nothing to stop."""


def _exit_with_parent(parent: int, every: float = 1.0) -> None:
    # A worker holds both ends of its pool's queue, so it never sees the main
    # process die; without this check a killed run would leave it running.
    while True:
        time.sleep(every)
        if os.getppid() != parent:
            os._exit(1)


def _init_worker(threads: int) -> None:
    # Ctrl-C reaches the whole process group; the main process alone decides
    # what to do (it keeps finished trials and stops the workers).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


class LocalExecutor:
    """``jobs`` worker processes on this machine, each a one-process ``ProcessPoolExecutor``.

    One pool per worker lets a whole group of trials go to the same process.
    Each worker starts with ``threads`` threads for torch/BLAS (every trial
    sets its own count again, see :func:`longtail.bench.trials.trial_threads`).
    """

    def __init__(self, jobs: int, threads: int = DEFAULT_THREADS) -> None:
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {jobs}")
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        self.slots = jobs
        self._threads = threads
        self._context = multiprocessing.get_context("spawn")
        self._pools: list[ProcessPoolExecutor | None] = [None] * jobs

    def _pool(self, slot: int) -> ProcessPoolExecutor:
        if self._pools[slot] is None:
            self._pools[slot] = ProcessPoolExecutor(
                max_workers=1, mp_context=self._context, initializer=_init_worker, initargs=(self._threads,)
            )
        return self._pools[slot]

    def submit(self, slot: int, trial: Trial) -> Future:
        """Run ``trial`` in worker ``slot`` (started on first use)."""
        return self._pool(slot).submit(run_trial, trial)

    def restart(self, slot: int) -> None:
        """Drop the worker of ``slot``; the next submit starts a fresh one."""
        pool, self._pools[slot] = self._pools[slot], None
        if pool is not None:
            _kill(pool)

    def close(self, cancel: bool = False) -> None:
        """Wait for the workers to finish (or kill them when ``cancel``)."""
        for slot, pool in enumerate(self._pools):
            if pool is not None:
                _kill(pool) if cancel else pool.shutdown(wait=True)
            self._pools[slot] = None


def _kill(pool: ProcessPoolExecutor) -> None:
    # ProcessPoolExecutor has no public way to stop a running call before
    # Python 3.14 (terminate_workers); its process table is the only handle.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=10)


class TrialWorker:
    """A Ray actor running trials; being one process, it keeps its last split for the next trial."""

    def run(self, trial: Trial) -> TrialOutcome:
        """Run one trial."""
        return run_trial(trial)


class RayExecutor:
    """One Ray actor per slot on the cluster at ``address`` (a new local cluster when None).

    Uses an already initialised Ray session if there is one. Each actor
    reserves ``threads`` CPUs (the threads its trials run with); ``jobs``
    defaults to as many actors as the cluster's CPUs hold. With
    ``device="cuda"`` each actor gets an equal share of the cluster's GPUs.
    """

    def __init__(
        self, address: str | None = None, jobs: int | None = None, device: str = "cpu", threads: int = DEFAULT_THREADS
    ) -> None:
        try:
            import ray
        except ImportError as exc:
            raise LongtailError("--executor ray needs Ray; install it with pip install 'longtail[ray]'") from exc
        self._ray = ray
        self._owned = not ray.is_initialized()
        if self._owned:
            try:
                ray.init(address=address, include_dashboard=False, log_to_driver=False)
            except ConnectionError as exc:
                raise LongtailError(f"--address {address}: cannot reach a Ray cluster ({exc}); check the address") from exc
        resources = ray.cluster_resources()
        cpus = int(resources.get("CPU", 1))
        if threads > cpus:
            # an actor asking for more CPUs than the cluster has would wait for them forever
            if self._owned:
                ray.shutdown()
            raise LongtailError(f"--threads {threads}: the Ray cluster has {cpus} CPUs; give at most that many")
        fit = max(1, cpus // threads)
        self.slots = min(jobs, fit) if jobs else fit
        options: dict[str, Any] = {"num_cpus": threads}
        if device.startswith("cuda") and resources.get("GPU"):
            options["num_gpus"] = resources["GPU"] / self.slots
        self._actor_class = ray.remote(**options)(TrialWorker)
        self._actors: list[Any] = [None] * self.slots

    def submit(self, slot: int, trial: Trial) -> Future:
        """Run ``trial`` on the actor of ``slot`` (created on first use)."""
        if self._actors[slot] is None:
            self._actors[slot] = self._actor_class.remote()
        return self._actors[slot].run.remote(trial).future()

    def restart(self, slot: int) -> None:
        """Kill the actor of ``slot``; the next submit creates a fresh one."""
        actor, self._actors[slot] = self._actors[slot], None
        if actor is not None:
            self._ray.kill(actor)

    def close(self, cancel: bool = False) -> None:
        """Kill the actors (their work is done or abandoned) and end the session this executor started."""
        for slot in range(self.slots):
            self.restart(slot)
        if self._owned:
            self._ray.shutdown()


def make_executor(
    kind: str, jobs: int | None, address: str | None = None, device: str = "cpu", threads: int = DEFAULT_THREADS
) -> Executor:
    """The executor called ``kind`` ("local", "ray" or "inline") with ``jobs`` workers (Ray: None for all CPUs)."""
    if kind == "local":
        return LocalExecutor(jobs or 1, threads)
    if kind == "ray":
        return RayExecutor(address, jobs, device, threads)
    if kind == "inline":
        return InlineExecutor()
    raise LongtailError(f"--executor: '{kind}' is not one of {', '.join(EXECUTORS)}")
