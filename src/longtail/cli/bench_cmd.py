"""``longtail bench``: run a benchmark spec, then show the leaderboard and where the report is."""

from __future__ import annotations

import signal
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from longtail.errors import LongtailError

INTERRUPTED_EXIT = 130


def register(app: typer.Typer) -> None:
    """Add the ``bench`` command to ``app``."""
    app.command("bench")(bench)


def bench(
    spec: Annotated[
        Optional[Path], typer.Argument(help="Benchmark spec (YAML). Default: the built-in spec on the synthetic shop.")
    ] = None,
    out: Annotated[
        Optional[Path],
        typer.Option("--out", "-o", help="Results folder; run again into the same folder to resume. "
                     "Default: the spec's output, else runs/<time>-<spec name>/."),
    ] = None,
    jobs: Annotated[
        Optional[int],
        typer.Option("--jobs", "-j", min=1, help="Worker processes (default: the CPU cores divided by --threads)."),
    ] = None,
    threads: Annotated[
        int,
        typer.Option("--threads", min=1, help="Threads per trial for torch and BLAS. The default, 1, keeps the "
                     "result rows the same whatever -j and the machine's core count; more rounds differently."),
    ] = 1,
    executor: Annotated[
        str, typer.Option("--executor", help="Where trials run: local (processes), ray, or inline (this process).")
    ] = "local",
    address: Annotated[
        Optional[str], typer.Option("--address", help="Ray cluster address (with --executor ray; default: a local one).")
    ] = None,
    save_models: Annotated[
        bool, typer.Option("--save-models", help="Keep every fitted model under OUT/models/ for `longtail serve`.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="One line per finished trial.")] = False,
) -> None:
    """Run every dataset x task x model x strategy x seed of a spec and compare the strategies."""
    from longtail.bench.executors import EXECUTORS
    from longtail.bench.runner import run_bench
    from longtail.bench.spec import load_spec

    if executor not in EXECUTORS:
        raise LongtailError(f"--executor: '{executor}' is not one of {', '.join(EXECUTORS)}")
    if address is not None and executor != "ray":
        raise LongtailError("--address is for --executor ray; add it or drop --address")
    parsed = load_spec(spec)
    folder = out or (Path(parsed.output) if parsed.output else default_out(parsed.name or "spec"))
    status = Console(stderr=True)
    # a polite kill (SIGTERM) stops like Ctrl-C: finished trials stay, workers stop
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        summary = run_bench(parsed, folder, jobs=jobs, executor=executor, address=address,
                            save_models=save_models, verbose=verbose, console=status, threads=threads)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if summary.interrupted:
        status.print(f"{summary.line()}\nrun the same command with --out {summary.out} to resume", highlight=False, soft_wrap=True)
        raise typer.Exit(INTERRUPTED_EXIT)
    _show(summary, status)


def default_out(name: str) -> Path:
    """``runs/<YYYYmmdd-HHMMSS>-<name>``."""
    return Path("runs") / f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{name}"


def _raise_interrupt(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
    raise KeyboardInterrupt


def _show(summary, status: Console) -> None:
    try:
        from longtail.bench.leaderboard import print_leaderboard
    except ImportError:
        print_leaderboard = None
    if print_leaderboard is not None and summary.done + summary.resumed:
        print_leaderboard(summary.out, Console())
    status.print(summary.line(), highlight=False, soft_wrap=True)
    if summary.failed:
        status.print(f"errors of the {len(summary.failed)} failed trials: {summary.out / 'errors'}", highlight=False, soft_wrap=True)
    if "report" in summary.outputs:
        status.print(f"report: {summary.outputs['report']}", highlight=False, soft_wrap=True)
    elif summary.outputs:
        status.print("wrote " + ", ".join(str(path) for path in summary.outputs.values()), highlight=False, soft_wrap=True)
