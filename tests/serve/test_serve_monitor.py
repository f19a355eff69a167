"""The monitor's statistics against direct float64 computations, window expiry, and journal replay."""

from __future__ import annotations

import math

import numpy as np
import pytest
from fastapi.testclient import TestClient
from serve_samples import CATEGORIES, ITEM_CATEGORY, ITEM_IDS

from longtail.serve import ServeConfig, create_app
from longtail.serve.journal import Journal
from longtail.serve.models import load_served
from longtail.serve.monitor import Monitor

POPULARITY = np.asarray([6, 3, 0, 2, 1, 2, 1, 1, 0, 1], dtype=float)


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def gini_reference(x):
    x = np.asarray(x, dtype=np.float64)
    return np.abs(x[:, None] - x[None, :]).sum() / (2 * x.size**2 * x.mean())


def tail_reference(pop):
    order = np.argsort(-pop, kind="stable")
    tail = np.ones(pop.size, dtype=bool)
    tail[order[: math.ceil(0.2 * pop.size)]] = False
    return tail


def bucket_reference(pop):
    """head / torso / tail = a third of the interactions before each item (most popular first), 3 = cold."""
    order = np.argsort(-pop, kind="stable")
    before = (np.cumsum(pop[order]) - pop[order]) / pop.sum()
    codes = np.empty(pop.size, dtype=int)
    codes[order] = np.minimum((before * 3).astype(int), 2)
    codes[pop == 0] = 3
    return codes


@pytest.fixture
def monitor(model_dir):
    served = load_served(model_dir)
    clock = Clock()
    config = ServeConfig(window_seconds=60, window_buckets=6, weight_beta=0.9, frequency_alpha=0.5)
    return Monitor(served.catalogue, ["GB", "DE", "FR"], config, clock=clock), clock


def test_exposure_statistics_match_reference(monitor):
    mon, _ = monitor
    rng = np.random.default_rng(0)
    exposure = np.zeros(10)
    regions = {"GB": 0, "DE": 0, "unknown": 0, "other": 0}
    for _ in range(40):
        items = rng.choice(10, size=4, replace=False)
        region = ["GB", "DE", None, "XX"][int(rng.integers(4))]
        mon.record_served(np.concatenate([items, [-1]]), region)
        np.add.at(exposure, items, 1)
        regions[{None: "unknown", "XX": "other"}.get(region, region)] += 1
    stats = mon.snapshot()["exposure"]
    assert stats["slots"] == 160 and stats["lists"] == 40
    assert stats["gini"] == pytest.approx(gini_reference(exposure))
    assert stats["tail_share"] == pytest.approx(exposure[tail_reference(POPULARITY)].sum() / 160)
    assert stats["item_coverage"] == pytest.approx((exposure > 0).mean())
    top = np.sort(exposure)[::-1][:2].sum() / 160  # ceil(0.2 * 10) items
    assert stats["top20_share"] == pytest.approx(top)
    categories = {c.split(" > ")[0] for c in CATEGORIES}
    want = {c: sum(exposure[i] for i in range(10) if CATEGORIES[ITEM_CATEGORY[i]].startswith(c)) / 160 for c in categories}
    assert stats["category_mix"] == pytest.approx(want)
    assert stats["region_mix"] == pytest.approx({k: v / 40 for k, v in regions.items() if v})


def test_event_rates_weights_and_frequencies_match_reference(monitor):
    mon, _ = monitor
    rng = np.random.default_rng(1)
    counts = {kind: np.zeros(11) for kind in ("impression", "click", "purchase")}
    batches = []
    for _ in range(15):
        kinds = list(rng.choice(["impression", "click", "purchase"], size=5, p=[0.6, 0.3, 0.1]))
        items = rng.integers(-1, 10, size=5)
        mon.record_events(kinds, items, ["GB"] * 5)
        batches.append((kinds, items))
        for kind, item in zip(kinds, items):
            counts[kind][item if item >= 0 else 10] += 1
    stats = mon.snapshot()
    events = stats["events"]
    assert events["counts"] == {k: int(v.sum()) for k, v in counts.items()}
    assert events["not_in_catalogue"] == int(sum(v[10] for v in counts.values()))
    codes = bucket_reference(POPULARITY)
    for code, name in enumerate(["head", "torso", "tail", "cold"]):
        shown, clicked, bought = (counts[k][:10][codes == code].sum() for k in ("impression", "click", "purchase"))
        row = events["by_popularity"][name]
        assert (row["impressions"], row["clicks"], row["purchases"]) == (shown, clicked, bought)
        assert row["click_rate"] == (pytest.approx(clicked / shown) if shown else None)
    positives = counts["click"][:10] + counts["purchase"][:10]
    per_category = np.asarray([positives[np.asarray(ITEM_CATEGORY) == c].sum() for c in range(3)])
    raw = np.where(per_category > 0, (1 - 0.9) / (1 - 0.9 ** per_category), 0.0)
    want = raw / raw.sum() * (per_category > 0).sum()
    assert stats["training"]["class_weights"]["weights"] == pytest.approx(dict(zip(sorted(CATEGORIES), want)))
    assert stats["training"]["item_frequency"]["steps"] == 15
    from longtail.serve.frequency import ItemFrequencyEstimator

    reference = ItemFrequencyEstimator(10, alpha=0.5)
    for step, (kinds, items) in enumerate(batches):
        keep = np.isin(kinds, ["click", "purchase"]) & (items >= 0)
        reference.update(items[keep], step)
    assert mon.snapshot(include_items=True)["training"]["item_frequency"]["log_q"] == pytest.approx(reference.log_q().tolist())


def test_window_expires_but_totals_remain(monitor):
    mon, clock = monitor
    mon.record_served(np.asarray([0, 1]), "GB", cold_start="region")
    mon.record_events(["click"], np.asarray([0]), ["GB"])
    clock.now += 30
    assert mon.snapshot()["exposure"]["slots"] == 2
    clock.now += 31
    stats = mon.snapshot()
    assert stats["exposure"]["slots"] == 0 and stats["exposure"]["gini"] is None
    assert stats["events"]["counts"]["click"] == 0 and stats["events"]["click_rate"] is None
    assert stats["totals"] == {"lists_served": 1, "events": {"click": 1}, "cold_start": {"region": 1}, "event_batches": 1}


def test_restart_replays_the_journal_window(model_dir, tmp_path):
    path = tmp_path / "events.sqlite"
    clock = Clock()
    journal = Journal(path)
    old = {"type": "click", "user_id": 1, "item_id": 10}
    journal.append([old] * 4, received_at=clock.now - 3600)  # outside the window
    journal.append([{"type": "impression", "user_id": 1, "item_id": 20}, {"type": "click", "user_id": 2, "item_id": 20}],
                   received_at=clock.now - 30)
    journal.append([{"type": "purchase", "user_id": 1, "item_id": "gone"}], received_at=clock.now - 10)
    journal.close()
    app = create_app(model_dir, ServeConfig(journal=path, window_seconds=600), clock=clock)
    assert app.state.service.replayed == 3
    with TestClient(app) as c:
        events = c.get("/stats").json()["events"]
    assert events["counts"] == {"impression": 1, "click": 1, "purchase": 1}
    assert events["not_in_catalogue"] == 1
    assert events["by_popularity"]["torso"]["click_rate"] == 1.0  # item 20 is in the torso
    assert ITEM_IDS[1] == 20
