"""``longtail report``: rebuild the leaderboard and the HTML report of a results folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to ``app``."""
    app.command("report")(report)


def report(
    results_dir: Annotated[Path, typer.Argument(help="Results folder written by `longtail bench`.")],
    metric: Annotated[
        Optional[list[str]],
        typer.Option("--metric", "-m", help="Show these metrics in the terminal leaderboard (repeat the option); "
                     "default: the task's headline pair and a few others."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Write the files without printing the leaderboard.")] = False,
    markdown: Annotated[
        Optional[Path], typer.Option("--markdown", help="Also write the leaderboards as Markdown tables to this file.")
    ] = None,
) -> None:
    """Aggregate a results folder over seeds; write leaderboard.csv/.json and report.html, print the leaderboard."""
    from longtail.bench.aggregate import aggregate_folder, read_results
    from longtail.bench.leaderboard import build_boards, legend, markdown_leaderboard, print_leaderboard
    from longtail.bench.report import write_outputs

    results = read_results(results_dir)
    status = Console(stderr=True)
    with status.status("writing the leaderboard and report"):
        written = write_outputs(results.folder)
    if not quiet:
        print_leaderboard(results, Console(), metrics=metric or None)
    if markdown is not None:
        summary, infos = aggregate_folder(results)
        boards = build_boards(summary, infos, results.strategy_order(), metric or None)
        markdown.write_text(markdown_leaderboard(boards, legend(summary.baseline, summary.confidence)), encoding="utf-8")
        status.print(f"wrote {markdown}", highlight=False, markup=False, soft_wrap=True)
    for name, path in written.items():
        if name != "report":
            status.print(f"wrote {path}", highlight=False, markup=False, soft_wrap=True)
    status.print(f"report: {written['report']}", highlight=False, markup=False, soft_wrap=True)
