"""`longtail strategies`: list the registered remedy strategies."""

from __future__ import annotations

import json
from enum import Enum

import typer

from longtail import strategies as registry


class OutputFormat(str, Enum):
    """How the list is printed."""

    table = "table"
    json = "json"


Kind = Enum("Kind", {kind: kind for kind in registry.KINDS}, type=str)


def register(app: typer.Typer) -> None:
    """Add the ``strategies`` command to ``app``."""

    @app.command("strategies")
    def strategies(
        format: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f", help="Output format."),
        kind: Kind | None = typer.Option(None, "--kind", "-k", help="Only strategies that apply to this task kind."),
    ) -> None:
        """List the remedy strategies: name, slots, the task kinds they apply to, description."""
        found = [s for s in registry.available() if kind is None or s.applies_to(kind.value)]
        if format is OutputFormat.json:
            rows = [{**s.to_dict(), "applies_to": list(s.kinds)} for s in found]
            typer.echo(json.dumps(rows, indent=2))
        else:
            _print_table(found)


def _print_table(strategies: list) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Strategies", title_justify="left")
    for column in ("name", "slots", "applies to", "description"):
        table.add_column(column, overflow="fold")
    for strategy in strategies:
        table.add_row(strategy.name, strategy.slots_text(), ", ".join(strategy.kinds), strategy.description)
    Console().print(table)
