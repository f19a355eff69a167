"""``longtail serve``: run the recommendation / search-ranking service for a MODEL_DIR with uvicorn."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to ``app``."""
    app.command("serve")(serve)


def serve(
    model_dir: Annotated[Path, typer.Argument(help="Folder written by longtail.serve.export.build_model_dir (holds serve.json).")],
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
