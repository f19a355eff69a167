"""`longtail strategies`: list the registered remedy strategies, one line each."""

from __future__ import annotations

import json
from enum import Enum

import typer

from longtail import strategies as registry


class OutputFormat(str, Enum):
    """How the list is printed."""

    text = "text"
    table = "table"
    json = "json"


Kind = Enum("Kind", {kind: kind for kind in registry.KINDS}, type=str)

COLUMNS = ("name", "applies to", "description", "slots")


def register(app: typer.Typer) -> None:
    """Add the ``strategies`` command to ``app``."""

    @app.command("strategies")
    def strategies(
        format: OutputFormat = typer.Option(
            OutputFormat.text,
            "--format",
            "-f",
            help="text: one line per strategy; table: boxed, wrapped to the terminal; json.",
        ),
        kind: Kind | None = typer.Option(None, "--kind", "-k", help="Only strategies that apply to this task kind."),
    ) -> None:
        """List the remedy strategies, one line each: name, task kinds, description, slots."""
        found = [s for s in registry.available() if kind is None or s.applies_to(kind.value)]
        if format is OutputFormat.json:
            rows = [{**s.to_dict(), "applies_to": list(s.kinds)} for s in found]
            typer.echo(json.dumps(rows, indent=2))
        elif format is OutputFormat.table:
            _print_table(found)
        else:
            for line in text_lines(found):
                typer.echo(line)


def _cells(strategy: registry.Strategy) -> tuple[str, str, str, str]:
    return strategy.name, ", ".join(strategy.kinds), strategy.description, strategy.slots_text()


def text_lines(strategies: list) -> list[str]:
    """A header and one aligned line per strategy.

    Plain text, never wrapped to the terminal width, so each strategy stays on
    one line that ``grep`` and ``cut`` can work with.
    """
    rows = [COLUMNS, *(_cells(s) for s in strategies)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS) - 1)]
    return ["  ".join([*(cell.ljust(w) for cell, w in zip(row, widths)), row[-1]]).rstrip() for row in rows]


def _print_table(strategies: list) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Strategies", title_justify="left")
    for column in COLUMNS:
        table.add_column(column, overflow="fold")
    for strategy in strategies:
        table.add_row(*_cells(strategy))
    Console().print(table)
