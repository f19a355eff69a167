"""Each named loader on its local copy: counts match SOURCE.md, mappings hold, drops are accounted for."""

from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
import pytest

from longtail.data import columns as C
from longtail.data import registry
from longtail.data.dataset import Dataset

UTC = timezone.utc


def _load(name: str) -> Dataset:
    info = registry.info(name)
    if not info.is_available():
        pytest.skip(f"{name}: no local copy in {info.folder()} (set LONGTAIL_DATA to the datasets folder)")
    return registry.load(name)


def _raw(name: str, file: str) -> pl.DataFrame:
    return pl.read_parquet(registry.info(name).folder() / file)


def _counts(frame: pl.DataFrame, column: str) -> dict[str, int]:
    return dict(frame.get_column(column).value_counts().iter_rows())


def _common_meta(ds: Dataset, name: str) -> None:
    info = registry.info(name)
    assert ds.name == name
    assert ds.meta["tasks"] == list(info.tasks)
    assert ds.meta["files"] and all(str(info.folder()) in f for f in ds.meta["files"])
    assert isinstance(ds.meta["dropped_rows"], dict)


# ----------------------------------------------------------------- catalogues
def test_amazon_uk_products() -> None:
    ds = _load("amazon_uk_products")
    _common_meta(ds, "amazon_uk_products")
    raw = _raw("amazon_uk_products", "products.parquet")
    items = ds.items
    assert items.height == 10_000 and ds.interactions.height == 0
    assert items.get_column(C.ITEM_ID).to_list() == raw.get_column("uniq_id").to_list()
    assert items.get_column(C.TITLE).to_list() == raw.get_column("product_name").to_list()
    assert items.get_column(C.CATEGORY).null_count() == 690
    assert items.get_column("number_of_reviews").to_list() == raw.get_column("number_of_reviews").to_list()
    # 43 top-level classes, Hobbies the largest with 1,464 (SOURCE.md)
    tops = items.select(ds.top_category().alias("top")).drop_nulls().get_column("top")
    assert tops.n_unique() == 43 and _counts(items.select(ds.top_category().alias("top")), "top")["Hobbies"] == 1_464


def test_flipkart_products() -> None:
    ds = _load("flipkart_products")
    _common_meta(ds, "flipkart_products")
    raw = _raw("flipkart_products", "products.parquet")
    items = ds.items
    assert items.height == 20_000 and ds.interactions.height == 0
    assert items.get_column(C.CATEGORY).null_count() == 328  # the one-level "trees"
    assert "328" in ds.meta["notes"][0]
    tops = items.select(ds.top_category().alias("top")).drop_nulls()
    assert tops.get_column("top").n_unique() == 32 and _counts(tops, "top")["Clothing"] == 6_198
    second = items.select(pl.col(C.CATEGORY).str.split(" > ").list.head(2).list.join(" > ").alias("l2")).drop_nulls()
    assert second.get_column("l2").n_unique() == 221
    assert items.get_column(C.PRICE).to_list() == raw.get_column("discounted_price").to_list()
    assert items.get_column("rating").null_count() == raw.get_column("overall_rating_num").null_count()


def test_instacart() -> None:
    ds = _load("instacart")
    _common_meta(ds, "instacart")
    assert ds.items.height == 49_688 and ds.interactions.height == 30_121
    assert ds.items.select(ds.top_category()).to_series().n_unique() == 21
    assert ds.items.get_column("aisle").n_unique() == 134
    inter = ds.interactions
    assert ds.event_order == ("purchase",) and inter.get_column(C.EVENT).unique().to_list() == ["purchase"]
    assert inter.get_column(C.SESSION_ID).n_unique() == 3_013 and inter.get_column(C.USER_ID).n_unique() == 2_954
    assert ds.unknown_item_rows == 0
    # relative time: a user's later order lies exactly days_since_prior_order days after the one before
    orders = (
        inter.unique(C.SESSION_ID)
        .sort(C.USER_ID, "order_number")
        .with_columns(
            pl.col(C.TIMESTAMP).dt.date().diff().over(C.USER_ID).dt.total_days().alias("gap"),
            pl.col(C.TIMESTAMP).dt.hour().alias("hour"),
        )
    )
    later = orders.filter(pl.col("gap").is_not_null())
    assert later.height == 3_013 - 2_954
    assert later.get_column("gap").to_list() == later.get_column("days_since_prior_order").to_list()
    assert orders.get_column("hour").to_list() == orders.get_column("order_hour_of_day").to_list()


def test_esci_sample() -> None:
    ds = _load("esci_sample")
    _common_meta(ds, "esci_sample")
    assert ds.judgments is not None
    judged = ds.judgments
    assert judged.height == 2_869 and ds.interactions.height == 0
    assert _counts(judged, C.LABEL) == {"E": 1_684, "S": 736, "I": 348, "C": 101}
    assert ds.meta["label_order"] == ["I", "C", "S", "E"]
    assert _counts(judged, C.REGION) == {"us": 1_925, "jp": 516, "es": 428}
    assert ds.items.height == 2_866 and ds.items.get_column(C.ITEM_ID).is_unique().all()
    assert ds.meta["dropped_rows"] == {}  # repeats in the sample are the same listing
    titles = dict(zip(ds.items.get_column(C.ITEM_ID), ds.items.get_column(C.TITLE)))
    raw = _raw("esci_sample", "examples.parquet")
    assert all(titles[p] == t for p, t in zip(raw.get_column("product_id"), raw.get_column("product_title")))


