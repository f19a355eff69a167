"""Entry point: assembles the sub-commands and turns user errors into one line.

Each sub-command lives in its own module ``longtail.cli.<name>_cmd`` with a
``register(app)`` function, so commands stay small and independent.
"""

from __future__ import annotations

import importlib

import typer
from typer.core import TyperGroup

from longtail.errors import LongtailError

COMMAND_MODULES = (
    "profile_cmd",
    "datasets_cmd",
    "strategies_cmd",
    "bench_cmd",
    "report_cmd",
    "serve_cmd",
    "monitor_cmd",
)


def _fail(message: str) -> typer.Exit:
    """Print a user error as one line on stderr; the caller raises the returned exit (code 2)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


class LongtailGroup(TyperGroup):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except LongtailError as exc:
            raise _fail(str(exc)) from exc
        except FileNotFoundError as exc:
            raise _fail(f"{exc.filename}: no such file; check the path") from exc
        except PermissionError as exc:
            raise _fail(f"{exc.filename}: permission denied; check the file's permissions") from exc


app = typer.Typer(
    cls=LongtailGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Find and fix data imbalance in e-commerce search and recommendation.",
)

for _name in COMMAND_MODULES:
    try:
        importlib.import_module(f"longtail.cli.{_name}").register(app)
    except ModuleNotFoundError as _exc:  # pragma: no cover - during development only
        if _exc.name != f"longtail.cli.{_name}":
            raise


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", is_eager=True),
) -> None:
    if version:
        from longtail import __version__

        typer.echo(__version__)
        raise typer.Exit()


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
