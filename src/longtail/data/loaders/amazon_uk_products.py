"""Toy products crawled from amazon.co.uk (PromptCloud): a catalogue with a deep category tree.

Items only (no events): ``uniq_id`` -> item_id, ``product_name`` -> title,
the ``>``-joined breadcrumb -> category, ``manufacturer`` -> brand, price in
GBP, and the popularity columns (``number_of_reviews``,
``number_of_answered_questions``, ``average_rating``) kept as they are.
Reads the local ``products.parquet`` or the original Kaggle CSV
``amazon_co-ecommerce_sample.csv`` (prices like "£3.42", ratings like
"4.9 out of 5 stars").
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
    empty_interactions,
    find_file,
    make_meta,
    missing_files,
)
from longtail.data.loaders.files import read_columns

INFO = DatasetInfo(
    name="amazon_uk_products",
    description="10,000 toy products from amazon.co.uk: title -> deep category tree; review counts as popularity",
    tasks=("categorize", "profile"),
    size="10,000 products",
    files=(DataFile("products.parquet", "e84bfade9cbd4916ce23cf55a74496c2f3cb462bc21e9221f078728cbdb4c585", 10_000),),
    homepage="https://www.kaggle.com/datasets/PromptCloudHQ/toy-products-on-amazon",
    licence="CC BY-NC-SA 4.0 (PromptCloud, as listed on Kaggle); non-commercial",
    original_files=("amazon_co-ecommerce_sample.csv",),
)

_ORIGINAL = "amazon_co-ecommerce_sample.csv"
_RENAME = {
    "uniq_id": C.ITEM_ID,
    "product_name": C.TITLE,
    "amazon_category_and_sub_category": C.CATEGORY,
    "manufacturer": C.BRAND,
    "price": C.PRICE,
    "number_of_reviews": "number_of_reviews",
    "number_of_answered_questions": "number_of_answered_questions",
    "average_rating": "average_rating",
}


def load(path: str | Path | None = None) -> Dataset:
    """The catalogue as a Dataset with no interactions."""
    folder = dataset_folder(INFO, path)
    local = find_file(folder, INFO.files[0].name)
    original = find_file(folder, _ORIGINAL)
    if local is not None:
        items = read_columns(local, _RENAME)
        source = local
    elif original is not None:
        items = _read_original(original)
        source = original
    else:
        raise missing_files(INFO, folder)
    notes = [
        f"{items.get_column(C.CATEGORY).null_count():,} products have no category (kept, category null)",
    ]
    return Dataset(
        interactions=empty_interactions(),
        items=items,
        name=INFO.name,
        sources={"items": str(source)},
        meta=make_meta(INFO, [source], DropLog(), notes),
    )


_ORIGINAL_RENAME = {
    **{src: dst for src, dst in _RENAME.items() if src != "average_rating"},
    "average_review_rating": "average_rating",
    "description": C.DESCRIPTION,
}
_ORIGINAL_NUMBERS = {
    C.PRICE: pl.Float64,
    "number_of_reviews": pl.Int64,
    "number_of_answered_questions": pl.Int64,
    "average_rating": pl.Float64,
}


def _read_original(path: Path) -> pl.DataFrame:
    """The Kaggle CSV: money, counts and ratings are text there."""
    raw = read_columns(path, _ORIGINAL_RENAME, optional=("description",), text=tuple(_ORIGINAL_RENAME))
    return raw.with_columns([_number(pl.col(name), dtype).alias(name) for name, dtype in _ORIGINAL_NUMBERS.items()])


def _number(text: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """The first number in text like '£3.42', '1,204' or '4.9 out of 5 stars' (null if none)."""
    return text.str.replace_all(",", "").str.extract(r"(\d+(?:\.\d+)?)", 1).cast(pl.Float64, strict=False).cast(dtype)
