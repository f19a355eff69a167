"""Amazon Shopping Queries (ESCI, KDD Cup 2022): query-product relevance with rare labels.

Judgments: ``query``, ``product_id`` -> item_id, ``esci_label`` -> label
(E exact, S substitute, C complement, I irrelevant; ``meta["label_order"]``
is I < C < S < E) and the query's locale (us / es / jp) -> region; the
original ids, ``split`` and ``small_version``/``large_version`` flags are kept
where the file has them. Items: title, description, brand, bullet points,
colour and locale. There are no interactions.

An item is one ASIN. The full release lists a product once per locale; when
an ASIN appears in several locales the first catalogue row is kept (us, es,
jp order) and the others are counted in ``meta["dropped_rows"]``.

Reads the local ``examples.parquet`` or the official pair
``shopping_queries_dataset_examples.parquet`` +
``shopping_queries_dataset_products.parquet``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from longtail.data import columns as C
from longtail.data.dataset import Dataset
from longtail.data.loaders.base import (
    DataFile,
    DatasetInfo,
    Download,
    DropLog,
    dataset_folder,
    empty_interactions,
    find_file,
    make_meta,
    missing_files,
)
from longtail.data.loaders.files import read_columns

_EXAMPLES = "shopping_queries_dataset_examples.parquet"
_PRODUCTS = "shopping_queries_dataset_products.parquet"
_OFFICIAL = (
    "https://github.com/amazon-science/esci-data/raw/7e0e3073f5ca36c0b5ff79e847cf99a74597645d/shopping_queries_dataset/"
)

INFO = DatasetInfo(
    name="esci_sample",
    description="Amazon ESCI query-product pairs in 3 locales: relevance E/S/C/I, Complement rarest",
    tasks=("relevance", "profile"),
    size="2,869 query-product pairs",
    files=(DataFile("examples.parquet", "edb42010eada24f1a93243986b5d98ea7313a4adc30f3f38e67007ba708c707c", 2_869),),
    homepage="https://github.com/amazon-science/esci-data",
    licence="Apache-2.0 (cite Reddy et al. 2022)",
    original_files=(_EXAMPLES, _PRODUCTS),
    downloads=(
        Download(_OFFICIAL + _EXAMPLES, _EXAMPLES, "4a735b693b4a424a6fc67f5be6e4c811495c488bbf66d02a602d308b2744263a"),
        Download(_OFFICIAL + _PRODUCTS, _PRODUCTS, "25124442d064d64b26f74082d6fa09438d679efc0c183cf28d19064a2b65a265"),
    ),
)

LABEL_ORDER = ("I", "C", "S", "E")
_LOCALE_ORDER = {"us": 0, "es": 1, "jp": 2}
_PRODUCT_COLUMNS = {
    "product_id": C.ITEM_ID,
    "product_title": C.TITLE,
    "product_description": C.DESCRIPTION,
    "product_brand": C.BRAND,
    "product_bullet_point": "bullet_points",
    "product_color": "color",
    "product_locale": "locale",
}
_JUDGMENT_COLUMNS = {
    "query": C.QUERY,
    "product_id": C.ITEM_ID,
    "esci_label": C.LABEL,
    "query_id": "query_id",
    "example_id": "example_id",
    "split": "split",
    "small_version": "small_version",
    "large_version": "large_version",
}
_OPTIONAL = ("query_id", "example_id", "split", "small_version", "large_version")


def load(path: str | Path | None = None) -> Dataset:
    """Judgments and the products they name, as a Dataset with no interactions."""
    folder = dataset_folder(INFO, path)
    drops = DropLog()
    local = find_file(folder, INFO.files[0].name)
    examples, products = find_file(folder, _EXAMPLES), find_file(folder, _PRODUCTS)
    if local is not None:
        judged = read_columns(local, {**_JUDGMENT_COLUMNS, "query_locale": C.REGION}, optional=_OPTIONAL)
        catalogue = read_columns(local, _PRODUCT_COLUMNS)
        files = [local]
    elif examples is not None and products is not None:
        # the official examples carry no query locale: each query lives in its product's locale
        judged = read_columns(examples, {**_JUDGMENT_COLUMNS, "product_locale": C.REGION}, optional=_OPTIONAL)
        catalogue = read_columns(products, _PRODUCT_COLUMNS)
        files = [examples, products]
    else:
        raise missing_files(INFO, folder)
    return Dataset(
        interactions=empty_interactions(),
        items=_one_row_per_item(catalogue, drops),
        judgments=judged,
        name=INFO.name,
        sources={"judgments": str(files[0]), "items": str(files[-1])},
        meta=make_meta(INFO, files, drops, [], label_order=list(LABEL_ORDER)),
    )


def _one_row_per_item(catalogue: pl.DataFrame, drops: DropLog) -> pl.DataFrame:
    """Identical repeats collapse silently (same listing); another locale's listing is a counted drop."""
    catalogue = catalogue.unique(maintain_order=True)
    rank = pl.col("locale").replace_strict(_LOCALE_ORDER, default=len(_LOCALE_ORDER), return_dtype=pl.Int8)
    ordered = catalogue.with_row_index("_row").sort(rank, "_row")
    reason = "catalogue row repeating a product_id (another locale or text)"
    kept = drops.keep(ordered, pl.col(C.ITEM_ID).is_first_distinct(), reason)
    return kept.sort("_row").drop("_row")
