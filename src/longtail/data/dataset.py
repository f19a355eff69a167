"""The Dataset: a few named polars tables plus metadata, validated on construction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import polars as pl

from longtail.data import columns as C
from longtail.errors import InputError, describe_row


class Truth(Protocol):
    """Ground-truth preference, known only for simulated data."""

    def score(self, user_ids: np.ndarray, item_ids: np.ndarray) -> np.ndarray: ...


_ID_TYPES = (pl.Int64, pl.String)


@dataclass
class Dataset:
    """Interactions, catalogue, optional users and search judgments.

    ``event`` is stored as a string whose order is ``event_order`` (lowest
    first); ``timestamp`` is a UTC datetime (microseconds). Ids are Int64 or
    String, the same type in every table. ``sources`` maps a table name to the
    file it came from so errors can point at it. ``unknown_item_rows`` counts
    interactions whose item is missing from the catalogue: they are kept.
    """

    interactions: pl.DataFrame
    items: pl.DataFrame
    users: pl.DataFrame | None = None
    judgments: pl.DataFrame | None = None
    name: str = "dataset"
    event_order: tuple[str, ...] = C.DEFAULT_EVENT_ORDER
    category_sep: str = C.DEFAULT_CATEGORY_SEP
    truth: Truth | None = None
    sources: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    unknown_item_rows: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.event_order = tuple(self.event_order)
        self._align_id_types()
        self._validate()

    # ------------------------------------------------------------------ checks
    def _src(self, table: str) -> str:
        return self.sources.get(table, table)

    def _require(self, df: pl.DataFrame, table: str, required: tuple[str, ...]) -> None:
        missing = [c for c in required if c not in df.columns]
        if missing:
            raise InputError(
                f"missing required column(s) {', '.join(missing)} (has: {', '.join(df.columns)})",
                file=self._src(table),
                column=missing[0],
                example=describe_row(df.row(0, named=True), "first row") if df.height else None,
                fix="map the source column onto it (e.g. --columns user_id=uid)",
            )

    def _no_nulls(self, df: pl.DataFrame, table: str, cols: tuple[str, ...]) -> None:
        for col in cols:
            if col not in df.columns:
                continue
            nulls = df.get_column(col).is_null()
            if nulls.any():
                row = int(nulls.arg_true()[0])
                raise InputError(
                    f"{int(nulls.sum())} null value(s) in an id column",
                    file=self._src(table),
                    column=col,
                    row=row,
                    example=describe_row(df.row(row, named=True), "that row"),
                    fix="drop or fill those rows before loading",
                )

    def _align_id_types(self) -> None:
        def cast_ids(df: pl.DataFrame | None, cols: tuple[str, ...], dtype: pl.DataType) -> pl.DataFrame | None:
            if df is None:
                return None
            present = [c for c in cols if c in df.columns]
            return df.with_columns([pl.col(c).cast(dtype) for c in present]) if present else df

        tables = {"interactions": self.interactions, "items": self.items, "users": self.users, "judgments": self.judgments}
        item_types = {df.schema[C.ITEM_ID] for df in tables.values() if df is not None and C.ITEM_ID in df.columns}
        user_types = {df.schema[C.USER_ID] for df in tables.values() if df is not None and C.USER_ID in df.columns}
        item_dtype = pl.Int64 if all(t.is_integer() for t in item_types) else pl.String
        user_dtype = pl.Int64 if all(t.is_integer() for t in user_types) else pl.String
        self.interactions = cast_ids(self.interactions, (C.ITEM_ID,), item_dtype)
        self.interactions = cast_ids(self.interactions, (C.USER_ID,), user_dtype)
        self.items = cast_ids(self.items, (C.ITEM_ID,), item_dtype)
        self.users = cast_ids(self.users, (C.USER_ID,), user_dtype)
        self.judgments = cast_ids(self.judgments, (C.ITEM_ID,), item_dtype)

    def _validate(self) -> None:
        inter, items = self.interactions, self.items
        self._require(inter, "interactions", C.INTERACTION_REQUIRED)
        self._require(items, "items", C.ITEM_REQUIRED)
        self._no_nulls(inter, "interactions", (C.USER_ID, C.ITEM_ID, C.TIMESTAMP, C.EVENT))
        self._no_nulls(items, "items", (C.ITEM_ID,))

        ts = inter.schema[C.TIMESTAMP]
        if not (isinstance(ts, pl.Datetime) and ts.time_zone == "UTC"):
            raise InputError(
                f"timestamps must be UTC datetimes, got {ts}",
                file=self._src("interactions"),
                column=C.TIMESTAMP,
                fix="parse them with longtail.data.timestamps.to_utc",
            )
        if inter.schema[C.EVENT] != pl.String:
            self.interactions = inter = inter.with_columns(pl.col(C.EVENT).cast(pl.String))
        known = set(self.event_order)
        bad = inter.filter(~pl.col(C.EVENT).is_in(list(known)))
        if bad.height:
            first = inter.with_row_index("_row").filter(~pl.col(C.EVENT).is_in(list(known))).row(0, named=True)
            raise InputError(
                f"event value not in the event order {list(self.event_order)}",
                file=self._src("interactions"),
                column=C.EVENT,
                row=int(first["_row"]),
                value=first[C.EVENT],
                fix="give the full order with --event-order a,b,c",
            )

        dup = items.get_column(C.ITEM_ID).is_duplicated()
        if dup.any():
            row = int(dup.arg_true()[0])
            raise InputError(
                f"{int(dup.sum())} rows share an item id in the catalogue",
                file=self._src("items"),
                column=C.ITEM_ID,
                row=row,
                value=items.get_column(C.ITEM_ID)[row],
                fix="keep one row per item (e.g. drop duplicates)",
            )
        if self.users is not None:
            self._require(self.users, "users", C.USER_REQUIRED)
            self._no_nulls(self.users, "users", (C.USER_ID,))
        if self.judgments is not None:
            self._require(self.judgments, "judgments", C.JUDGMENT_REQUIRED)
            self._no_nulls(self.judgments, "judgments", (C.QUERY, C.ITEM_ID, C.LABEL))

        self.unknown_item_rows = int(
            inter.select(pl.col(C.ITEM_ID).is_in(items.get_column(C.ITEM_ID).implode()).not_().sum()).item()
        )

    # --------------------------------------------------------------- helpers
    def event_rank(self) -> pl.Expr:
        """Expression giving each interaction's position in ``event_order`` (0 = lowest)."""
        return pl.col(C.EVENT).replace_strict(list(self.event_order), list(range(len(self.event_order))), return_dtype=pl.Int8)

    @property
    def positive_event(self) -> str:
        """The highest (rarest, most valuable) event, e.g. ``purchase``."""
        return self.event_order[-1]

    def leaf_category(self) -> pl.Expr:
        return pl.col(C.CATEGORY)

    def top_category(self) -> pl.Expr:
        return pl.col(C.CATEGORY).str.split(self.category_sep).list.first()

    def replace(self, **changes: Any) -> "Dataset":
        """A new Dataset with some tables or metadata replaced (validated again)."""
        fields = dict(
            interactions=self.interactions,
            items=self.items,
            users=self.users,
            judgments=self.judgments,
            name=self.name,
            event_order=self.event_order,
            category_sep=self.category_sep,
            truth=self.truth,
            sources=dict(self.sources),
            meta=dict(self.meta),
        )
        fields.update(changes)
        return Dataset(**fields)

    def __repr__(self) -> str:
        parts = [f"interactions={self.interactions.height:,}", f"items={self.items.height:,}"]
        if self.users is not None:
            parts.append(f"users={self.users.height:,}")
        if self.judgments is not None:
            parts.append(f"judgments={self.judgments.height:,}")
        return f"Dataset({self.name!r}, {', '.join(parts)})"
