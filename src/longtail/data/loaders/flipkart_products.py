"""Flipkart products (PromptCloud, India 2015-16): a catalogue with an imbalanced category tree.

Items only (no events): ``uniq_id`` -> item_id, ``product_name`` -> title,
the breadcrumb (``A >> B >> C``) -> category joined with `` > ``, brand,
``discounted_price`` -> price (``retail_price`` kept), ``overall_rating_num``
-> rating. 328 breadcrumbs have one level that is only the truncated product
name; their category is set to null (counted in ``meta["notes"]``). Deeper
levels often end in brand-specific leaves (``Meiro Dresses``), so classify on
the first one or two levels. Reads the local ``products.parquet`` or the
original ``flipkart_com-ecommerce_sample.csv``.
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
    name="flipkart_products",
    description="20,000 Flipkart products: title/brand -> 32 top-level, 221 second-level categories",
    tasks=("categorize", "profile"),
    size="20,000 products",
    files=(DataFile("products.parquet", "aebc34637ad0defbcee2673b1a5175c7099f1fbf579916a8ba17a48d6fabbb6a", 20_000),),
    homepage="https://www.kaggle.com/datasets/PromptCloudHQ/flipkart-products",
    licence="CC BY-SA 4.0 (PromptCloud, as listed on Kaggle)",
    original_files=("flipkart_com-ecommerce_sample.csv",),
)

_ORIGINAL = "flipkart_com-ecommerce_sample.csv"
_SOURCE_SEP = " >> "
_RENAME = {
    "uniq_id": C.ITEM_ID,
    "product_name": C.TITLE,
    "description": C.DESCRIPTION,
    "product_category_tree": "category_tree",
    "brand": C.BRAND,
    "discounted_price": C.PRICE,
    "retail_price": "retail_price",
    "pid": "pid",
    "is_FK_Advantage_product": "is_fk_advantage",
}


def load(path: str | Path | None = None) -> Dataset:
    """The catalogue as a Dataset with no interactions."""
    folder = dataset_folder(INFO, path)
    source = find_file(folder, INFO.files[0].name, _ORIGINAL)
    if source is None:
        raise missing_files(INFO, folder)
    raw = read_columns(
        source,
        {**_RENAME, "overall_rating": "overall_rating"},
        text=("uniq_id", "pid", "overall_rating", "is_FK_Advantage_product"),
    )
    items = raw.with_columns(
        _category_path(pl.col("category_tree")).alias(C.CATEGORY),
        pl.col("overall_rating").cast(pl.Float64, strict=False).alias("rating"),
        pl.col("is_fk_advantage").cast(pl.String).str.to_lowercase().eq("true").alias("is_fk_advantage"),
    ).drop("category_tree", "overall_rating")
    flat = items.get_column(C.CATEGORY).str.contains(" > ", literal=True).not_().fill_null(True).sum()
    notes = [f"{flat:,} products have a one-level breadcrumb (the truncated product name): category set to null"]
    items = items.with_columns(
        pl.when(pl.col(C.CATEGORY).str.contains(" > ", literal=True)).then(pl.col(C.CATEGORY)).alias(C.CATEGORY)
    )
    return Dataset(
        interactions=empty_interactions(),
        items=items,
        name=INFO.name,
        sources={"items": str(source)},
        meta=make_meta(INFO, [source], DropLog(), notes),
    )


def _category_path(tree: pl.Expr) -> pl.Expr:
    """'["A >> B >> C"]' -> 'A > B > C' (the original's JSON-ish wrapper removed)."""
    inner = tree.str.strip_chars().str.strip_prefix('["').str.strip_suffix('"]').str.strip_chars()
    return inner.str.split(_SOURCE_SEP).list.eval(pl.element().str.strip_chars()).list.join(C.DEFAULT_CATEGORY_SEP)
