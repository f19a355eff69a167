"""Instacart Online Grocery Shopping 2017: a full catalogue plus order lines.

Items: ``product_id`` -> item_id, ``product_name`` -> title, category
``department > aisle`` (also kept as columns). Interactions: one
``purchase`` per order line with ``order_id`` -> session_id,
``add_to_cart_order`` -> position and the order columns kept.

Instacart published no dates, only each order's hour, weekday and the days
since the user's previous order. Timestamps are therefore relative: a user's
first order present is placed on 2017-01-01 (UTC), each later one
``days_since_prior_order`` days after the one before, at its hour of day.
Intervals within a user are exact when all their orders are present (the
full release); across users only the hour of day means anything.

Reads the local parquet pair or the original CSVs (``products.csv``,
``aisles.csv``, ``departments.csv``, ``orders.csv``,
``order_products__prior.csv``, ``order_products__train.csv``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from longtail.data import columns as C
from longtail.data.dataset import Dataset
from longtail.data.loaders.base import (
    DataFile,
    DatasetInfo,
    DropLog,
    dataset_folder,
    find_file,
    make_meta,
    missing_files,
)
from longtail.data.loaders.files import read_columns

INFO = DatasetInfo(
    name="instacart",
    description="Instacart groceries: 49,688 products in 21 departments / 134 aisles, plus a small order-line sample",
    tasks=("categorize", "recommend", "profile"),
    size="49,688 products; 30,121 order lines",
    files=(
        DataFile("products.parquet", "922048810b6ef261829151490d41802f7b5f31d4e5c781e04fe41f17980caf3a", 49_688),
        DataFile(
            "order_lines_sample.parquet", "2b4efe3c819e2f96e5ffbb09ae66af9a0dd8dbbaa9c293e4bc600fdee866b470", 30_121
        ),
    ),
    homepage="https://www.kaggle.com/c/instacart-market-basket-analysis/data",
    licence="Instacart terms: non-commercial use only",
    original_files=(
        "products.csv",
        "aisles.csv",
        "departments.csv",
        "orders.csv",
        "order_products__prior.csv",
        "order_products__train.csv",
    ),
)

EVENT_ORDER = ("purchase",)
ANCHOR = datetime(2017, 1, 1, tzinfo=timezone.utc)
_ORDER_COLUMNS = {
    "order_id": C.SESSION_ID,
    "user_id": C.USER_ID,
    "eval_set": "eval_set",
    "order_number": "order_number",
    "order_dow": "order_dow",
    "order_hour_of_day": "order_hour_of_day",
    "days_since_prior_order": "days_since_prior_order",
}
_LINE_COLUMNS = {
    "order_id": C.SESSION_ID,
    "product_id": C.ITEM_ID,
    "add_to_cart_order": C.POSITION,
    "reordered": "reordered",
}
_SMALL_INTS = {
    "order_number": pl.Int16,
    "order_dow": pl.Int8,
    "order_hour_of_day": pl.Int8,
    "days_since_prior_order": pl.Int16,
    C.POSITION: pl.Int16,
    "reordered": pl.Int8,
}


def load(path: str | Path | None = None) -> Dataset:
    """Products and order lines as a Dataset (event order: purchase only)."""
    folder = dataset_folder(INFO, path)
    drops = DropLog()
    if find_file(folder, "products.parquet") is not None:
        items, lines, files = _read_local(folder)
    elif find_file(folder, "products.csv") is not None:
        items, lines, files = _read_original(folder, drops)
    else:
        raise missing_files(INFO, folder)
    lines = lines.with_columns([pl.col(c).cast(t) for c, t in _SMALL_INTS.items()])
    interactions = lines.join(_order_times(lines), on=C.SESSION_ID, how="left", maintain_order="left")
    interactions = interactions.with_columns(pl.lit("purchase").alias(C.EVENT))
    notes = ["timestamps are relative to each user's first order present (Instacart published no dates)"]
    return Dataset(
        interactions=_first(interactions, (C.USER_ID, C.ITEM_ID, C.TIMESTAMP, C.EVENT)),
        items=items,
        name=INFO.name,
        event_order=EVENT_ORDER,
        sources={"items": str(files[0]), "interactions": str(files[-1])},
        meta=make_meta(INFO, files, drops, notes),
    )


def _read_local(folder: Path) -> tuple[pl.DataFrame, pl.DataFrame, list[Path]]:
    products = folder / "products.parquet"
    lines_file = find_file(folder, "order_lines_sample.parquet")
    if lines_file is None:
        raise missing_files(INFO, folder)
    items = _items(read_columns(products, {c: c for c in ("product_id", "product_name", "aisle", "department")}))
    lines = read_columns(lines_file, {**_ORDER_COLUMNS, **_LINE_COLUMNS})
    return items, lines, [products, lines_file]


def _read_original(folder: Path, drops: DropLog) -> tuple[pl.DataFrame, pl.DataFrame, list[Path]]:
    names = ("products.csv", "aisles.csv", "departments.csv", "orders.csv")
    paths = [find_file(folder, name) for name in names]
    line_files = [p for p in (find_file(folder, f"order_products__{s}.csv") for s in ("prior", "train")) if p]
    if any(p is None for p in paths) or not line_files:
        raise missing_files(INFO, folder)
    products_csv, aisles_csv, departments_csv, orders_csv = paths  # type: ignore[misc]
    products = read_columns(products_csv, {c: c for c in ("product_id", "product_name", "aisle_id", "department_id")})
    aisles = read_columns(aisles_csv, {"aisle_id": "aisle_id", "aisle": "aisle"})
    departments = read_columns(departments_csv, {"department_id": "department_id", "department": "department"})
    items = _items(products.join(aisles, on="aisle_id", how="left").join(departments, on="department_id", how="left"))
    orders = read_columns(orders_csv, _ORDER_COLUMNS)
    lines = pl.concat([read_columns(p, _LINE_COLUMNS) for p in line_files])
    joined = lines.join(orders, on=C.SESSION_ID, how="left")
    joined = drops.keep(joined, pl.col(C.USER_ID).is_not_null(), "order line whose order is not in orders.csv")
    return items, joined, [products_csv, orders_csv, *line_files]


def _items(products: pl.DataFrame) -> pl.DataFrame:
    return products.select(
        pl.col("product_id").alias(C.ITEM_ID),
        pl.col("product_name").alias(C.TITLE),
        pl.concat_str("department", "aisle", separator=C.DEFAULT_CATEGORY_SEP).alias(C.CATEGORY),
        "department",
        "aisle",
    )


def _order_times(lines: pl.DataFrame) -> pl.DataFrame:
    """Per order: ANCHOR + days since the user's first order present + hour of day."""
    orders = lines.select(C.SESSION_ID, C.USER_ID, "order_number", "order_hour_of_day", "days_since_prior_order")
    orders = orders.unique(C.SESSION_ID).sort(C.USER_ID, "order_number")
    is_first = pl.col("order_number") == pl.col("order_number").min().over(C.USER_ID)
    gap = pl.when(is_first).then(0).otherwise(pl.col("days_since_prior_order").fill_null(0)).cast(pl.Int64)
    days = gap.cum_sum().over(C.USER_ID)
    anchor = pl.lit(ANCHOR).dt.cast_time_unit("us").dt.convert_time_zone("UTC")
    stamp = anchor + pl.duration(days=days, hours=pl.col("order_hour_of_day").cast(pl.Int64))
    return orders.select(C.SESSION_ID, stamp.alias(C.TIMESTAMP))


def _first(frame: pl.DataFrame, names: tuple[str, ...]) -> pl.DataFrame:
    return frame.select(*names, pl.exclude(names))
