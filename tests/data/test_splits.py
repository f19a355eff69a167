"""Splits: disjoint parts that cover the data, per-method guarantees, cold flags, determinism, errors."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import polars as pl
import pytest

from longtail.data import Dataset
from longtail.data import columns as C
from longtail.data.splits import (
    COLD_ITEM,
    COLD_USER,
    Split,
    catalogue_split,
    leave_last_out,
    random_split,
    temporal_split,
)
from longtail.data.synthetic import make_marketplace

ROW = "row_id"


@pytest.fixture(scope="module")
def shop() -> Dataset:
    ds = make_marketplace(seed=8, n_users=300, n_items=200, n_events=4_000, n_queries=60)
    return ds.replace(interactions=ds.interactions.with_row_index(ROW))


def _tiny(user_ids, timestamps_s, item_ids=None) -> Dataset:
    """A hand-made dataset with timestamps given in seconds after 2024-01-01."""
    base = datetime(2024, 1, 1, tzinfo=timezone.utc)
    items = item_ids or list(range(1, len(user_ids) + 1))
    inter = pl.DataFrame({
        C.USER_ID: user_ids,
        C.ITEM_ID: items,
        C.TIMESTAMP: [base + timedelta(seconds=s) for s in timestamps_s],
        C.EVENT: ["view"] * len(user_ids),
    }).with_columns(pl.col(C.TIMESTAMP).dt.cast_time_unit("us")).with_row_index(ROW)
    catalogue = pl.DataFrame({C.ITEM_ID: sorted(set(items)), C.TITLE: [f"item {i}" for i in sorted(set(items))]})
    return Dataset(interactions=inter, items=catalogue)


SPLITTERS = {
    "random": lambda ds: random_split(ds, test_size=0.2, valid_size=0.1, seed=1),
    "random_stratified": lambda ds: random_split(ds, test_size=0.25, seed=2, stratify=C.EVENT),
    "temporal": lambda ds: temporal_split(ds, test_size=0.2, valid_size=0.1),
    "temporal_cut": lambda ds: temporal_split(ds, cut=datetime(2024, 2, 10)),
    "leave_last_out": lambda ds: leave_last_out(ds, n=2, valid=True),
    "catalogue": lambda ds: catalogue_split(ds, test_size=0.3, seed=3, valid_size=0.1),
}


def _row_ids(part: Dataset) -> np.ndarray:
    return part.interactions[ROW].to_numpy()


@pytest.mark.parametrize("method", sorted(SPLITTERS))
def test_parts_are_disjoint_and_cover_every_interaction(shop, method):
    split = SPLITTERS[method](shop)
    assert isinstance(split, Split)
    ids = [_row_ids(p) for p in split.parts().values()]
    joined = np.concatenate(ids)
    assert len(joined) == len(np.unique(joined))  # no interaction in two parts
    np.testing.assert_array_equal(np.sort(joined), np.arange(shop.interactions.height))
    assert all(len(i) > 0 for i in ids)


@pytest.mark.parametrize("method", sorted(SPLITTERS))
def test_cold_flags_match_training_membership(shop, method):
    split = SPLITTERS[method](shop)
    train_users = set(split.train.interactions[C.USER_ID].to_list())
    train_items = set(split.train.interactions[C.ITEM_ID].to_list())
    assert COLD_USER not in split.train.interactions.columns
    for name, part in split.parts().items():
        if name == "train":
            continue
        inter = part.interactions
        expected_user = [u not in train_users for u in inter[C.USER_ID].to_list()]
        expected_item = [i not in train_items for i in inter[C.ITEM_ID].to_list()]
        assert inter[COLD_USER].to_list() == expected_user
        assert inter[COLD_ITEM].to_list() == expected_item
        assert part.meta["split"]["part"] == name


@pytest.mark.parametrize("method", ["random", "temporal", "leave_last_out"])
def test_interaction_splits_keep_items_users_and_truth_whole(shop, method):
    split = SPLITTERS[method](shop)
    for part in split.parts().values():
        assert part.items.equals(shop.items) and part.users.equals(shop.users)
        assert part.truth is shop.truth
        if method != "random":
            assert part.judgments.equals(shop.judgments)


@pytest.mark.parametrize("method", sorted(SPLITTERS))
def test_splits_are_deterministic(shop, method):
    first, second = SPLITTERS[method](shop), SPLITTERS[method](shop)
    for name, part in first.parts().items():
        np.testing.assert_array_equal(_row_ids(part), _row_ids(second.parts()[name]))


# --------------------------------------------------------------------- random
def test_random_split_sizes_and_seed(shop):
    n = shop.interactions.height
    split = random_split(shop, test_size=0.2, valid_size=0.1, seed=0)
    assert split.test.interactions.height == round(0.2 * n)
    assert split.valid.interactions.height == round(0.1 * n)
    other = random_split(shop, test_size=0.2, valid_size=0.1, seed=1)
    assert not np.array_equal(_row_ids(split.test), _row_ids(other.test))
    assert random_split(shop, test_size=0.2).valid is None


def test_random_split_stratifies_each_event(shop):
    split = random_split(shop, test_size=0.3, seed=4, stratify=C.EVENT)
    total = dict(shop.interactions.group_by(C.EVENT).len().iter_rows())
    in_test = dict(split.test.interactions.group_by(C.EVENT).len().iter_rows())
    for event, count in total.items():
        assert abs(in_test[event] - 0.3 * count) <= 1, event


def test_random_split_divides_judgments_by_query(shop):
    split = random_split(shop, test_size=0.3, valid_size=0.2, seed=5)
    queries = [set(p.judgments[C.QUERY].to_list()) for p in split.parts().values()]
    assert not (queries[0] & queries[1]) and not (queries[0] & queries[2]) and not (queries[1] & queries[2])
    assert sum(p.judgments.height for p in split.parts().values()) == shop.judgments.height
    assert set().union(*queries) == set(shop.judgments[C.QUERY].to_list())
    n_queries = shop.judgments[C.QUERY].n_unique()
    assert len(queries[1]) == round(0.3 * n_queries)


# ------------------------------------------------------------------- temporal
def test_temporal_split_orders_parts_in_time(shop):
    split = temporal_split(shop, test_size=0.2, valid_size=0.1)
    train, valid, test = (p.interactions[C.TIMESTAMP] for p in (split.train, split.valid, split.test))
    assert train.max() < valid.min() and valid.max() < test.min()
    n = shop.interactions.height
    assert abs(test.len() - 0.2 * n) <= 2 and abs(valid.len() - 0.1 * n) <= 2


def test_temporal_split_at_an_explicit_cut(shop):
    cut = datetime(2024, 2, 10, tzinfo=timezone.utc)
    split = temporal_split(shop, cut=cut)
    assert split.train.interactions[C.TIMESTAMP].max() < cut <= split.test.interactions[C.TIMESTAMP].min()
    naive = temporal_split(shop, cut=datetime(2024, 2, 10))
    as_text = temporal_split(shop, cut="2024-02-10")
    np.testing.assert_array_equal(_row_ids(naive.test), _row_ids(split.test))
    np.testing.assert_array_equal(_row_ids(as_text.test), _row_ids(split.test))
    with pytest.raises(ValueError, match="cut"):
        temporal_split(shop, cut=datetime(2030, 1, 1))


def test_temporal_split_keeps_equal_timestamps_together():
    ds = _tiny([1, 2, 3, 4, 5], [0, 10, 20, 20, 20])
    split = temporal_split(ds, test_size=0.2)
    assert sorted(_row_ids(split.test)) == [2, 3, 4]


# ------------------------------------------------------------- leave last out
def test_leave_last_out_takes_each_users_latest(shop):
    split = leave_last_out(shop, n=1)
    inter = shop.interactions
    counts = dict(inter.group_by(C.USER_ID).len().iter_rows())
    test = split.test.interactions
    assert sorted(test[C.USER_ID].to_list()) == sorted(u for u, c in counts.items() if c > 1)
    latest = inter.group_by(C.USER_ID).agg(pl.col(C.TIMESTAMP).max().alias("latest"))
    joined = test.join(latest, on=C.USER_ID)
    assert (joined[C.TIMESTAMP] == joined["latest"]).all()
    assert not test[COLD_USER].any()


def test_leave_last_out_breaks_ties_by_row_order_and_keeps_short_histories():
    # user 1: rows 0-3 with a tie at the end; user 2: a single interaction
    ds = _tiny([1, 1, 1, 1, 2], [0, 5, 9, 9, 3])
    split = leave_last_out(ds, n=1, valid=True)
    assert _row_ids(split.test).tolist() == [3]
    assert _row_ids(split.valid).tolist() == [2]
    assert sorted(_row_ids(split.train).tolist()) == [0, 1, 4]
    two = leave_last_out(ds, n=2)
    assert sorted(_row_ids(two.test).tolist()) == [2, 3]


def test_leave_last_out_works_with_string_ids():
    ds = _tiny(["a", "b", "a", "b", "a"], [0, 1, 2, 3, 4])
    split = leave_last_out(ds, n=1)
    assert sorted(_row_ids(split.test).tolist()) == [3, 4]


# ------------------------------------------------------------------ catalogue
def test_catalogue_split_partitions_items_by_category(shop):
    split = catalogue_split(shop, test_size=0.3, seed=3)
    train_items, test_items = split.train.items, split.test.items
    ids = np.concatenate([train_items[C.ITEM_ID].to_numpy(), test_items[C.ITEM_ID].to_numpy()])
    np.testing.assert_array_equal(np.sort(ids), np.sort(shop.items[C.ITEM_ID].to_numpy()))
    assert set(train_items[C.CATEGORY].to_list()) == set(shop.items[C.CATEGORY].to_list())
    assert abs(test_items.height - 0.3 * shop.items.height) <= shop.items[C.CATEGORY].n_unique()
    assert test_items[C.ITEM_ID].is_in(split.test.interactions[C.ITEM_ID].implode()).any()
    assert split.test.interactions[C.ITEM_ID].is_in(test_items[C.ITEM_ID].implode()).all()
    assert split.test.interactions[COLD_ITEM].all()
    assert split.test.judgments[C.ITEM_ID].is_in(test_items[C.ITEM_ID].implode()).all()
    different = catalogue_split(shop, test_size=0.3, seed=4)
    assert not different.test.items.equals(test_items)


def test_catalogue_split_of_a_catalogue_without_interactions():
    items = pl.DataFrame({
        C.ITEM_ID: list(range(40)),
        C.TITLE: [f"thing {i}" for i in range(40)],
        C.CATEGORY: ["A"] * 30 + ["B"] * 9 + ["C"],
    })
    empty = pl.DataFrame(schema={C.USER_ID: pl.Int64, C.ITEM_ID: pl.Int64,
                                 C.TIMESTAMP: pl.Datetime("us", "UTC"), C.EVENT: pl.String})
    split = catalogue_split(Dataset(interactions=empty, items=items), test_size=0.25, seed=0)
    test_counts = dict(split.test.items.group_by(C.CATEGORY).len().iter_rows())
    assert test_counts.get("A") in (7, 8) and test_counts.get("B") in (2, 3)
    assert "C" not in test_counts  # a lone item stays in training
    with pytest.raises(ValueError, match="stratify_by_category"):
        catalogue_split(Dataset(interactions=empty, items=items.drop(C.CATEGORY)), test_size=0.25)


# --------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda ds: random_split(ds, test_size=0.0), "test_size"),
        (lambda ds: random_split(ds, test_size=1.0), "test_size"),
        (lambda ds: random_split(ds, test_size="0.2"), "test_size"),
        (lambda ds: random_split(ds, test_size=True), "test_size"),
        (lambda ds: random_split(ds, test_size=0.5, valid_size=-0.1), "valid_size"),
        (lambda ds: random_split(ds, test_size=0.6, valid_size=0.4), "test_size \\+ valid_size"),
        (lambda ds: random_split(ds, seed=-3), "seed"),
        (lambda ds: random_split(ds, stratify="colour"), "stratify"),
        (lambda ds: temporal_split(ds, test_size=1.2), "test_size"),
        (lambda ds: temporal_split(ds, cut="yesterday"), "cut"),
        (lambda ds: leave_last_out(ds, n=0), "n must"),
        (lambda ds: catalogue_split(ds, test_size=-0.2), "test_size"),
    ],
)
def test_bad_arguments_raise_value_error(shop, call, name):
    with pytest.raises(ValueError, match=name):
        call(shop)
