"""Dataset-level samplers thin head items and repeat tail items as documented."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np
import polars as pl
import pytest

from longtail.data import Dataset
from longtail.data import columns as C
from longtail.sampling import PopularityUnderSampler, TailOverSampler


def _dataset(seed: int = 0, n: int = 3000, n_items: int = 60) -> Dataset:
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, n_items + 1) ** 1.1
    items = rng.choice(n_items, size=n, p=popularity / popularity.sum())
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    interactions = pl.DataFrame(
        {
            C.USER_ID: rng.integers(0, 200, n),
            C.ITEM_ID: items,
            C.TIMESTAMP: pl.datetime_range(start, start.replace(hour=23), interval="1s", eager=True, time_zone="UTC")[:n],
            C.EVENT: rng.choice(["view", "click", "purchase"], size=n),
        }
    ).with_columns(pl.col(C.TIMESTAMP).dt.cast_time_unit("us"))
    catalogue = pl.DataFrame({C.ITEM_ID: np.arange(n_items + 5), C.TITLE: [f"item {i}" for i in range(n_items + 5)]})
    return Dataset(interactions, catalogue)


def _counts(table: pl.DataFrame) -> dict[int, int]:
    return dict(table.group_by(C.ITEM_ID).len().iter_rows())


def test_under_sampler_caps_every_item_and_keeps_the_rest():
    data = _dataset()
    sampler = PopularityUnderSampler(max_per_item=40, random_state=0)
    out = sampler.fit_resample(data)
    before, after = _counts(data.interactions), _counts(out.interactions)
    assert after == {item: min(count, 40) for item, count in before.items()}
    assert sampler.removed_rows_ == data.interactions.height - out.interactions.height > 0
    assert out.interactions.equals(data.interactions[sampler.sample_indices_])
    assert (np.diff(sampler.sample_indices_) > 0).all()
    assert out.items.equals(data.items)


def test_under_sampler_quantile_cap_and_reproducibility():
    data = _dataset(1)
    counts = np.array(list(_counts(data.interactions).values()))
    sampler = PopularityUnderSampler(quantile=0.8, random_state=3)
    first = sampler.fit_resample(data.interactions)
    assert sampler.cap_ == math.ceil(np.quantile(counts, 0.8))
    again = PopularityUnderSampler(quantile=0.8, random_state=3).fit_resample(data.interactions)
    assert isinstance(first, pl.DataFrame) and first.equals(again)


def test_under_sampler_picks_rows_uniformly_within_an_item():
    data = _dataset(2, n=2000, n_items=5)
    head = data.interactions.with_row_index("row").filter(pl.col(C.ITEM_ID) == 0)["row"].to_numpy()
    hits = np.zeros(data.interactions.height)
    for seed in range(200):
        sampler = PopularityUnderSampler(max_per_item=head.size // 2, random_state=seed)
        sampler.fit_resample(data)
        hits[sampler.sample_indices_] += 1
    share = hits[head] / 200
    assert abs(share.mean() - (head.size // 2) / head.size) < 1e-9
    assert share.std() < 0.06  # binomial(200, 0.5) spread is 0.035


def test_tail_over_sampler_lifts_every_seen_item_to_the_minimum():
    data = _dataset(3)
    sampler = TailOverSampler(min_per_item=25, random_state=0)
    out = sampler.fit_resample(data)
    before, after = _counts(data.interactions), _counts(out.interactions)
    assert after == {item: max(count, 25) for item, count in before.items()}
    idx = sampler.sample_indices_
    np.testing.assert_array_equal(idx[: data.interactions.height], np.arange(data.interactions.height))
    copies = data.interactions[idx[data.interactions.height :]]
    assert copies.height == sampler.added_rows_ > 0
    assert sampler.unreachable_ == data.items.height - len(before)
    assert out.interactions.equals(data.interactions[idx])


def test_tail_over_sampler_quantile_floor_and_reproducibility():
    data = _dataset(5)
    before = _counts(data.interactions)
    sampler = TailOverSampler(quantile=0.6, random_state=2)
    out = sampler.fit_resample(data.interactions)
    floor = math.ceil(np.quantile(np.array(list(before.values())), 0.6))
    assert sampler.floor_ == floor
    assert _counts(out) == {item: max(count, floor) for item, count in before.items()}
    again = TailOverSampler(quantile=0.6, random_state=2).fit_resample(data.interactions)
    other = TailOverSampler(quantile=0.6, random_state=3).fit_resample(data.interactions)
    assert out.equals(again) and not out.equals(other)


def test_samplers_balance_another_column():
    data = _dataset(4).interactions
    out = PopularityUnderSampler(max_per_item=100, column=C.EVENT, random_state=0).fit_resample(data)
    assert set(dict(out.group_by(C.EVENT).len().iter_rows()).values()) == {100}


@pytest.mark.parametrize(
    "make, fragment",
    [
        (lambda: PopularityUnderSampler(), "exactly one"),
        (lambda: PopularityUnderSampler(max_per_item=3, quantile=0.5), "exactly one"),
        (lambda: PopularityUnderSampler(quantile=1.5), "quantile"),
        (lambda: PopularityUnderSampler(max_per_item=0), "max_per_item"),
        (lambda: TailOverSampler(min_per_item=0), "min_per_item"),
        (lambda: TailOverSampler(), "exactly one"),
        (lambda: TailOverSampler(min_per_item=3, quantile=0.5), "exactly one"),
        (lambda: TailOverSampler(quantile=0.0), "quantile"),
    ],
)
def test_bad_parameters_raise_value_error(make, fragment):
    with pytest.raises(ValueError, match=fragment):
        make()


def test_bad_data_raises_value_error():
    with pytest.raises(ValueError, match="Dataset"):
        TailOverSampler(min_per_item=2).fit_resample(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="column"):
        TailOverSampler(min_per_item=2, column="shop").fit_resample(_dataset().interactions)
