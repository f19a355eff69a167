"""Taobao UserBehavior (Alibaba, 2017-11-25 .. 2017-12-03): an ids-only behaviour log.

Interactions: user_id, item_id, ``behavior`` -> event with the order
pv < fav < cart < buy, unix ``timestamp`` -> UTC (China time is UTC+8), and
``category_id`` kept. Items are the item ids seen, with no title and their
category id as category (an item logged under several category ids keeps the
most frequent; the count is in ``meta["notes"]``). Rows outside the documented
nine days are kept, as in the original (filter on timestamp if wanted).

Reads the local ``interactions.parquet`` or the original headerless
``UserBehavior.csv`` (user, item, category, behaviour, timestamp; 100 M rows,
so ``n_rows`` reads only the first ones).
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
    make_meta,
    missing_files,
    most_frequent,
)
from longtail.data.loaders.files import read_columns
from longtail.data.timestamps import to_utc

INFO = DatasetInfo(
    name="taobao_userbehavior",
    description="Taobao behaviour log of 814 users: pv/fav/cart/buy, buy 2.1 %, ids only",
    tasks=("ctr", "recommend", "profile"),
    size="84,287 events",
    files=(
        DataFile("interactions.parquet", "25cc11cd10567c8644f8cbc229d15a31a30527291ffadcfe7bb04dccbb9fdf79", 84_287),
    ),
    homepage="https://tianchi.aliyun.com/dataset/649",
    licence="Alibaba Tianchi research-only terms (no commercial use)",
    original_files=("UserBehavior.csv",),
)

EVENT_ORDER = ("pv", "fav", "cart", "buy")
_ORIGINAL = "UserBehavior.csv"
_ORIGINAL_COLUMNS = ["user_id", "item_id", "category_id", "behavior", "timestamp"]
_RENAME = {
    "user_id": C.USER_ID,
    "item_id": C.ITEM_ID,
    "category_id": "category_id",
    "behavior": C.EVENT,
    "timestamp": "unix",
}


def load(path: str | Path | None = None, *, n_rows: int | None = None) -> Dataset:
    """The behaviour log as a Dataset; ``n_rows`` reads only the first rows of the file."""
    folder = dataset_folder(INFO, path)
    local, original = find_file(folder, INFO.files[0].name), find_file(folder, _ORIGINAL)
    if local is not None:
        source, raw = local, read_columns(local, _RENAME, n_rows=n_rows)
    elif original is not None:
        source = original
        raw = read_columns(
            original, _RENAME, separator=",", has_header=False, new_columns=_ORIGINAL_COLUMNS, n_rows=n_rows
        )
    else:
        raise missing_files(INFO, folder)
    stamps = to_utc(raw.get_column("unix"), time_unit="s", file=str(source), column="timestamp")
    interactions = raw.with_columns(stamps.alias(C.TIMESTAMP), pl.col(C.EVENT).cast(pl.String)).select(
        C.USER_ID, C.ITEM_ID, C.TIMESTAMP, C.EVENT, "category_id"
    )
    items = interactions.group_by(C.ITEM_ID, maintain_order=True).agg(
        pl.lit(None, pl.String).alias(C.TITLE),
        most_frequent("category_id").cast(pl.String).alias(C.CATEGORY),
        (pl.col("category_id").n_unique() > 1).alias("_several"),
    )
    several = int(items.get_column("_several").sum())
    notes = [f"{several:,} items appear under several category ids (the most frequent is kept)"]
    return Dataset(
        interactions=interactions,
        items=items.drop("_several"),
        name=INFO.name,
        event_order=EVENT_ORDER,
        sources={"interactions": str(source), "items": str(source)},
        meta=make_meta(INFO, [source], DropLog(), notes),
    )
