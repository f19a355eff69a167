import datetime as dt

import numpy as np
import polars as pl
import pytest
from sklearn.utils.class_weight import compute_sample_weight

from longtail.weights import class_weights, region_weights, sample_weights, time_decay_weights


def test_sample_weights_match_scikit_learn_balanced():
    y = np.random.default_rng(0).choice(4, size=300, p=[0.7, 0.2, 0.08, 0.02])
    weights = sample_weights(y, class_weights(np.bincount(y), "balanced"))
    np.testing.assert_allclose(weights, compute_sample_weight("balanced", y), rtol=1e-12)


def test_sample_weights_from_mapping_with_string_labels():
    y = np.array(["shoes", "hats", "shoes"])
    np.testing.assert_array_equal(sample_weights(y, {"shoes": 0.5, "hats": 2.0}), [0.5, 2.0, 0.5])


@pytest.mark.parametrize(
    ("y", "weights", "message"),
    [
        ([0, 3], [1.0, 2.0], "labels in"),
        ([0.0, 1.0], [1.0, 2.0], "encode y as integers"),
        (["a", "b"], {"a": 1.0}, "no weight for label"),
        ([[0, 1]], [1.0, 2.0], "y must be 1-D"),
    ],
)
def test_sample_weights_reject_mismatched_labels(y, weights, message):
    with pytest.raises(ValueError, match=message):
        sample_weights(y, weights)


def test_time_decay_numeric_matches_formula():
    t = np.random.default_rng(1).uniform(0, 100, size=50)
    weights = time_decay_weights(t, half_life=7.5)
    np.testing.assert_allclose(weights, 0.5 ** ((t.max() - t) / 7.5), rtol=1e-12)
    assert weights.max() == 1.0


def test_time_decay_halves_every_half_life_for_datetimes():
    stamps = np.array(["2024-03-01", "2024-01-31", "2024-01-01", "2023-12-02"], dtype="datetime64[s]")
    np.testing.assert_allclose(time_decay_weights(stamps, dt.timedelta(days=30)), [1, 0.5, 0.25, 0.125])
    np.testing.assert_allclose(time_decay_weights(stamps, np.timedelta64(60, "D")), 2.0 ** -np.array([0, 0.5, 1, 1.5]))


def test_time_decay_accepts_a_polars_utc_column():
    column = pl.Series([dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 11)]).dt.replace_time_zone("UTC")
    np.testing.assert_allclose(time_decay_weights(column, dt.timedelta(days=10)), [0.5, 1.0])


@pytest.mark.parametrize(
    ("stamps", "half_life", "message"),
    [
        ([1.0, 2.0], 0, "half_life must be a positive"),
        ([1.0, np.nan], 1.0, "missing value"),
        (np.array(["2024-01-01", "NaT"], dtype="datetime64[s]"), dt.timedelta(days=1), "missing value"),
        (np.array(["2024-01-01"], dtype="datetime64[s]"), 3.0, "datetime.timedelta"),
        ([1.0, 2.0], dt.timedelta(days=1), "same units|timestamps' units"),
        (np.array(["2024-01-01"], dtype="datetime64[s]"), dt.timedelta(0), "positive"),
    ],
)
def test_time_decay_rejects_bad_input(stamps, half_life, message):
    with pytest.raises(ValueError, match=message):
        time_decay_weights(stamps, half_life)


def region_totals(regions, weights):
    regions = np.asarray(regions)
    return {region: weights[regions == region].sum() / weights.sum() for region in np.unique(regions)}


def test_uniform_region_weights_give_equal_totals():
    regions = np.random.default_rng(2).choice(["north", "south", "east"], size=200, p=[0.8, 0.15, 0.05])
    weights = region_weights(regions)
    assert weights.mean() == pytest.approx(1.0)
    for share in region_totals(regions, weights).values():
        assert share == pytest.approx(1 / 3)


def test_mapping_shares_are_normalised_and_matched():
    regions = ["uk"] * 7 + ["de"] * 2 + ["fr"]
    weights = region_weights(regions, {"uk": 2, "de": 1, "fr": 1})
    assert region_totals(regions, weights) == pytest.approx({"uk": 0.5, "de": 0.25, "fr": 0.25})
    assert weights.mean() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("regions", "target", "message"),
    [
        (["a", None], "uniform", "missing value"),
        (["a", "b"], {"a": 1.0}, r"no share for region\(s\) \['b'\]"),
        (["a"], {"a": 1.0, "z": 1.0}, "no row has"),
        (["a"], {"a": -1.0}, ">= 0"),
        (["a"], "proportional", "target 'proportional' is unknown"),
        (["a", 1], "uniform", "mix value types"),
    ],
)
def test_region_weights_reject_bad_input(regions, target, message):
    with pytest.raises(ValueError, match=message):
        region_weights(regions, target)
