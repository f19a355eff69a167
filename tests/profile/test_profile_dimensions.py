"""Group counts per dimension: reference tables, units, omitted dimensions, rows without a group."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from profile_builders import START, catalogue, interactions

from longtail.data import Dataset
from longtail.profile import dimension_counts
from longtail.profile.dimensions import day_counts, days_without_interactions, hour_counts


def _as_dict(gc) -> dict:
    return dict(zip(gc.groups.to_list(), gc.counts.tolist()))


def test_item_groups_include_catalogue_items_never_interacted_with():
    ds = Dataset(
        interactions([(1, 0, 0, "view"), (1, 0, 1, "click"), (2, 1, 2, "view")]),
        catalogue(["A", "A", "B", "C", "C"]),
    )
    dims = dimension_counts(ds)
    item = dims["item"]
    assert item.reference == "catalogue"
    assert _as_dict(item) == {0: 2, 1: 1, 2: 0, 3: 0, 4: 0}
    assert item.counts.tolist() == [2, 1, 0, 0, 0]  # largest first
    assert item.zero_groups == 3
    # Categories B and C exist in the catalogue but have no interactions: still groups.
    assert _as_dict(dims["category"]) == {"A": 3, "B": 0, "C": 0}


def test_unknown_items_are_items_but_have_no_category():
    ds = Dataset(interactions([(1, 0, 0, "view"), (1, 99, 1, "view"), (2, 99, 2, "click")]), catalogue(["A > x", None]))
    assert ds.unknown_item_rows == 2
    dims = dimension_counts(ds)
    assert _as_dict(dims["item"]) == {99: 2, 0: 1, 1: 0}
    # Item 99 is unknown and item 1 has no category: their interactions are counted, not dropped.
    assert _as_dict(dims["category"]) == {"A > x": 1}
    assert dims["category"].rows_without_group == 2
    assert _as_dict(dims["category_top"]) == {"A": 1}


def test_category_levels_from_paths():
    ds = Dataset(
        interactions([(1, 0, 0, "view"), (1, 1, 1, "view"), (1, 2, 2, "view"), (2, 2, 3, "view")]),
        catalogue(["Home > Lamps", "Home > Rugs", "Toys > Dolls"]),
    )
    dims = dimension_counts(ds)
    assert _as_dict(dims["category"]) == {"Toys > Dolls": 2, "Home > Lamps": 1, "Home > Rugs": 1}
    assert _as_dict(dims["category_top"]) == {"Home": 2, "Toys": 2}


def test_catalogue_only_counts_items_per_category():
    ds = Dataset(interactions([]), catalogue(["A > a", "A > b", "A > b", "B > c", None]))
    dims = dimension_counts(ds)
    assert set(dims) == {"category", "category_top"}
    assert dims["category"].unit == "items"
    assert _as_dict(dims["category"]) == {"A > b": 2, "A > a": 1, "B > c": 1}
    assert dims["category"].rows_without_group == 1
    assert _as_dict(dims["category_top"]) == {"A": 3, "B": 1}


def test_event_groups_follow_the_event_order_with_zeros():
    ds = Dataset(interactions([(1, 0, 0, "view"), (1, 0, 1, "view"), (2, 0, 2, "purchase")]), catalogue(["A"]))
    event = dimension_counts(ds)["event"]
    assert event.groups.to_list() == ["view", "click", "cart", "purchase"]
    assert event.counts.tolist() == [2, 0, 0, 1]


def test_user_groups_include_every_user_of_the_users_table():
    users = pl.DataFrame({"user_id": [1, 2, 3, 4], "region": ["DE", "DE", "FR", None]})
    ds = Dataset(interactions([(1, 0, 0, "view"), (1, 0, 1, "view"), (2, 0, 2, "view")]), catalogue(["A"]), users=users)
    dims = dimension_counts(ds)
    assert dims["user"].reference == "users table"
    assert _as_dict(dims["user"]) == {1: 2, 2: 1, 3: 0, 4: 0}
    # No region on the interactions: users per region, the user without one counted aside.
    assert dims["region"].unit == "users"
    assert _as_dict(dims["region"]) == {"DE": 2, "FR": 1}
    assert dims["region"].rows_without_group == 1


def test_region_of_interactions_with_regions_from_users_table_as_reference():
    users = pl.DataFrame({"user_id": [1, 2], "region": ["DE", "PL"]})
    rows = [(1, 0, 0, "view"), (1, 0, 1, "view"), (2, 0, 2, "view")]
    ds = Dataset(interactions(rows, {"region": ["DE", "DE", None]}), catalogue(["A"]), users=users)
    region = dimension_counts(ds)["region"]
    assert region.unit == "interactions"
    assert _as_dict(region) == {"DE": 2, "PL": 0}
    assert region.rows_without_group == 1


def test_dimensions_that_do_not_apply_are_left_out():
    ds = Dataset(interactions([(1, 0, 0, "view"), (1, 0, 1, "view")]), catalogue(["A"]).drop("category"))
    assert set(dimension_counts(ds)) == {"event", "item", "user", "hour", "day"}


def test_flat_categories_have_no_top_level_and_dates_only_have_no_hours():
    # Every timestamp at midnight: a log with dates only, so hour of day means nothing.
    ds = Dataset(interactions([(1, 0, 0, "view"), (1, 1, 48, "view")]), catalogue(["A", "B"]))
    assert set(dimension_counts(ds)) == {"event", "category", "item", "user", "day"}


def test_hour_has_all_24_hours_in_utc():
    ds = Dataset(interactions([(1, 0, 0, "view"), (1, 0, 24, "view"), (1, 0, 5.5, "view")]), catalogue(["A"]))
    hour = hour_counts(ds)
    assert hour.groups.to_list() == list(range(24))
    assert hour.counts[0] == 2 and hour.counts[5] == 1 and hour.counts.sum() == 3


def test_hour_uses_utc_even_for_other_input_zones():
    berlin = dt.datetime(2024, 3, 1, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    frame = interactions([(1, 0, 0, "view")]).with_columns(
        pl.Series("timestamp", [berlin]).dt.convert_time_zone("UTC").cast(pl.Datetime("us", "UTC"))
    )
    assert hour_counts(Dataset(frame, catalogue(["A"]))).counts[0] == 1


def test_day_groups_are_the_days_observed_and_gaps_are_counted_apart():
    ds = Dataset(interactions([(1, 0, 0, "view"), (1, 0, 1, "view"), (1, 0, 24 * 3, "view")]), catalogue(["A"]))
    day = day_counts(ds)
    first = START.date()
    assert day.groups.to_list() == [first, first + dt.timedelta(days=3)]
    assert day.counts.tolist() == [2, 1]
    assert day.reference == "observed" and day.zero_groups == 0
    assert days_without_interactions(day) == 2


def test_query_from_interactions_skips_browsing_rows_and_label_from_judgments():
    rows = [(1, 0, 0, "view"), (1, 0, 1, "view"), (2, 0, 2, "view")]
    judgments = pl.DataFrame({"query": ["lamp", "lamp", "rug"], "item_id": [0, 0, 0], "label": [2, 0, 2]})
    ds = Dataset(interactions(rows, {"query": ["lamp", None, "lamp"]}), catalogue(["A"]), judgments=judgments)
    dims = dimension_counts(ds)
    assert _as_dict(dims["query"]) == {"lamp": 2}
    assert dims["query"].rows_without_group == 1
    assert dims["label"].unit == "judgments"
    assert _as_dict(dims["label"]) == {0: 1, 2: 2}


def test_query_from_judgments_when_interactions_have_none():
    judgments = pl.DataFrame({"query": ["a", "a", "b"], "item_id": [0, 0, 0], "label": ["E", "S", "E"]})
    ds = Dataset(interactions([]), catalogue(["A"]), judgments=judgments)
    dims = dimension_counts(ds)
    assert dims["query"].unit == "judgments"
    assert _as_dict(dims["query"]) == {"a": 2, "b": 1}
    assert _as_dict(dims["label"]) == {"E": 2, "S": 1}


def test_string_ids_work_like_integer_ids():
    frame = interactions([(1, 0, 0, "view"), (2, 1, 1, "view")]).with_columns(
        pl.col("item_id").cast(pl.String), pl.col("user_id").cast(pl.String)
    )
    items = catalogue(["A", "B", "B"]).with_columns(pl.col("item_id").cast(pl.String))
    dims = dimension_counts(Dataset(frame, items))
    assert _as_dict(dims["item"]) == {"0": 1, "1": 1, "2": 0}
    assert _as_dict(dims["category"]) == {"B": 1, "A": 1}


def test_counts_agree_with_pandas_on_a_random_shop(shop):
    dims = dimension_counts(shop)
    frame = shop.interactions.to_pandas()
    items = shop.items.to_pandas().set_index("item_id")
    per_item = frame["item_id"].value_counts().reindex(items.index, fill_value=0)
    np.testing.assert_array_equal(dims["item"].counts, np.sort(per_item.to_numpy())[::-1])
    per_category = frame["item_id"].map(items["category"]).value_counts()
    per_category = per_category.reindex(items["category"].unique(), fill_value=0)
    assert _as_dict(dims["category"]) == per_category.to_dict()
    per_hour = frame["timestamp"].dt.hour.value_counts().reindex(range(24), fill_value=0)
    assert dims["hour"].counts.tolist() == per_hour.tolist()
    per_region = frame["region"].value_counts()
    assert _as_dict(dims["region"]) == per_region.to_dict()
    assert dims["user"].counts.sum() == len(frame)


@pytest.mark.parametrize("rows", [[(1, 0, 0, "view")], [(1, 0, 0, "view"), (1, 0, 0, "click")]])
def test_a_single_instant_gives_one_day(rows):
    ds = Dataset(interactions(rows), catalogue(["A"]))
    assert day_counts(ds).counts.tolist() == [len(rows)]
