"""Advice: each rule fires above its threshold and stays quiet below it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from profile_builders import catalogue, interactions

from longtail.data import Dataset
from longtail.profile import advice as rules
from longtail.profile import profile_dataset
from longtail.profile.dimensions import GroupCounts
from longtail.profile.drift import Drift, MixDrift
from longtail.profile.profiler import DimensionProfile


def _dim(name: str, counts, groups=None, unit: str = "interactions", ordered: bool = False) -> DimensionProfile:
    groups = groups if groups is not None else [f"g{i}" for i in range(len(counts))]
    gc = GroupCounts(name, unit, "observed", pl.Series("group", groups), np.asarray(counts, dtype=np.int64), ordered)
    return DimensionProfile.of(gc)


def _texts(dims, drift=None) -> list[str]:
    return [a.text for a in rules.advise({d.name: d for d in dims}, drift)]


def test_rare_positive_event():
    events = ["view", "click", "cart", "purchase"]
    assert _texts([_dim("event", [900, 70, 16, 14], events, ordered=True)]) == [
        "purchase events are 1.4 % of all events: use a class-balanced or focal loss, or threshold moving"
    ]
    assert _texts([_dim("event", [500, 200, 200, 100], events, ordered=True)]) == []


def test_rare_event_that_is_not_the_highest_and_unused_levels():
    events = ["return", "purchase"]
    assert _texts([_dim("event", [2, 98], events, ordered=True)])[0].startswith("return events are 2 % of all events")
    # A level of the event order nobody used is not a rare event; one used level is no imbalance.
    assert _texts([_dim("event", [50, 50, 0], ["view", "click", "purchase"], ordered=True)]) == []
    assert _texts([_dim("event", [90, 0, 0], ["view", "click", "purchase"], ordered=True)]) == []


def test_long_tail_of_items_and_cold_items():
    # 10 items: the top 2 hold 85 of 100; 3 of 10 items have no interactions (30 % > 20 %).
    found = _texts([_dim("item", [50, 35, 5, 4, 3, 2, 1, 0, 0, 0])])
    assert found[0] == (
        "top 20 % of items take 85 % of interactions: use logQ-corrected sampled softmax or exposure-aware re-ranking"
    )
    assert found[1].startswith("30 % of catalogue items have no interactions")
    assert _texts([_dim("item", [12, 11, 10, 10, 10, 10, 10, 9, 9, 9])]) == []


def test_dominant_region():
    assert _texts([_dim("region", [92, 5, 3], ["UK", "DE", "FR"], unit="users")]) == [
        "one region has 92 % of users: report per-region metrics; re-weight by region"
    ]
    assert _texts([_dim("region", [40, 35, 25])]) == []
    assert _texts([_dim("region", [100])]) == []  # a single region is not an imbalance


def test_category_user_query_label_day_rules():
    assert "largest category has 50x" in _texts([_dim("category", [500, 30, 10])])[0]
    assert _texts([_dim("category", [50, 30, 10])]) == []
    assert _texts([_dim("user", [80, 5, 5, 5, 5])])[0].startswith("top 20 % of users take 80 %")
    assert _texts([_dim("query", [70, 10, 10, 10, 0])])[0].startswith("top 20 % of queries take 70 %")
    assert _texts([_dim("label", [60, 37, 3], ["E", "S", "C"], unit="judgments", ordered=True)])[0].startswith(
        "label 'C' is 3 % of judgments"
    )
    assert _texts([_dim("day", [100, 1, 1, 1, 1, 1, 1, 1, 1, 1], ordered=True)])[0].startswith(
        "the busiest day has 9.2x the mean daily interactions"
    )


def _drift(category_js: float, event_js: float, rows: int = rules.DRIFT_MIN_ROWS) -> Drift:
    def mix(name, js):
        return MixDrift(name, js, ["a"], np.array([rows]), np.array([rows]))

    return Drift((None, None), (None, None), {"category": mix("category", category_js), "event": mix("event", event_js)})


def test_drift_rules_use_the_threshold():
    assert _texts([], _drift(0.12, 0.01)) == ["category mix drifts (JS=0.12): use a temporal split and time-decay weights"]
    assert _texts([], _drift(0.01, 0.2))[0].startswith("event mix drifts (JS=0.20)")
    assert _texts([], _drift(rules.DRIFT_JS, rules.DRIFT_JS)) == []
    # A nearly empty window (stray early timestamps) says nothing about drift.
    assert _texts([], _drift(0.6, 0.6, rows=rules.DRIFT_MIN_ROWS - 1)) == []


def test_thresholds_are_documented():
    text = (Path(__file__).parents[2] / "docs" / "profile.md").read_text()
    thresholds = {name: getattr(rules, name) for name in dir(rules) if name.isupper() and not name.startswith("_") and name != "TYPE_CHECKING"}
    assert len(thresholds) >= 10
    for name, value in thresholds.items():
        assert f"| `{name}` | {value:g} |" in text, f"{name} = {value:g} is not in docs/profile.md"


def test_a_balanced_dataset_gets_no_advice():
    rows = [(u, i, (u * 7 + i) % 240, e) for u in range(8) for i in range(4) for e in ["view", "click", "cart", "purchase"]]
    out = profile_dataset(Dataset(interactions(rows), catalogue(["A", "B", "C", "D"])))
    assert out.advice == []
