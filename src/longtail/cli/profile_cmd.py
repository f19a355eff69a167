"""``longtail profile``: how imbalanced a dataset is, in numbers and plain words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console

from longtail.cli.dataset_options import DatasetOptions, with_dataset_options
from longtail.errors import LongtailError

if TYPE_CHECKING:
    from longtail.profile import Profile

FORMATS = ("table", "json")


def register(app: typer.Typer) -> None:
    """Add the ``profile`` command to ``app``."""
    app.command("profile")(profile)


@with_dataset_options
def profile(
    data: DatasetOptions,
    output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    out: Annotated[
        Optional[Path], typer.Option("--out", help="Folder to write profile.json and PNG plots into.")
    ] = None,
) -> None:
    """Measure imbalance per dimension (category, item, user, event, region, time, query), drift, and advice."""
    if output_format not in FORMATS:
        raise LongtailError(f"--format: '{output_format}' is not one of {', '.join(FORMATS)}")
    if out is not None and out.exists() and not out.is_dir():
        raise LongtailError(f"--out: {out} is a file; give a folder")
    from longtail.profile import profile_dataset

    status = Console(stderr=True)
    with status.status("loading the dataset"):
        ds = data.load()
    with status.status(f"profiling {ds.name}"):
        result = profile_dataset(ds)
    summary = result.to_dict()
    if output_format == "json":
        typer.echo(json.dumps(summary, indent=2))
    else:
        from longtail.profile.report import render

        render(result, Console())
    if out is not None:
        _write(result, summary, out, status)


def _write(result: Profile, summary: dict, out: Path, status: Console) -> None:
    """profile.json and the plots into ``out``."""
    from longtail.profile.plots import write_plots

    with status.status(f"writing plots to {out}"):
        out.mkdir(parents=True, exist_ok=True)
        (out / "profile.json").write_text(json.dumps(summary, indent=2) + "\n")
        written = write_plots(result, out)
    status.print(f"wrote {out / 'profile.json'} and {len(written)} plots", highlight=False)
