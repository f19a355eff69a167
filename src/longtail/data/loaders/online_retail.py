"""Shared reading of the UCI Online Retail transaction tables (I and II).

Interactions: one row per invoice line. ``CustomerID`` -> user_id,
``StockCode`` -> item_id, ``InvoiceDate`` (UK local time) -> UTC timestamp,
``InvoiceNo`` -> session_id, ``Country`` -> region, ``Quantity * UnitPrice``
-> value (``quantity`` and ``unit_price`` kept). The event is ``purchase``,
or ``return`` when the quantity is negative (cancellations and returns,
about 2 % of lines); the order is return < purchase so that a purchase stays
the positive event for recommendation, and the rare ``return`` is there for
rare-event work.

Rows dropped, counted in ``meta["dropped_rows"]``: lines without a
CustomerID (guest checkouts) and lines whose item cannot be known. A line
without a StockCode first gets the code that its Description names, when
exactly one code carries that description elsewhere in the file.

Items: every StockCode, titled by its most frequent Description, priced at
the median UnitPrice of its sale lines. Users: each customer with their most
frequent Country as region.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from longtail.data import columns as C
from longtail.data.dataset import Dataset
from longtail.data.loaders.base import DatasetInfo, DropLog, make_meta, most_frequent
from longtail.data.loaders.files import read_columns
from longtail.data.timestamps import to_utc
from longtail.errors import LongtailError

EVENT_ORDER = ("return", "purchase")
SHOP_TIME_ZONE = "Europe/London"
_US_DATE = "%m/%d/%Y %H:%M"
# Online Retail II renamed three columns; both spellings map to one name.
COLUMNS = {
    "InvoiceNo": "InvoiceNo",
    "Invoice": "InvoiceNo",
    "StockCode": "StockCode",
    "Description": "Description",
    "Quantity": "Quantity",
    "InvoiceDate": "InvoiceDate",
    "UnitPrice": "UnitPrice",
    "Price": "UnitPrice",
    "CustomerID": "CustomerID",
    "Customer ID": "CustomerID",
    "Country": "Country",
}
_OPTIONAL = ("InvoiceNo", "Invoice", "UnitPrice", "Price", "CustomerID", "Customer ID")
_TEXT = ("InvoiceNo", "Invoice", "StockCode", "InvoiceDate", "CustomerID", "Customer ID")


def read_transactions(path: Path) -> pl.DataFrame:
    """The eight original columns from Parquet, CSV or an Excel workbook (all sheets)."""
    if path.suffix.lower() in (".xlsx", ".xls"):
        frame = _read_workbook(path)
    else:
        frame = read_columns(path, COLUMNS, optional=_OPTIONAL, text=_TEXT)
    missing = {"InvoiceNo", "UnitPrice", "CustomerID"} - set(frame.columns)
    if missing:
        raise LongtailError(f"{path}: no column for {', '.join(sorted(missing))}; is this an Online Retail file?")
    return frame


def _read_workbook(path: Path) -> pl.DataFrame:
    try:
        sheets = pl.read_excel(path, sheet_id=0, infer_schema_length=None)
    except ImportError as exc:
        raise LongtailError(
            f"{path}: reading Excel needs the 'fastexcel' package (pip install fastexcel); "
            "or save the sheet(s) as CSV in the same folder"
        ) from exc
    frames = [frame.rename({c: COLUMNS[c] for c in frame.columns if c in COLUMNS}) for frame in sheets.values()]
    return pl.concat(frames, how="diagonal_relaxed")


def to_dataset(raw: pl.DataFrame, info: DatasetInfo, files: list[Path]) -> Dataset:
    """Map the transaction table onto a Dataset (see the module docstring for the rules)."""
    source = str(files[0])
    drops = DropLog()
    raw = raw.with_columns(
        pl.col("StockCode").cast(pl.String).str.strip_chars(),
        _customer_ids(raw.get_column("CustomerID")),
        _invoice_times(raw.get_column("InvoiceDate"), source),
    )
    raw, recovered = _codes_from_descriptions(raw)
    items = _items(raw)
    lines = drops.keep(raw, pl.col("StockCode").is_not_null(), "no StockCode, and no Description naming one")
    lines = drops.keep(lines, pl.col("CustomerID").is_not_null(), "no CustomerID (guest checkout)")
    interactions = lines.select(
        pl.col("CustomerID").alias(C.USER_ID),
        pl.col("StockCode").alias(C.ITEM_ID),
        pl.col("InvoiceDate").alias(C.TIMESTAMP),
        pl.when(pl.col("Quantity") < 0).then(pl.lit("return")).otherwise(pl.lit("purchase")).alias(C.EVENT),
        pl.col("InvoiceNo").cast(pl.String).alias(C.SESSION_ID),
        pl.col("Country").alias(C.REGION),
        (pl.col("Quantity") * pl.col("UnitPrice")).alias(C.VALUE),
        pl.col("Quantity").alias("quantity"),
        pl.col("UnitPrice").alias("unit_price"),
    )
    users = interactions.group_by(C.USER_ID, maintain_order=True).agg(
        most_frequent(C.REGION).alias(C.REGION), (pl.col(C.REGION).n_unique() > 1).alias("_several")
    )
    several = int(users.get_column("_several").sum())
    notes = [
        f"timestamps are {SHOP_TIME_ZONE} shop time converted to UTC",
        f"{several:,} customers bought from several countries (the most frequent is their region)",
    ]
    if recovered:
        notes.append(f"{recovered:,} lines without a StockCode took it from their Description")
    return Dataset(
        interactions=interactions,
        items=items,
        users=users.drop("_several"),
        name=info.name,
        event_order=EVENT_ORDER,
        sources={"interactions": source, "items": source, "users": source},
        meta=make_meta(info, files, drops, notes),
    )


def _customer_ids(ids: pl.Series) -> pl.Series:
    """Int64 ids; CSV exports often write them as '17850.0'."""
    if ids.dtype == pl.String:
        ids = ids.str.strip_chars().cast(pl.Float64, strict=False)
    return ids.cast(pl.Int64).alias("CustomerID")


def _invoice_times(dates: pl.Series, source: str) -> pl.Series:
    """UTC from shop time; CSV exports write either ISO or US month/day/year dates."""
    us_style = dates.dtype == pl.String and bool(
        dates.drop_nulls().head(100).str.contains(r"^\d{1,2}/\d{1,2}/\d{4}").all()
    )
    return to_utc(
        dates,
        time_format=_US_DATE if us_style else None,
        naive_tz=SHOP_TIME_ZONE,
        file=source,
        column="InvoiceDate",
    ).alias("InvoiceDate")


def _codes_from_descriptions(raw: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Fill a missing StockCode from the one code its Description has elsewhere."""
    missing = raw.get_column("StockCode").is_null()
    if not missing.any():
        return raw, 0
    unique_codes = (
        raw.filter(pl.col("StockCode").is_not_null() & pl.col("Description").is_not_null())
        .group_by("Description")
        .agg(pl.col("StockCode").unique())
        .filter(pl.col("StockCode").list.len() == 1)
        .select("Description", pl.col("StockCode").list.first().alias("_code"))
    )
    filled = raw.join(unique_codes, on="Description", how="left", maintain_order="left").with_columns(
        pl.coalesce("StockCode", "_code").alias("StockCode")
    )
    recovered = int(missing.sum()) - filled.get_column("StockCode").null_count()
    return filled.drop("_code"), recovered


def _items(raw: pl.DataFrame) -> pl.DataFrame:
    sale = (pl.col("Quantity") > 0) & (pl.col("UnitPrice") > 0)
    return (
        raw.filter(pl.col("StockCode").is_not_null())
        .group_by("StockCode", maintain_order=True)
        .agg(
            most_frequent("Description").alias(C.TITLE),
            pl.col("UnitPrice").filter(sale).median().alias(C.PRICE),
        )
        .rename({"StockCode": C.ITEM_ID})
    )
