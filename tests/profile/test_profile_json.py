"""profile_dataset: the JSON shape, bounded counts, reported row counts."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from profile_builders import catalogue, interactions

from longtail.data import Dataset
from longtail.profile import profile_dataset, stats
from longtail.profile import profiler

STAT_KEYS = {"n_groups", "counts", "gini", "imbalance_ratio", "normalized_entropy", "effective_classes", "top20_share"}


def test_json_shape(shop):
    out = json.loads(json.dumps(profile_dataset(shop).to_dict()))
    assert {"n_interactions", "n_users", "n_items", "unknown_item_rows", "dimensions", "drift", "advice"} <= set(out)
    assert out["n_interactions"] == shop.interactions.height
    assert out["n_items"] == shop.items.height
    assert out["n_users"] == shop.interactions.get_column("user_id").n_unique()
    assert list(out["dimensions"]) == ["event", "category", "category_top", "item", "user", "region", "hour", "day"]
    for name, dim in out["dimensions"].items():
        assert STAT_KEYS <= set(dim), name
        assert dim["unit"] == "interactions"
        assert dim["counts_kind"] == "groups"
        assert sum(dim["counts"].values()) == dim["total"]
        assert len(dim["counts"]) == dim["n_groups"]
    assert list(out["dimensions"]["hour"]["counts"]) == [str(h) for h in range(24)]
    assert {"measure", "first_window", "last_window", "category", "event"} <= set(out["drift"])
    for advice in out["advice"]:
        assert set(advice) == {"dimension", "finding", "remedy", "text"}


def test_statistics_in_json_are_those_of_the_counts(shop):
    out = profile_dataset(shop).to_dict()
    for dim in out["dimensions"].values():
        counts = np.array(list(dim["counts"].values()))
        assert dim["gini"] == pytest.approx(stats.gini(counts))
        assert dim["top20_share"] == pytest.approx(stats.top20_share(counts))
        assert dim["normalized_entropy"] == pytest.approx(stats.normalized_entropy(counts))


def test_large_dimensions_become_a_bounded_histogram(monkeypatch):
    monkeypatch.setattr(profiler, "MAX_LISTED_GROUPS", 10)
    monkeypatch.setattr(profiler, "TOP_LISTED_GROUPS", 3)
    # Items 0..39: item i has i interactions (item 0 none).
    rows = [(u, i, u, "view") for i in range(40) for u in range(i)]
    out = profile_dataset(Dataset(interactions(rows), catalogue(["A"] * 40))).to_dict()
    item = out["dimensions"]["item"]
    assert item["counts_kind"] == "histogram"
    assert item["counts"]["top"] == {"39": 39, "38": 38, "37": 37}
    bins = {(b["min"], b["max"]): b["groups"] for b in item["counts"]["bins"]}
    # Counts 0..39 fall into [0], [1], [2,3], [4,7], [8,15], [16,31], [32,63].
    assert bins == {(0, 0): 1, (1, 1): 1, (2, 3): 2, (4, 7): 4, (8, 15): 8, (16, 31): 16, (32, 63): 8}
    assert item["n_groups"] == 40 and item["zero_groups"] == 1
    assert out["dimensions"]["hour"]["counts_kind"] == "histogram"  # 24 > 10 here


def test_json_stays_small_for_many_items():
    rng = np.random.default_rng(1)
    n_items = 20_000
    pairs = zip(rng.integers(0, 5000, 30_000), rng.zipf(1.5, 30_000) % n_items)
    frame = interactions([(int(u), int(i), 0, "view") for u, i in pairs])
    out = json.dumps(profile_dataset(Dataset(frame, catalogue(["A"] * n_items))).to_dict())
    assert len(out) < 20_000


def test_unknown_items_and_dropped_rows_are_reported():
    ds = Dataset(
        interactions([(1, 0, 0, "view"), (1, 7, 1, "view")]),
        catalogue(["A"]),
        meta={"dropped_rows": {"interactions": 3}},
    )
    out = profile_dataset(ds).to_dict()
    assert out["unknown_item_rows"] == 1
    assert out["dropped_rows"] == {"interactions": 3}
    assert "dropped_rows" not in profile_dataset(ds.replace(meta={})).to_dict()


def test_catalogue_only_dataset():
    out = profile_dataset(Dataset(interactions([]), catalogue(["A > a", "A > b", "B > c", "B > c"]))).to_dict()
    assert out["n_interactions"] == 0 and out["drift"] is None
    assert set(out["dimensions"]) == {"category", "category_top"}
    assert out["dimensions"]["category"]["unit"] == "items"
    assert out["dimensions"]["category"]["counts"] == {"B > c": 2, "A > a": 1, "A > b": 1}


def test_search_dataset_with_judgments_has_query_and_label():
    judgments = pl.DataFrame({"query": ["q1", "q1", "q2", "q3"], "item_id": [0, 1, 0, 1], "label": [3, 0, 0, 0]})
    out = profile_dataset(Dataset(interactions([]), catalogue(["A", "B"]), judgments=judgments)).to_dict()
    assert out["dimensions"]["label"]["counts"] == {"0": 3, "3": 1}
    assert out["dimensions"]["query"]["counts"] == {"q1": 2, "q2": 1, "q3": 1}


def test_synthetic_marketplace_profile_is_complete_and_consistent():
    from longtail.data.synthetic import make_marketplace

    ds = make_marketplace(seed=3, n_users=300, n_items=200, n_events=4000, n_days=20)
    profile = profile_dataset(ds)
    dims = profile.dimensions
    assert {"event", "category", "category_top", "item", "user", "region", "hour", "day", "query", "label"} <= set(dims)
    n = ds.interactions.height
    for name in ("event", "item", "user", "hour", "day"):
        assert dims[name].group_counts.total == n, name
    assert dims["item"].n_groups >= ds.items.height
    if ds.users is not None:
        assert dims["user"].n_groups == ds.users.get_column("user_id").n_unique()
    assert dims["category"].group_counts.total + dims["category"].group_counts.rows_without_group == n
    json.dumps(profile.to_dict())
