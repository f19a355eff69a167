"""load_tables on small CSV/Parquet files with a shop's own column names."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from longtail.data import columns as C
from longtail.data.loaders import load_tables
from longtail.data.loaders.events import infer_event_order
from longtail.errors import InputError, LongtailError

UTC = timezone.utc
MAPPING = {"user_id": "uid", "item_id": "sku", "timestamp": "ts", "event": "action", "region": "country"}
ITEM_MAPPING = {"item_id": "sku", "title": "name", "category": "cat"}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def shop(tmp_path: Path) -> dict[str, Path]:
    """A ';' CSV log with zoned, naive and date-only times; a tab-separated catalogue; a Parquet user table."""
    events = _write(
        tmp_path / "events.csv",
        "uid;sku;ts;action;country;noise\n"
        "1;A1;2024-03-01T10:00:00+02:00;view;DE;x\n"
        "1;A1;2024-03-01 09:30:00;click;DE;x\n"
        "2;B2;2024-03-02;purchase;FR;x\n"
        "2;Z9;2024-03-02T12:00:00Z;view;FR;x\n",
    )
    items = _write(tmp_path / "items.tsv", "sku\tname\tcat\n" "A1\tRed mug\tHome > Kitchen\n" "B2\tBlue cup\tHome\n")
    users = tmp_path / "users.parquet"
    pl.DataFrame({"uid": [1, 2], "country": ["DE", "FR"]}).write_parquet(users)
    return {"interactions": events, "items": items, "users": users}


def test_mapped_csv_and_parquet_tables(shop: dict[str, Path]) -> None:
    ds = load_tables(
        **shop, columns=MAPPING, item_columns=ITEM_MAPPING, user_columns={"user_id": "uid", "region": "country"}
    )
    inter = ds.interactions
    assert inter.columns == [C.USER_ID, C.ITEM_ID, C.TIMESTAMP, C.EVENT, C.REGION]  # 'noise' left out
    assert inter.get_column(C.TIMESTAMP).to_list() == [
        datetime(2024, 3, 1, 8, tzinfo=UTC),
        datetime(2024, 3, 1, 9, 30, tzinfo=UTC),
        datetime(2024, 3, 2, tzinfo=UTC),
        datetime(2024, 3, 2, 12, tzinfo=UTC),
    ]
    assert ds.event_order == ("view", "click", "purchase")
    assert inter.get_column(C.USER_ID).dtype == pl.Int64
    assert ds.items.get_column(C.CATEGORY).to_list() == ["Home > Kitchen", "Home"]
    assert ds.users is not None and ds.users.get_column(C.REGION).to_list() == ["DE", "FR"]
    # the item missing from the catalogue is kept and counted
    assert inter.height == 4 and ds.unknown_item_rows == 1
    assert ds.sources["interactions"] == str(shop["interactions"])
    assert ds.name == "events"


def test_epoch_seconds_parquet_and_milliseconds_csv(tmp_path: Path) -> None:
    seconds = [1_700_000_000, 1_700_003_600]
    parquet = tmp_path / "log.parquet"
    log = pl.DataFrame({"user_id": [7, 8], "item_id": [1, 2], "timestamp": seconds, "event": ["click", "view"]})
    log.write_parquet(parquet)
    ds = load_tables(interactions=parquet)  # longtail's own names need no mapping
    expected = [datetime.fromtimestamp(s, tz=UTC) for s in seconds]
    assert ds.interactions.get_column(C.TIMESTAMP).to_list() == expected
    assert ds.event_order == ("view", "click")
    # no catalogue: the items are the ids seen, without titles
    assert ds.items.get_column(C.ITEM_ID).to_list() == [1, 2]
    assert ds.items.get_column(C.TITLE).null_count() == 2

    csv = _write(tmp_path / "ms.csv", "uid,sku,ts,action\n" + "".join(f"1,9,{s * 1000},view\n" for s in seconds))
    mapping = {"user_id": "uid", "item_id": "sku", "timestamp": "ts", "event": "action"}
    ms = load_tables(interactions=csv, columns=mapping, time_unit="ms")
    assert ms.interactions.get_column(C.TIMESTAMP).to_list() == expected


def test_parquet_keeps_only_used_and_mapped_columns(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.parquet"
    pl.DataFrame(
        {"sku": ["a", "b"], "name": ["x", "y"], "number_of_reviews": [10, 1], "blob": ["..." * 100] * 2}
    ).write_parquet(path)
    ds = load_tables(items=path, item_columns={"item_id": "sku", "title": "name", "reviews": "number_of_reviews"})
    assert ds.items.columns == [C.ITEM_ID, C.TITLE, "reviews"]
    assert ds.items.get_column("reviews").to_list() == [10, 1]
    assert ds.interactions.height == 0 and ds.interactions.schema[C.TIMESTAMP] == pl.Datetime("us", "UTC")


def test_ids_keep_leading_zeros_and_plain_integers_become_int64(tmp_path: Path) -> None:
    text = "user_id,item_id,timestamp,event\n001,10,2024-01-01,view\n002,11,2024-01-01,view\n"
    path = _write(tmp_path / "e.csv", text)
    ds = load_tables(interactions=path)
    assert ds.interactions.get_column(C.USER_ID).to_list() == ["001", "002"]
    assert ds.interactions.get_column(C.ITEM_ID).dtype == pl.Int64


def test_given_event_order_for_unknown_words(tmp_path: Path) -> None:
    path = _write(tmp_path / "e.csv", "user_id,item_id,timestamp,event\n1,1,2024-01-01,seen\n1,1,2024-01-02,kept\n")
    ds = load_tables(interactions=path, event_order=["seen", "kept"])
    assert ds.positive_event == "kept"
    with pytest.raises(InputError) as err:
        load_tables(interactions=path, event_order=["seen"])
    assert err.value.row == 1 and err.value.value == "kept" and str(path) in str(err.value)


def test_unknown_event_words_ask_for_an_order(shop: dict[str, Path]) -> None:
    with pytest.raises(InputError) as err:
        load_tables(interactions=shop["interactions"], columns={**MAPPING, "event": "country"})
    message = str(err.value)
    assert "['DE', 'FR']" in message and "--event-order" in message
    assert "column 'country'" in message and "row 0" in message and str(shop["interactions"]) in message


def test_event_words_are_matched_loosely_and_synonyms_clash() -> None:
    assert infer_event_order(pl.Series(["Add-To-Cart", "View", "Add-To-Cart", None])) == ("View", "Add-To-Cart")
    assert infer_event_order(pl.Series(["buy", "cart", "pv", "fav"])) == ("pv", "fav", "cart", "buy")
    assert infer_event_order(pl.Series(["transaction", "view", "addtocart"])) == ("view", "addtocart", "transaction")
    with pytest.raises(InputError, match="same step"):
        infer_event_order(pl.Series(["order", "purchase"]), file="f.csv", column="e")


def test_mapping_to_a_missing_column_lists_the_available_ones(shop: dict[str, Path]) -> None:
    with pytest.raises(InputError) as err:
        load_tables(interactions=shop["interactions"], columns={**MAPPING, "item_id": "product"})
    message = str(err.value)
    assert str(shop["interactions"]) in message and "column 'product'" in message
    assert "uid, sku, ts, action, country, noise" in message


def test_missing_required_column_without_mapping(shop: dict[str, Path]) -> None:
    with pytest.raises(InputError, match="--item-columns title=<column>"):
        load_tables(items=shop["items"], item_columns={"item_id": "sku"})


def test_empty_and_header_only_files(tmp_path: Path) -> None:
    empty = _write(tmp_path / "empty.csv", "")
    with pytest.raises(InputError, match="empty") as err:
        load_tables(interactions=empty)
    assert str(empty) in str(err.value)
    header = _write(tmp_path / "header.csv", "user_id,item_id,timestamp,event\n")
    with pytest.raises(InputError, match="no data rows"):
        load_tables(interactions=header)


def test_null_ids_name_the_file_column_and_row(tmp_path: Path) -> None:
    path = _write(tmp_path / "e.csv", "uid,item_id,timestamp,event\n1,1,2024-01-01,view\n,2,2024-01-01,view\n")
    with pytest.raises(InputError) as err:
        load_tables(interactions=path, columns={"user_id": "uid"})
    assert (err.value.file, err.value.column, err.value.row) == (str(path), "uid", 1)


def test_null_timestamp_and_bad_timestamp(tmp_path: Path) -> None:
    missing = _write(tmp_path / "m.csv", "user_id,item_id,ts,event\n1,1,,view\n")
    with pytest.raises(InputError) as err:
        load_tables(interactions=missing, columns={"timestamp": "ts"})
    assert (err.value.column, err.value.row) == ("ts", 0)
    bad = _write(tmp_path / "b.csv", "user_id,item_id,ts,event\n1,1,2024-01-01,view\n1,1,01.02.2024,view\n")
    with pytest.raises(InputError) as err:
        load_tables(interactions=bad, columns={"timestamp": "ts"})
    assert (err.value.file, err.value.column, err.value.row, err.value.value) == (str(bad), "ts", 1, "01.02.2024")


def test_duplicate_item_ids(shop: dict[str, Path], tmp_path: Path) -> None:
    items = _write(tmp_path / "dup.csv", "sku,name\nA1,x\nB2,y\nA1,z\n")
    with pytest.raises(InputError) as err:
        load_tables(shop["interactions"], items, columns=MAPPING, item_columns={"item_id": "sku", "title": "name"})
    assert (err.value.file, err.value.column, err.value.row, err.value.value) == (str(items), "sku", 2, "A1")


def test_unsupported_extension_and_no_files(tmp_path: Path) -> None:
    path = _write(tmp_path / "e.json", "[]")
    with pytest.raises(LongtailError, match="json"):
        load_tables(interactions=path)
    with pytest.raises(ValueError, match="interactions"):
        load_tables()


def test_error_rows_are_shown_short_and_on_one_line(tmp_path: Path) -> None:
    wide = ",".join(f"c{i}" for i in range(12))
    path = _write(tmp_path / "wide.csv", f"{wide}\n" + ",".join(["x" * 40] + [str(i) for i in range(1, 12)]) + "\n")
    with pytest.raises(InputError) as err:
        load_tables(interactions=path, columns={"user_id": "c0", "item_id": "c1", "timestamp": "c2", "event": "c99"})
    message = str(err.value)
    assert "first row: c0=" + "x" * 21 + "..., c1=1" in message and "... (4 more columns)" in message
    assert "\n" not in message
    broken = InputError("bad value", file="a\nb.csv", value="line\r\nbreak", fix="fix it")
    assert "\n" not in str(broken) and "\r" not in str(broken) and "a\\nb.csv" in str(broken)


def test_dataset_built_directly_shows_the_null_row() -> None:
    from longtail.data import Dataset

    inter = pl.DataFrame(
        {"user_id": [1, None], "item_id": [1, 2], "timestamp": [datetime(2024, 1, 1, tzinfo=UTC)] * 2,
         "event": ["view", "view"]},
        schema_overrides={"timestamp": pl.Datetime("us", "UTC")},
    )
    items = pl.DataFrame({"item_id": [1, 2], "title": ["a", "b"]})
    with pytest.raises(InputError) as err:
        Dataset(inter, items, sources={"interactions": "log.parquet"})
    assert "log.parquet, column 'user_id', row 1" in str(err.value)
    assert "that row: user_id=(empty), item_id=2" in str(err.value)
    with pytest.raises(InputError, match="first row: user_id=1, item_id=1"):
        Dataset(inter.drop("event"), items)
