"""How the mix of categories and events changes over time.

Drift compares the first and the last fifth of the time range
``[first interaction, last interaction]`` (both closed windows of a fifth of
the span each) with the Jensen-Shannon divergence in nats (natural log), so
0 means the same mix and ln 2 ~ 0.693 means disjoint mixes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from longtail.data import Dataset
from longtail.data import columns as C
from longtail.profile.dimensions import has_categories, has_category_paths, has_interactions
from longtail.profile.stats import js_divergence

WINDOW_FRACTION = 0.2
DAILY_BUCKETS_UP_TO = timedelta(days=60)
TIMELINE_CATEGORIES = 8
OTHER = "(other)"
_WINDOW = "_window"
_BUCKET = "bucket"


@dataclass(frozen=True)
class MixDrift:
    """The mix of one dimension in the first and in the last window, and their JS divergence (nats)."""

    name: str
    js: float
    groups: list
    first_counts: np.ndarray
    last_counts: np.ndarray

    def to_dict(self) -> dict:
        """JSON-ready summary: the divergence and how many interactions each window holds."""
        return {"js": self.js, "n_first": int(self.first_counts.sum()), "n_last": int(self.last_counts.sum())}


@dataclass(frozen=True)
class Drift:
    """Drift of the category and event mixes between the first and last fifth of the time range."""

    first_window: tuple[datetime, datetime]
    last_window: tuple[datetime, datetime]
    mixes: dict[str, MixDrift]

    def to_dict(self) -> dict:
        """JSON-ready: the windows (ISO 8601, UTC), the log base and one entry per mix."""
        return {
            "measure": "jensen-shannon divergence, natural log (0 .. ln 2)",
            "first_window": [t.isoformat() for t in self.first_window],
            "last_window": [t.isoformat() for t in self.last_window],
            **{name: mix.to_dict() for name, mix in self.mixes.items()},
        }


def _windows(ds: Dataset) -> tuple[datetime, datetime, datetime, datetime] | None:
    ts = ds.interactions.get_column(C.TIMESTAMP)
    start, end = ts.min(), ts.max()
    if start is None or start == end:
        return None
    width = (end - start) * WINDOW_FRACTION
    return start, start + width, end - width, end


def _mix(windowed: pl.LazyFrame, name: str, key: pl.Expr) -> MixDrift | None:
    """Counts of ``key`` per window (0 = first, 1 = last) over the union of groups seen in either."""
    table = (
        windowed.group_by(_WINDOW, key.alias("_group"))
        .agg(pl.len().alias("_n"))
        .filter(pl.col("_group").is_not_null())
        .collect()
        .pivot(on=_WINDOW, index="_group", values="_n")
        .fill_null(0)
        .sort("_group")
    )
    first = table.get_column("0").to_numpy() if "0" in table.columns else np.zeros(table.height)
    last = table.get_column("1").to_numpy() if "1" in table.columns else np.zeros(table.height)
    if first.sum() == 0 or last.sum() == 0:
        return None
    return MixDrift(name, js_divergence(first, last), table.get_column("_group").to_list(), first, last)


def _with_categories(ds: Dataset, frame: pl.LazyFrame) -> pl.LazyFrame:
    """Attach the leaf and top-level category of each interaction's item (null when unknown).

    Categorical columns keep the joined result at four bytes per row however long the names are.
    """
    catalogue = ds.items.lazy().select(
        C.ITEM_ID,
        ds.leaf_category().cast(pl.Categorical).alias("_category"),
        ds.top_category().cast(pl.Categorical).alias("_category_top"),
    )
    return frame.join(catalogue, on=C.ITEM_ID, how="left")


def compute_drift(ds: Dataset) -> Drift | None:
    """Category (leaf and top level) and event mix drift; None without interactions or with a zero time span."""
    if not has_interactions(ds):
        return None
    bounds = _windows(ds)
    if bounds is None:
        return None
    start, first_end, last_start, end = bounds
    ts = pl.col(C.TIMESTAMP)
    windowed = (
        ds.interactions.lazy()
        .select(C.ITEM_ID, C.EVENT, C.TIMESTAMP)
        .with_columns(pl.when(ts <= first_end).then(0).when(ts >= last_start).then(1).alias(_WINDOW))
        .filter(pl.col(_WINDOW).is_not_null())
        .with_columns(pl.col(_WINDOW).cast(pl.String))
    )
    mixes = {"event": _mix(windowed, "event", pl.col(C.EVENT))}
    if has_categories(ds):
        with_cats = _with_categories(ds, windowed)
        mixes["category"] = _mix(with_cats, "category", pl.col("_category"))
        if has_category_paths(ds):
            mixes["category_top"] = _mix(with_cats, "category_top", pl.col("_category_top"))
    found = {name: mix for name, mix in mixes.items() if mix is not None}
    if not found:
        return None
    return Drift((start, first_end), (last_start, end), found)


def category_timeline(ds: Dataset, max_categories: int = TIMELINE_CATEGORIES) -> pl.DataFrame | None:
    """Interactions per time bucket and top-level category: columns ``bucket``, one per category, ``(other)``.

    Buckets are days when the data spans at most 60 days, else weeks
    (starting Monday, UTC). The ``max_categories`` largest categories keep
    their own column; the rest, and interactions without a category, go to
    ``(other)``. None without interactions or categories.
    """
    if not (has_interactions(ds) and has_categories(ds)):
        return None
    ts = ds.interactions.get_column(C.TIMESTAMP)
    every = "1d" if ts.max() - ts.min() <= DAILY_BUCKETS_UP_TO else "1w"
    counts = (
        _with_categories(ds, ds.interactions.lazy().select(C.ITEM_ID, C.TIMESTAMP))
        .group_by(pl.col(C.TIMESTAMP).dt.truncate(every).alias(_BUCKET), "_category_top")
        .agg(pl.len().alias("_n"))
        .collect()
    )
    ranked = counts.drop_nulls("_category_top").group_by("_category_top").agg(pl.col("_n").sum()).sort(
        ["_n", "_category_top"], descending=[True, False]
    )
    keep = ranked.head(max_categories).get_column("_category_top").to_list()
    named = pl.when(pl.col("_category_top").is_in(keep)).then(pl.col("_category_top")).otherwise(pl.lit(OTHER))
    wide = (
        counts.group_by(_BUCKET, named.alias("_group"))
        .agg(pl.col("_n").sum())
        .pivot(on="_group", index=_BUCKET, values="_n")
        .fill_null(0)
        .sort(_BUCKET)
    )
    columns = [c for c in [*keep, OTHER] if c in wide.columns]
    return wide.select(_BUCKET, *columns)
