"""Load your own CSV or Parquet files into a :class:`~longtail.data.Dataset`.

Columns already named like longtail's (``user_id``, ``item_id``,
``timestamp``, ``event``, ``title`` ...) need no mapping; others are mapped
with ``columns={"user_id": "uid", "item_id": "sku"}`` (longtail name -> your
column). Columns that are neither longtail's nor mapped are left out, so a
wide file costs only what is used; map an extra one to keep it
(``item_columns={"reviews": "number_of_reviews"}``).

>>> ds = load_tables(interactions="events.csv", items="products.parquet",
...                  columns={"user_id": "uid", "item_id": "sku", "timestamp": "ts", "event": "action"},
...                  time_unit="ms")                                      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import polars as pl

from longtail.data import columns as C
from longtail.data.dataset import Dataset
from longtail.data.loaders.base import empty_interactions, items_seen
from longtail.data.loaders.events import infer_event_order
from longtail.data.loaders.files import collect, column_names, first_row, require_columns, scan
from longtail.data.timestamps import to_utc
from longtail.errors import InputError, describe_row

# table -> (required columns, optional columns, CLI option holding its mapping)
_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "interactions": (C.INTERACTION_REQUIRED, C.INTERACTION_OPTIONAL, "--columns"),
    "items": (C.ITEM_REQUIRED, C.ITEM_OPTIONAL, "--item-columns"),
    "users": (C.USER_REQUIRED, C.USER_OPTIONAL, "--user-columns"),
}
_IDS = {"interactions": (C.USER_ID, C.ITEM_ID), "items": (C.ITEM_ID,), "users": (C.USER_ID,)}
# Read as text, then typed here: ids keep leading zeros, timestamps get one parser.
_TEXT = {**_IDS, "interactions": (*_IDS["interactions"], C.TIMESTAMP, C.EVENT)}
_INTEGER_TEXT = r"^(0|-?[1-9][0-9]{0,17})$"


def load_tables(
    interactions: str | Path | None = None,
    items: str | Path | None = None,
    users: str | Path | None = None,
    *,
    columns: Mapping[str, str] | None = None,
    item_columns: Mapping[str, str] | None = None,
    user_columns: Mapping[str, str] | None = None,
    event_order: Sequence[str] | None = None,
    time_unit: str = "s",
    time_format: str | None = None,
    name: str | None = None,
    category_sep: str = C.DEFAULT_CATEGORY_SEP,
) -> Dataset:
    """Read interactions, a catalogue and optional users into a Dataset.

    Either file may be left out: without ``items`` the catalogue is the item
    ids seen in the interactions (no titles); without ``interactions`` the
    dataset is a catalogue with no events. ``event_order`` lists the event
    values lowest first; when left out it is inferred from known words (view <
    click < fav < cart < purchase and synonyms). ``time_unit`` is the unit of
    numeric timestamps and ``time_format`` a strftime format for non-ISO text.
    Interactions whose item is missing from the catalogue are kept and counted
    in ``Dataset.unknown_item_rows``.
    """
    if interactions is None and items is None:
        raise ValueError("load_tables needs interactions= or items= (or both)")
    sources: dict[str, str] = {}
    mapped: dict[str, dict[str, str]] = {}

    inter_df = None
    if interactions is not None:
        inter_df, mapped["interactions"] = _read_table(interactions, "interactions", columns)
        sources["interactions"] = str(interactions)
        inter_df = _parse_interactions(inter_df, mapped["interactions"], str(interactions), time_unit, time_format)
        order = _event_order(inter_df, event_order, str(interactions), mapped["interactions"][C.EVENT])
    else:
        order = tuple(event_order) if event_order else C.DEFAULT_EVENT_ORDER

    if items is not None:
        items_df, mapped["items"] = _read_table(items, "items", item_columns)
        sources["items"] = str(items)
        _check_unique(items_df, C.ITEM_ID, mapped["items"][C.ITEM_ID], str(items))
    else:
        assert inter_df is not None
        items_df = items_seen(inter_df)

    if inter_df is None:
        inter_df = empty_interactions(item_dtype=items_df.schema[C.ITEM_ID])

    users_df = None
    if users is not None:
        users_df, mapped["users"] = _read_table(users, "users", user_columns)
        sources["users"] = str(users)

    stem = Path(interactions if interactions is not None else items).stem  # type: ignore[arg-type]
    return Dataset(
        interactions=inter_df,
        items=items_df,
        users=users_df,
        name=name or stem,
        event_order=order,
        category_sep=category_sep,
        sources=sources,
        meta={"files": dict(sources), "columns": mapped},
    )


def _read_table(path: str | Path, table: str, mapping: Mapping[str, str] | None) -> tuple[pl.DataFrame, dict[str, str]]:
    """The longtail columns of one file, renamed, with ids checked and typed."""
    required, optional, option = _TABLES[table]
    mapping = dict(mapping or {})
    available = column_names(scan(path), path)
    require_columns(available, mapping, path, option)
    chosen = {target: target for target in (*required, *optional) if target in available}
    chosen.update(mapping)
    for target in required:
        if target not in chosen:
            raise InputError(
                f"no column for {target}; the file has: {', '.join(available)}",
                file=str(path),
                column=target,
                example=first_row(path),
                fix=f"map one with {option} {target}=<column>",
            )
    text = tuple(chosen[t] for t in _TEXT[table] if t in chosen)
    frame = scan(path, string_columns=text).select([pl.col(src).alias(target) for target, src in chosen.items()])
    df = collect(frame, path)
    if df.height == 0:
        raise InputError("the file has no data rows", file=str(path), fix="point at a file with data")
    for target in _IDS[table]:
        _check_not_null(df, target, chosen, str(path))
        df = df.with_columns(_typed_id(df.get_column(target)))
    return df, chosen


def _typed_id(ids: pl.Series) -> pl.Series:
    """Int64 when every id is a plain integer (no leading zeros), else the text."""
    if ids.dtype.is_integer():
        return ids.cast(pl.Int64)
    if ids.dtype == pl.String and ids.str.contains(_INTEGER_TEXT).all():
        return ids.cast(pl.Int64)
    return ids.cast(pl.String)


def _parse_interactions(
    df: pl.DataFrame, chosen: dict[str, str], path: str, time_unit: str, time_format: str | None
) -> pl.DataFrame:
    stamps = to_utc(
        df.get_column(C.TIMESTAMP), time_unit=time_unit, time_format=time_format, file=path, column=chosen[C.TIMESTAMP]
    )
    df = df.with_columns(stamps, pl.col(C.EVENT).cast(pl.String).str.strip_chars())
    _check_not_null(df, C.TIMESTAMP, chosen, path)
    _check_not_null(df, C.EVENT, chosen, path)
    return df


def _event_order(df: pl.DataFrame, given: Sequence[str] | None, path: str, source: str) -> tuple[str, ...]:
    events = df.get_column(C.EVENT)
    if not given:
        return infer_event_order(events, file=path, column=source)
    order = tuple(given)
    outside = ~events.is_in(list(order))
    if outside.any():
        row = int(outside.arg_true()[0])
        raise InputError(
            f"event value not in the given order {list(order)}",
            file=path,
            column=source,
            row=row,
            value=events[row],
            fix="list every event value in --event-order, lowest first",
        )
    return order


def _check_not_null(df: pl.DataFrame, target: str, chosen: dict[str, str], path: str) -> None:
    """Raise on the first empty ``target``; the message shows that row under the file's own column names."""
    nulls = df.get_column(target).is_null()
    if nulls.any():
        row = int(nulls.arg_true()[0])
        record = {chosen.get(name, name): value for name, value in df.row(row, named=True).items()}
        raise InputError(
            f"{int(nulls.sum())} empty value(s) where every row needs one",
            file=path,
            column=chosen[target],
            row=row,
            example=describe_row(record, "that row"),
            fix="fill or drop those rows before loading",
        )


def _check_unique(df: pl.DataFrame, target: str, source: str, path: str) -> None:
    repeated = ~df.get_column(target).is_first_distinct()
    if repeated.any():
        row = int(repeated.arg_true()[0])
        raise InputError(
            f"{int(repeated.sum())} row(s) repeat an id seen earlier in the file",
            file=path,
            column=source,
            row=row,
            value=df.get_column(target)[row],
            fix="keep one row per item (e.g. drop duplicates)",
        )
