"""``longtail profile``: how imbalanced a dataset is, in numbers and plain words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from longtail.cli import dataset_options as opt
from longtail.errors import LongtailError

FORMATS = ("table", "json")


def register(app: typer.Typer) -> None:
    """Add the ``profile`` command to ``app``."""
    app.command("profile")(profile)


def profile(
    dataset: opt.DatasetName = None,
    dataset_path: opt.DatasetPath = None,
    interactions: opt.Interactions = None,
    items: opt.Items = None,
    users: opt.Users = None,
    columns: opt.Columns = None,
    item_columns: opt.ItemColumns = None,
    user_columns: opt.UserColumns = None,
    event_order: opt.EventOrder = None,
    time_unit: opt.TimeUnit = "s",
    time_format: opt.TimeFormat = None,
    output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    out: Annotated[
        Optional[Path], typer.Option("--out", help="Folder to write profile.json and PNG plots into.")
    ] = None,
) -> None:
    """Measure imbalance per dimension (category, item, user, event, region, time, query), drift, and advice."""
    if output_format not in FORMATS:
        raise LongtailError(f"--format: '{output_format}' is not one of {', '.join(FORMATS)}")
    from longtail.profile import profile_dataset

    status = Console(stderr=True)
    with status.status("loading the dataset"):
        ds = opt.dataset_from_options(
            dataset=dataset,
            dataset_path=dataset_path,
            interactions=interactions,
            items=items,
            users=users,
            columns=columns,
            item_columns=item_columns,
            user_columns=user_columns,
            event_order=event_order,
            time_unit=time_unit,
            time_format=time_format,
        )
    with status.status(f"profiling {ds.name}"):
        result = profile_dataset(ds)
    data = result.to_dict()
    if output_format == "json":
        typer.echo(json.dumps(data, indent=2))
    else:
        from longtail.profile.report import render

        render(result, Console())
    if out is not None:
        _write(result, data, out, status)


def _write(result, data: dict, out: Path, status: Console) -> None:
    from longtail.profile.plots import write_plots

    if out.exists() and not out.is_dir():
        raise LongtailError(f"--out: {out} is a file; give a folder")
    with status.status(f"writing plots to {out}"):
        out.mkdir(parents=True, exist_ok=True)
        (out / "profile.json").write_text(json.dumps(data, indent=2) + "\n")
        written = write_plots(result, out)
    status.print(f"wrote {out / 'profile.json'} and {len(written)} plots", highlight=False)
