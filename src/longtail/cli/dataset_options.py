"""The options every command that reads a dataset shares, and the function that loads it.

The shortest way: decorate the command; it gets every data option and
receives them as one :class:`DatasetOptions` in its ``data`` parameter, to
load when it likes::

    from longtail.cli.dataset_options import DatasetOptions, with_dataset_options

    @with_dataset_options
    def profile(data: DatasetOptions, top: int = 10) -> None:
        ds = data.load()

Commands that spell their parameters out use the ``Annotated`` aliases
(``DatasetName``, ``DatasetPath``, ``Interactions``, ``Items``, ``Users``,
``Columns``, ``ItemColumns``, ``UserColumns``, ``EventOrder``, ``TimeUnit``,
``TimeFormat``) and pass the values to :func:`dataset_from_options`.

On the command line::

    longtail profile --dataset taobao_userbehavior
    longtail profile --interactions events.csv --items products.parquet \\
        --columns user_id=uid,item_id=sku,timestamp=ts,event=action --time-unit ms
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from longtail.data.dataset import Dataset
from longtail.data.timestamps import TIME_UNITS
from longtail.errors import LongtailError

_PANEL = "Data"


def _option(*names: str, help: str) -> Any:  # noqa: A002 - typer's keyword
    return typer.Option(*names, help=help, rich_help_panel=_PANEL)


DatasetName = Annotated[
    Optional[str],
    _option("--dataset", "-d", help="A named dataset (see `longtail datasets`) or 'synthetic' (the default "
            "when no files are given)."),
]
DatasetPath = Annotated[
    Optional[Path],
    _option("--dataset-path", help="Folder with the named dataset's files: the local copy or the public original."),
]
Interactions = Annotated[Optional[Path], _option("--interactions", help="Your interactions file (CSV or Parquet).")]
Items = Annotated[Optional[Path], _option("--items", help="Your catalogue file (CSV or Parquet).")]
Users = Annotated[Optional[Path], _option("--users", help="Your users file (CSV or Parquet), optional.")]
Columns = Annotated[
    Optional[str],
    _option("--columns", help="Interaction columns as longtail=yours, e.g. user_id=uid,item_id=sku,timestamp=ts."),
]
ItemColumns = Annotated[
    Optional[str], _option("--item-columns", help="Catalogue columns as longtail=yours, e.g. item_id=sku,title=name.")
]
UserColumns = Annotated[
    Optional[str], _option("--user-columns", help="User columns as longtail=yours, e.g. user_id=uid,region=country.")
]
EventOrder = Annotated[
    Optional[str],
    _option("--event-order", help="Event values lowest first, e.g. view,click,cart,purchase (inferred when they "
            "are common words)."),
]
TimeUnit = Annotated[str, _option("--time-unit", help=f"Unit of numeric timestamps: {', '.join(TIME_UNITS)}.")]
TimeFormat = Annotated[
    Optional[str], _option("--time-format", help="strftime format of non-ISO timestamp text, e.g. '%d/%m/%Y %H:%M'.")
]


def parse_mapping(text: str | None, option: str = "--columns") -> dict[str, str]:
    """``"user_id=uid,item_id=sku"`` -> ``{"user_id": "uid", "item_id": "sku"}``.

    Bad syntax (a part without ``=``, an empty name, a name given twice)
    raises LongtailError naming ``option``.
    """
    mapping: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        target, sep, source = (piece.strip() for piece in part.partition("="))
        if not sep or not target or not source:
            raise LongtailError(
                f"{option}: '{part.strip()}' is not NAME=COLUMN; write e.g. {option} user_id=uid,item_id=sku"
            )
        if target in mapping:
            raise LongtailError(f"{option}: '{target}' is mapped twice; give each longtail column once")
        mapping[target] = source
    return mapping


def parse_list(text: str | None, option: str = "--event-order") -> list[str] | None:
    """``"view,click,purchase"`` -> ``["view", "click", "purchase"]`` (None when not given)."""
    if text is None:
        return None
    values = [value.strip() for value in text.split(",")]
    if not all(values):
        raise LongtailError(f"{option}: empty value in '{text}'; write e.g. {option} view,click,cart,purchase")
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise LongtailError(f"{option}: {', '.join(repeated)} given more than once; list each value once")
    return values


def dataset_from_options(
    dataset: str | None = None,
    dataset_path: Path | None = None,
    interactions: Path | None = None,
    items: Path | None = None,
    users: Path | None = None,
    columns: str | None = None,
    item_columns: str | None = None,
    user_columns: str | None = None,
    event_order: str | None = None,
    time_unit: str = "s",
    time_format: str | None = None,
) -> Dataset:
    """Load the dataset the shared options describe.

    ``--dataset NAME`` (with ``--dataset-path``) or your own files
    (``--interactions``/``--items``/``--users`` with the mapping options);
    with neither, the synthetic marketplace. Giving both, or mapping options
    with a named dataset, is a LongtailError.
    """
    from longtail.data import registry
    from longtail.data.loaders.generic import load_tables

    own_files = interactions is not None or items is not None or users is not None
    file_options = {
        "--columns": columns,
        "--item-columns": item_columns,
        "--user-columns": user_columns,
        "--event-order": event_order,
        "--time-format": time_format,
    }
    if time_unit not in TIME_UNITS:
        raise LongtailError(f"--time-unit: '{time_unit}' is not one of {', '.join(TIME_UNITS)}")
    if own_files:
        if dataset is not None or dataset_path is not None:
            raise LongtailError("give either --dataset or --interactions/--items files, not both")
        if interactions is None and items is None:
            raise LongtailError("--users needs --interactions or --items as well")
        return load_tables(
            interactions=interactions,
            items=items,
            users=users,
            columns=parse_mapping(columns, "--columns"),
            item_columns=parse_mapping(item_columns, "--item-columns"),
            user_columns=parse_mapping(user_columns, "--user-columns"),
            event_order=parse_list(event_order),
            time_unit=time_unit,
            time_format=time_format,
        )
    given = [name for name, value in file_options.items() if value is not None]
    if time_unit != "s":
        given.append("--time-unit")
    if given:
        raise LongtailError(f"{', '.join(given)} apply to your own files; add --interactions/--items or drop them")
    name = dataset or registry.SYNTHETIC.name
    if dataset_path is not None:
        if name == registry.SYNTHETIC.name:
            raise LongtailError("--dataset-path needs a named dataset (--dataset NAME); 'synthetic' has no files")
        return registry.load(name, path=dataset_path)
    return registry.load(name)


@dataclass(frozen=True)
class DatasetOptions:
    """The values of the shared data options, as one object a command can pass around."""

    dataset: Optional[str] = None
    dataset_path: Optional[Path] = None
    interactions: Optional[Path] = None
    items: Optional[Path] = None
    users: Optional[Path] = None
    columns: Optional[str] = None
    item_columns: Optional[str] = None
    user_columns: Optional[str] = None
    event_order: Optional[str] = None
    time_unit: str = "s"
    time_format: Optional[str] = None

    def load(self) -> Dataset:
        """The dataset these options describe (see :func:`dataset_from_options`)."""
        return dataset_from_options(**asdict(self))


_ALIASES = {
    "dataset": DatasetName,
    "dataset_path": DatasetPath,
    "interactions": Interactions,
    "items": Items,
    "users": Users,
    "columns": Columns,
    "item_columns": ItemColumns,
    "user_columns": UserColumns,
    "event_order": EventOrder,
    "time_unit": TimeUnit,
    "time_format": TimeFormat,
}
_OPTION_PARAMETERS = [
    inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=_ALIASES[f.name])
    for f in fields(DatasetOptions)
]


def with_dataset_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give a typer command every shared data option.

    The command must have a parameter ``data``; typer sees the data options
    in its place, and the command receives them as a :class:`DatasetOptions`.
    """
    signature = inspect.signature(command, eval_str=True)
    if "data" not in signature.parameters:
        raise TypeError(f"{command.__name__} needs a 'data' parameter to receive the DatasetOptions")
    own = [p for p in signature.parameters.values() if p.name != "data"]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        data = DatasetOptions(**{name: kwargs.pop(name) for name in _ALIASES})
        return command(data=data, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=[*own, *_OPTION_PARAMETERS])  # type: ignore[attr-defined]
    return wrapper