# ------------------------------------------------------------------ event logs
def test_taobao_userbehavior() -> None:
    ds = _load("taobao_userbehavior")
    _common_meta(ds, "taobao_userbehavior")
    inter = ds.interactions
    assert inter.height == 84_287 and ds.event_order == ("pv", "fav", "cart", "buy")
    assert _counts(inter, C.EVENT) == {"pv": 75_693, "cart": 4_494, "fav": 2_351, "buy": 1_749}
    assert inter.get_column(C.USER_ID).n_unique() == 814
    assert ds.items.height == 55_233 and ds.unknown_item_rows == 0
    raw = _raw("taobao_userbehavior", "interactions.parquet")
    assert inter.get_column(C.TIMESTAMP).to_list() == raw.get_column("datetime_utc").to_list()
    assert ds.items.select(pl.col(C.CATEGORY).n_unique()).item() <= 2_911


def test_diginetica_sample() -> None:
    ds = _load("diginetica_sample")
    _common_meta(ds, "diginetica_sample")
    inter = ds.interactions
    assert inter.height == 12_391 and ds.event_order == ("view",)
    assert ds.items.height == 7_139 and inter.get_column(C.SESSION_ID).n_unique() == 2_986
    raw = _raw("diginetica_sample", "item_views.parquet")
    anonymous = raw.get_column("user_id").is_null()
    assert int(anonymous.sum()) == 7_681
    users = inter.get_column(C.USER_ID)
    assert (users.filter(anonymous) == -raw.get_column("session_id").filter(anonymous)).all()
    assert (users.filter(~anonymous) == raw.get_column("user_id").filter(~anonymous)).all()
    first = inter.row(0, named=True)
    assert first[C.TIMESTAMP] == datetime(2016, 5, 9, 0, 8, 46, 309_000, tzinfo=UTC)  # day + 526,309 ms


# -------------------------------------------------------------- online retail
@pytest.fixture(scope="module")
def retail_uci() -> Dataset:
    return _load("online_retail_uci")


@pytest.fixture(scope="module")
def retail_ii() -> Dataset:
    return _load("online_retail_ii")


def test_online_retail_uci_accounts_for_every_line(retail_uci: Dataset) -> None:
    ds = retail_uci
    _common_meta(ds, "online_retail_uci")
    dropped = ds.meta["dropped_rows"]
    assert ds.interactions.height + sum(dropped.values()) == 541_909
    assert dropped["no CustomerID (guest checkout)"] > 130_000
    # every line without a StockCode is either recovered from its Description or dropped
    recovered = next(n for n in ds.meta["notes"] if "took it from their Description" in n)
    assert int(recovered.split()[0].replace(",", "")) + dropped["no StockCode, and no Description naming one"] == 10_318
    assert ds.event_order == ("return", "purchase") and ds.positive_event == "purchase"
    raw = _raw("online_retail_uci", "transactions.parquet").filter(pl.col("CustomerID").is_not_null())
    returns = ds.interactions.filter(pl.col(C.EVENT) == "return")
    assert 0 < returns.height <= int(raw.get_column("is_return").sum())
    assert (returns.get_column("quantity") < 0).all()


def test_online_retail_uci_mapping(retail_uci: Dataset) -> None:
    inter = retail_uci.interactions
    first = inter.row(0, named=True)
    assert (first[C.USER_ID], first[C.ITEM_ID], first[C.SESSION_ID], first[C.REGION]) == (
        17850, "85123A", "536365", "United Kingdom"
    )
    assert first[C.TIMESTAMP] == datetime(2010, 12, 1, 8, 26, tzinfo=UTC)  # GMT in winter
    assert first[C.VALUE] == pytest.approx(6 * 2.55)
    summer = inter.filter(pl.col(C.TIMESTAMP).dt.month() == 7).get_column(C.TIMESTAMP).dt.hour().min()
    assert summer is not None and summer < 8  # BST shop hours shift one hour earlier in UTC
    assert retail_uci.users is not None
    assert retail_uci.users.height == inter.get_column(C.USER_ID).n_unique()
    assert retail_uci.unknown_item_rows == 0 and retail_uci.items.get_column(C.TITLE).null_count() < 50


def test_online_retail_ii(retail_ii: Dataset) -> None:
    ds = retail_ii
    _common_meta(ds, "online_retail_ii")
    assert ds.meta["dropped_rows"] == {"no CustomerID (guest checkout)": 107_927}
    assert ds.interactions.height == 525_461 - 107_927
    raw = _raw("online_retail_ii", "transactions_2009_2010.parquet").filter(pl.col("CustomerID").is_not_null())
    assert _counts(ds.interactions, C.EVENT)["return"] == int((raw.get_column("Quantity") < 0).sum())
    assert _counts(ds.interactions, C.REGION) == _counts(raw, "Country")
    stamps = ds.interactions.get_column(C.TIMESTAMP)
    assert stamps.min() >= datetime(2009, 12, 1, tzinfo=UTC) and stamps.max() < datetime(2010, 12, 10, tzinfo=UTC)
