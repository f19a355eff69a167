"""Context augmenters: jitter bounds and distribution, region swap rates."""

import datetime as dt

import numpy as np
import pytest

from longtail.augment import RegionSwap, TimeJitter


def test_time_jitter_on_datetimes_is_bounded_and_uniform():
    ts = np.full(20000, np.datetime64("2024-01-01T00:00:00", "us"))
    ts[0] = np.datetime64("NaT")
    out = TimeJitter(dt.timedelta(hours=2)).augment(ts, 0)
    assert out.dtype == ts.dtype and np.isnat(out[0])
    shift = (out[1:] - ts[1:]) / np.timedelta64(1, "h")
    assert shift.min() >= -2 and shift.max() <= 2
    assert abs(shift.mean()) < 0.03 and shift.var() == pytest.approx(4 / 3, rel=0.05)  # var of U(-2, 2)


def test_time_jitter_seconds_integers_and_floats():
    ts = np.arange(0, 10_000, dtype=np.int64) * 1000
    out = TimeJitter(3).augment(ts, 1)
    assert out.dtype == np.int64 and set(np.unique(out - ts)) == {-3, -2, -1, 0, 1, 2, 3}
    floats = TimeJitter(0.5).augment(ts.astype(float), 1) - ts
    assert np.abs(floats).max() <= 0.5
    day = np.array(["2024-01-01"], dtype="datetime64[s]")
    assert abs((TimeJitter(60).augment(day, 2) - day)[0]) <= np.timedelta64(60, "s")
    assert np.array_equal(TimeJitter(5).augment(ts, 9), TimeJitter(5).augment(ts, 9))


def test_time_jitter_errors():
    with pytest.raises(ValueError, match="max_shift"):
        TimeJitter(-1)
    with pytest.raises(ValueError, match="number"):
        TimeJitter(dt.timedelta(seconds=1)).augment(np.arange(3), 0)
    with pytest.raises(ValueError, match="dtype"):
        TimeJitter(1).augment(np.array(["a"]), 0)


def test_region_swap_rate_and_distribution():
    regions = np.array(["north"] * 8000 + ["south"] * 2000, dtype=object)
    swap = RegionSwap(p=0.3, distribution={"east": 1.0, "west": 3.0})
    out = swap.augment(regions, 3)
    changed = out != regions
    assert abs(changed.mean() - 0.3) < 0.015
    drawn = out[changed]
    assert set(drawn) == {"east", "west"} and abs(np.mean(drawn == "west") - 0.75) < 0.03


def test_region_swap_fitted_frequencies():
    regions = ["a"] * 600 + ["b"] * 400 + [None] * 10
    swap = RegionSwap(p=1.0).fit(regions)
    assert swap.fitted and swap.n_missing_ == 10
    out = swap.augment(regions, 4)
    assert abs(np.mean(out == "a") - 0.6) < 0.04 and None not in set(out)
    # a draw may give back the same region: the expected changed share is p * (1 - q(region))
    kept = RegionSwap(p=0.5).fit(regions[:1000]).augment(regions[:1000], 5)
    expected = 0.5 * (0.6 * 0.4 + 0.4 * 0.6)
    assert abs(np.mean(kept != np.array(regions[:1000], dtype=object)) - expected) < 0.04


def test_region_swap_errors():
    with pytest.raises(ValueError, match="fit"):
        RegionSwap().augment(["a"], 0)
    with pytest.raises(ValueError, match="distribution"):
        RegionSwap(distribution={"a": -1.0})
    with pytest.raises(ValueError, match="p must"):
        RegionSwap(p=1.5)
