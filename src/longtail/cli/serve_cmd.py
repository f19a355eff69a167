"""``longtail serve``: run the recommendation / search-ranking service for a MODEL_DIR with uvicorn.

``longtail serve-build`` writes that MODEL_DIR from a ``longtail bench
--save-models`` results folder, so a benchmarked model is served without
writing Python.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def register(app: typer.Typer) -> None:
    """Add the ``serve`` and ``serve-build`` commands to ``app``."""
    app.command("serve")(serve)
    app.command("serve-build")(serve_build)


def serve(
    model_dir: Annotated[Path, typer.Argument(help="Folder written by `longtail serve-build` or "
                                                   "longtail.serve.export.build_model_dir (holds serve.json).")],
    host: Annotated[str, typer.Option(help="Address to bind; the default serves this machine only.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port.")] = 8000,
    token: Annotated[Optional[str], typer.Option(envvar="LONGTAIL_TOKEN", show_envvar=True,
                                                 help="Bearer token every endpoint but /healthz requires.")] = None,
    journal: Annotated[Optional[Path], typer.Option(help="SQLite event journal (default MODEL_DIR/events.sqlite).")] = None,
    window: Annotated[float, typer.Option(min=1.0, help="Seconds covered by the live statistics.")] = 600.0,
    drain: Annotated[float, typer.Option(min=0.0, help="Seconds shutdown waits for requests in flight.")] = 10.0,
    log_level: Annotated[str, typer.Option(help="uvicorn log level (critical, error, warning, info, debug).")] = "info",
    threads: Annotated[int, typer.Option(min=1, help="torch threads per request for torch models (1 is fastest for one user at a time).")] = 1,
) -> None:
    """Serve /recommend, /rank, /categorize and /events, with live imbalance statistics at /stats and /metrics."""
    import uvicorn

    from longtail.serve import ServeConfig, create_app

    if host not in LOOPBACK and not token:
        typer.echo(f"warning: binding to {host} without a token lets anyone who can reach it post events; "
                   "pass --token or set LONGTAIL_TOKEN", err=True)
    config = ServeConfig(token=token, journal=journal, window_seconds=window, drain_seconds=drain)
    application = create_app(model_dir, config)
    if "torch" in sys.modules:  # only when a served model needed torch
        # One user's scores are a small matrix product: splitting it over threads costs more than it saves.
        sys.modules["torch"].set_num_threads(threads)
    uvicorn.run(application, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=drain,
                server_header=False, access_log=log_level == "debug")


def serve_build(
    bench_dir: Annotated[Path, typer.Argument(help="Results folder of a `longtail bench --save-models` run.")],
    model_dir: Annotated[Path, typer.Argument(help="MODEL_DIR to write for `longtail serve`.")],
    dataset: Annotated[Optional[str], typer.Option(help="Dataset label in the run (needed when it kept models of several).")] = None,
    recommend: Annotated[Optional[str], typer.Option(help="Recommend model to serve: MODEL, MODEL/STRATEGY or MODEL/STRATEGY/seedK.")] = None,
    rank: Annotated[Optional[str], typer.Option(help="Relevance model behind /rank, chosen the same way.")] = None,
    categorize: Annotated[Optional[str], typer.Option(help="Categorize model behind /categorize, chosen the same way.")] = None,
    task: Annotated[Optional[list[str]], typer.Option(help="Serve only this task (recommend, relevance, categorize); "
                                                           "repeatable. Default: the tasks chosen above, else every saved one.")] = None,
    strategy: Annotated[Optional[str], typer.Option(help="Take every task's model of this strategy.")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Take every task's model of this seed.")] = None,
    encoder: Annotated[Optional[str], typer.Option(help="Text encoder for models that read embeddings: 'packaged' or a "
                                                        "local model folder (copied in). Default: the run's encoder.")] = None,
    rerank_lambda: Annotated[Optional[float], typer.Option(min=0.0, max=1.0, help="Default exposure re-ranking lambda. "
                                                           "Default: the recommender's own re-ranker's, else 0.")] = None,
    rerank_method: Annotated[Optional[str], typer.Option(help="Re-ranking method: xquad or calibrated.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a MODEL_DIR that already holds serve.json.")] = False,
) -> None:
    """Write a MODEL_DIR for `longtail serve` from the models a `longtail bench --save-models` run kept."""
    from longtail.errors import LongtailError
    from longtail.serve.config import read_manifest
    from longtail.serve.export import build_from_bench

    if rerank_method is not None and rerank_method not in ("xquad", "calibrated"):
        raise LongtailError(f"--rerank-method: '{rerank_method}' is not one of xquad, calibrated")
    folder, chosen = build_from_bench(
        bench_dir, model_dir, dataset=dataset, recommend=recommend, rank=rank, categorize=categorize,
        strategy=strategy, seed=seed, tasks=tuple(task) if task else None, encoder=encoder,
        rerank_lambda=rerank_lambda, rerank_method=rerank_method, overwrite=overwrite,
    )
    manifest = read_manifest(folder)
    for choice in chosen:
        typer.echo(f"{choice.task}: {choice.label}  ({choice.folder})")
    typer.echo(f"wrote {folder} (default rerank lambda {manifest.rerank.lam:g}, {manifest.rerank.method}); "
               f"serve it with: longtail serve {folder}")
