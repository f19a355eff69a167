"""Drift between the first and last fifth of the time range, checked against scipy and by hand."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import polars as pl
import pytest
from profile_builders import START, catalogue, interactions
from scipy.spatial.distance import jensenshannon

from longtail.data import Dataset
from longtail.profile import compute_drift
from longtail.profile.drift import OTHER, category_timeline


def test_disjoint_mixes_reach_ln2_and_the_middle_is_ignored():
    # Span 0..100 h: first fifth [0, 20], last fifth [80, 100]; hour 50 is in neither.
    rows = [(1, 0, 0, "view"), (1, 0, 20, "view"), (1, 2, 50, "purchase"), (1, 1, 80, "purchase"), (1, 1, 100, "purchase")]
    ds = Dataset(interactions(rows), catalogue(["A > a", "B > b", "C > c"]))
    drift = compute_drift(ds)
    assert drift.mixes["category"].js == pytest.approx(math.log(2))
    assert drift.mixes["category_top"].js == pytest.approx(math.log(2))
    assert drift.mixes["event"].js == pytest.approx(math.log(2))
    assert drift.mixes["category"].first_counts.sum() == 2 and drift.mixes["category"].last_counts.sum() == 2
    assert drift.first_window == (START, START + dt.timedelta(hours=20))
    assert drift.last_window == (START + dt.timedelta(hours=80), START + dt.timedelta(hours=100))
    out = drift.to_dict()
    assert out["category"] == {"js": pytest.approx(math.log(2)), "n_first": 2, "n_last": 2}
    assert "natural log" in out["measure"]


def test_same_mix_has_no_drift():
    rows = [(1, 0, 0, "view"), (1, 1, 1, "click"), (1, 0, 99, "view"), (1, 1, 100, "click")]
    drift = compute_drift(Dataset(interactions(rows), catalogue(["A", "B"])))
    assert drift.mixes["category"].js == pytest.approx(0.0, abs=1e-12)
    assert drift.mixes["event"].js == pytest.approx(0.0, abs=1e-12)


def test_no_drift_without_a_time_span_or_interactions():
    assert compute_drift(Dataset(interactions([(1, 0, 5, "view"), (2, 0, 5, "view")]), catalogue(["A"]))) is None
    assert compute_drift(Dataset(interactions([]), catalogue(["A"]))) is None


def test_drift_matches_scipy_on_a_random_shop(shop):
    drift = compute_drift(shop)
    frame = shop.interactions.to_pandas()
    frame["category"] = frame["item_id"].map(shop.items.to_pandas().set_index("item_id")["category"])
    start, end = frame["timestamp"].min(), frame["timestamp"].max()
    width = (end - start) * 0.2
    first = frame[frame["timestamp"] <= start + width]
    last = frame[frame["timestamp"] >= end - width]
    for column in ("category", "event"):
        both = pd.concat([first[column].value_counts(), last[column].value_counts()], axis=1).fillna(0).to_numpy()
        expected = jensenshannon(both[:, 0], both[:, 1]) ** 2  # natural log by default
        assert drift.mixes[column].js == pytest.approx(expected, abs=1e-12)
        assert drift.mixes[column].first_counts.sum() == len(first)


def test_category_timeline_keeps_largest_categories_and_pools_the_rest():
    rows = [(1, 0, 0, "view"), (1, 0, 1, "view"), (1, 1, 2, "view"), (1, 2, 30, "view"), (1, 3, 31, "view")]
    ds = Dataset(interactions(rows), catalogue(["A > a", "B", "C", None]))
    timeline = category_timeline(ds, max_categories=2)
    assert timeline.columns == ["bucket", "A", "B", OTHER]  # C and the uncategorised item are pooled
    assert timeline.height == 2  # two days
    totals = timeline.select(pl.exclude("bucket").sum()).row(0)
    assert totals == (2, 1, 2)
    assert int(np.asarray(timeline.drop("bucket").to_numpy()).sum()) == len(rows)
