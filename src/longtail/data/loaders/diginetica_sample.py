"""DIGINETICA (CIKM Cup 2016): anonymous product-view sessions with an extreme item tail.

Interactions: one ``view`` per row; ``session_id`` kept; timestamp = the
session's ``eventdate`` (UTC) + ``timeframe`` milliseconds since the
session started. Most sessions are anonymous (no ``user_id``): such a
session stands for its own user, with ``user_id = -session_id`` (logged-in
ids are positive, so the two never collide); the count is in
``meta["notes"]``. Items are the ids seen (no text in the sample).

Pointed at the original release, it reads ``train-item-views.csv`` (``;``
separated) and, when present, ``train-purchases.csv`` (adding ``purchase``
events: view < purchase), ``products.csv`` (name tokens, log2 price) and
``product-categories.csv`` (category id).
"""

from __future__ import annotations

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
    items_seen,
    make_meta,
    missing_files,
)
from longtail.data.loaders.files import read_columns
from longtail.data.timestamps import to_utc

INFO = DatasetInfo(
    name="diginetica_sample",
    description="DIGINETICA product views in 2,986 sessions: 67 % of items viewed once, ids only",
    tasks=("recommend", "profile"),
    size="12,391 views",
    files=(DataFile("item_views.parquet", "9d903a30ffffe2304bb057cb56b1e10521344ea711281c3460497beb9c255e4c", 12_391),),
    homepage="https://competitions.codalab.org/competitions/11161",
    licence="CIKM Cup 2016 terms: research use only",
    original_files=("train-item-views.csv", "train-purchases.csv", "products.csv", "product-categories.csv"),
)

_VIEW_COLUMNS = {
    "session_id": C.SESSION_ID,
    "user_id": C.USER_ID,
    "item_id": C.ITEM_ID,
    "timeframe": "timeframe",
    "eventdate": "eventdate",
}
_ORIGINAL_COLUMNS = {
    "sessionId": C.SESSION_ID,
    "userId": C.USER_ID,
    "itemId": C.ITEM_ID,
    "timeframe": "timeframe",
    "eventdate": "eventdate",
}


def load(path: str | Path | None = None) -> Dataset:
    """Views (and purchases, from the original release) as a Dataset."""
    folder = dataset_folder(INFO, path)
    drops = DropLog()
    local, views_csv = find_file(folder, INFO.files[0].name), find_file(folder, "train-item-views.csv")
    purchases_csv = find_file(folder, "train-purchases.csv")
    if local is not None:
        files, events = [local], [_with_event(read_columns(local, _VIEW_COLUMNS), "view")]
    elif views_csv is not None:
        files, events = [views_csv], [_with_event(_read_csv(views_csv, _ORIGINAL_COLUMNS), "view")]
        if purchases_csv is not None:
            files.append(purchases_csv)
            events.append(_with_event(_read_csv(purchases_csv, _ORIGINAL_COLUMNS), "purchase"))
    else:
        raise missing_files(INFO, folder)
    log = pl.concat(events, how="vertical_relaxed")
    interactions = _interactions(log, str(files[0]))
    products_csv = find_file(folder, "products.csv") if local is None else None
    if products_csv is not None:
        files.append(products_csv)
        items = _catalogue(products_csv, find_file(folder, "product-categories.csv"), drops)
    else:
        items = items_seen(interactions)
    anonymous = int(log.get_column(C.USER_ID).is_null().sum())
    notes = [f"{anonymous:,} events of anonymous sessions use user_id = -session_id"]
    return Dataset(
        interactions=interactions,
        items=items,
        name=INFO.name,
        event_order=("view", "purchase") if len(events) > 1 else ("view",),
        sources={"interactions": str(files[0]), "items": str(products_csv or files[0])},
        meta=make_meta(INFO, files, drops, notes),
    )


def _read_csv(path: Path, rename: dict[str, str]) -> pl.DataFrame:
    return read_columns(path, rename, separator=";", text=("eventdate",), null_values=["NA"])


def _with_event(frame: pl.DataFrame, event: str) -> pl.DataFrame:
    return frame.with_columns(pl.lit(event).alias(C.EVENT))


def _interactions(log: pl.DataFrame, source: str) -> pl.DataFrame:
    days = to_utc(log.get_column("eventdate"), file=source, column="eventdate")
    return log.with_columns(
        pl.coalesce(pl.col(C.USER_ID).cast(pl.Int64), -pl.col(C.SESSION_ID).cast(pl.Int64)).alias(C.USER_ID),
        (days + pl.duration(milliseconds=pl.col("timeframe"))).alias(C.TIMESTAMP),
    ).select(C.USER_ID, C.ITEM_ID, C.TIMESTAMP, C.EVENT, C.SESSION_ID, "timeframe")


def _catalogue(products_csv: Path, categories_csv: Path | None, drops: DropLog) -> pl.DataFrame:
    """Items of the original products.csv, with their category id when the folder has one."""
    products = read_columns(
        products_csv,
        {"itemId": C.ITEM_ID, "pricelog2": "price_log2", "product.name.tokens": "name_tokens"},
        separator=";",
    ).with_columns(pl.lit(None, pl.String).alias(C.TITLE))
    if categories_csv is None:
        return products
    categories = read_columns(categories_csv, {"itemId": C.ITEM_ID, "categoryId": C.CATEGORY}, separator=";")
    categories = drops.keep(
        categories, pl.col(C.ITEM_ID).is_first_distinct(), "second category row of an item (first kept)"
    )
    return products.join(categories.with_columns(pl.col(C.CATEGORY).cast(pl.String)), on=C.ITEM_ID, how="left")
