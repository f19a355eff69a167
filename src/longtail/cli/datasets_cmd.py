"""``longtail datasets``: every dataset longtail knows, what it fits, and whether it is here."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from longtail.data import registry
from longtail.data.loaders.base import DatasetInfo
from longtail.errors import LongtailError

FORMATS = ("table", "json")


def register(app: typer.Typer) -> None:
    """Add the ``datasets`` command to ``app``."""
    app.command("datasets")(datasets)


def datasets(
    output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    verify: Annotated[
        bool, typer.Option("--verify", help="Check the SHA-256 of every local file (reads them all).")
    ] = False,
) -> None:
    """List the built-in and named datasets: tasks, size, and where the local copy is."""
    if output_format not in FORMATS:
        raise LongtailError(f"--format: '{output_format}' is not one of {', '.join(FORMATS)}")
    rows = [_describe(info, verify) for info in registry.list_datasets()]
    if output_format == "json":
        typer.echo(json.dumps(rows, indent=2))
        return
    Console().print(_table(rows, verify))


def _describe(info: DatasetInfo, verify: bool) -> dict[str, Any]:
    available = info.is_available()
    row: dict[str, Any] = {
        "name": info.name,
        "description": info.description,
        "tasks": list(info.tasks),
        "size": info.size,
        "available": available,
        "location": "generated" if info.generated else str(info.folder()),
        "files": [{"name": f.name, "sha256": f.sha256, "rows": f.rows} for f in info.files],
        "original_files": list(info.original_files),
        "downloads": [{"url": d.url, "sha256": d.sha256} for d in info.downloads],
        "homepage": info.homepage,
        "licence": info.licence,
    }
    if verify and not info.generated:
        row["checksums_ok"] = available and all(registry.verify(info.name).values())
    return row


def _table(rows: list[dict[str, Any]], verify: bool) -> Table:
    table = Table(title="datasets", title_justify="left")
    for header in ("name", "tasks", "size", "here", "location"):
        table.add_column(header, overflow="fold")
    if verify:
        table.add_column("sha256")
    for row in rows:
        cells = [
            row["name"],
            ", ".join(row["tasks"]),
            row["size"],
            "[green]yes[/]" if row["available"] else "[red]no[/]",
            row["location"],
        ]
        if verify:
            ok = row.get("checksums_ok")
            cells.append("-" if ok is None else ("[green]ok[/]" if ok else "[red]mismatch[/]"))
        table.add_row(*cells)
    return table
