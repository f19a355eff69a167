"""The terminal table with its readings, and the PNG plots."""

from __future__ import annotations

import numpy as np
import pytest
from rich.console import Console

from longtail.profile import profile_dataset
from longtail.profile.plots import lorenz_curve, write_plots
from longtail.profile.report import reading, render


def test_render_shows_statistics_readings_drift_and_advice(shop):
    profile = profile_dataset(shop)
    console = Console(record=True, width=120)
    render(profile, console)
    text = " ".join(console.export_text().split())
    item = profile.dimensions["item"]
    assert f"{item.gini:.3f}" in text
    for dim in profile.dimensions.values():
        assert reading(dim) in text
    assert "drift: first vs last fifth" in text
    for advice in profile.advice:
        assert advice.text in text


def test_item_reading_in_plain_words(shop):
    item = profile_dataset(shop).dimensions["item"]
    share = round(100 * item.top20_share, 1)
    assert reading(item).startswith(f"item popularity: top 20 % of items take {share:g} % of interactions — ")


def test_event_and_hour_readings(shop):
    dims = profile_dataset(shop).dimensions
    purchase_share = dims["event"].share(-1)
    assert reading(dims["event"]).startswith(
        f"event labels: purchase (the highest event) is {100 * purchase_share:.1f} % of events; the most common, view, "
    )
    assert "UTC" in reading(dims["hour"])


def test_lorenz_curve_area_gives_the_gini(shop):
    item = profile_dataset(shop).dimensions["item"]
    x, y = lorenz_curve(item)
    assert (x[0], y[0], x[-1]) == (0.0, 0.0, 1.0) and y[-1] == pytest.approx(1.0)
    assert np.all(np.diff(y) >= 0)
    area = float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2))
    assert 1 - 2 * area == pytest.approx(item.gini, abs=1e-12)


@pytest.mark.slow  # draws a dozen PNGs with matplotlib
def test_write_plots_makes_non_empty_pngs(shop, tmp_path):
    written = write_plots(profile_dataset(shop), tmp_path / "plots")
    names = {p.name for p in written}
    assert {"lorenz_item.png", "category_mix.png", "bars_item.png", "bars_hour.png", "bars_region.png"} <= names
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 1000


def test_day_reading_and_json_report_days_without_interactions():
    from profile_builders import catalogue, interactions

    from longtail.data import Dataset

    # 40 events on day 0, 10 on day 1, none on days 2..4, 10 on day 5.
    rows = [(1, 0, 1, "view")] * 40 + [(1, 0, 25, "view")] * 10 + [(1, 0, 5 * 24 + 3, "view")] * 10
    day = profile_dataset(Dataset(interactions(rows), catalogue(["A"]))).dimensions["day"]
    assert day.n_groups == 3 and day.to_dict()["days_without_interactions"] == 3
    assert reading(day) == (
        "day (UTC): busiest day 2024-03-01 has 2.0x the daily mean; 3 of 6 days in the range have none "
        "(not counted as groups)"
    )
