"""Group counts per imbalance dimension, computed with polars ``group_by``.

Every dimension counts one unit (interactions, items, users or judgments)
per group. The groups include every group that exists in a reference,
observed or not: every catalogue item, every catalogue category, every user
and every region of the users table, every label of the event order, all 24
hours. Days, queries and relevance labels have no reference, so their groups
are the ones observed. ``category_top`` appears only when categories are
paths, ``hour`` only when timestamps carry a time of day. Rows that cannot be
given a group (an interaction on an item with no category, a browse without
a query) are counted in ``rows_without_group``, never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from longtail.data import Dataset
from longtail.data import columns as C

GROUP = "group"
COUNT = "n"


@dataclass(frozen=True)
class GroupCounts:
    """How many ``unit`` fall in each group of one dimension.

    ``groups`` and ``counts`` are aligned; ``ordered`` dimensions (event,
    hour, day, label) keep their natural order, the others are sorted by
    count, largest first. ``reference`` says where the list of groups came from.
    """

    name: str
    unit: str
    reference: str
    groups: pl.Series
    counts: np.ndarray
    ordered: bool = False
    rows_without_group: int = 0

    @property
    def total(self) -> int:
        """Sum of the counts (units that have a group)."""
        return int(self.counts.sum())

    @property
    def zero_groups(self) -> int:
        """Groups that exist in the reference but were never observed."""
        return int((self.counts == 0).sum())


def _finish(
    name: str,
    unit: str,
    reference: str,
    table: pl.DataFrame,
    *,
    ordered: bool = False,
    rows_without_group: int = 0,
) -> GroupCounts:
    """Turn a (group, n) table into GroupCounts: zeros filled, sorted unless naturally ordered."""
    table = table.with_columns(pl.col(COUNT).fill_null(0).cast(pl.Int64)).sort(GROUP)
    if not ordered:
        # Two single-key sorts (the second stable) are much faster than one two-key sort on millions of groups.
        table = table.sort(COUNT, descending=True, maintain_order=True)
    return GroupCounts(
        name=name,
        unit=unit,
        reference=reference,
        groups=table.get_column(GROUP),
        counts=table.get_column(COUNT).to_numpy(),
        ordered=ordered,
        rows_without_group=int(rows_without_group),
    )


def _observed(frame: pl.DataFrame, key: pl.Expr, *, many_groups: bool = False) -> tuple[pl.DataFrame, int]:
    """Counts per non-null group value of ``key``, and the number of rows whose value is null.

    ``many_groups`` (item and user ids, queries) sorts the values and counts
    runs instead of hashing: with millions of groups on few cores that is
    several times faster than ``group_by`` and leaves the groups in order.
    """
    if many_groups:
        runs = frame.select(key.alias(GROUP).sort().rle()).unnest(GROUP)
        counts = runs.select(pl.col("value").alias(GROUP), pl.col("len").alias(COUNT))
    else:
        counts = frame.group_by(key.alias(GROUP)).agg(pl.len().alias(COUNT))
    missing = counts.filter(pl.col(GROUP).is_null()).get_column(COUNT).sum()
    return counts.filter(pl.col(GROUP).is_not_null()), int(missing or 0)


def _with_reference(observed: pl.DataFrame, reference: pl.Series) -> pl.DataFrame:
    """Add every group of ``reference`` that was not observed, with count 0."""
    ref = pl.DataFrame({GROUP: reference}).unique().filter(pl.col(GROUP).is_not_null())
    ref = ref.with_columns(pl.col(GROUP).cast(observed.schema[GROUP]))
    return ref.join(observed, on=GROUP, how="full", coalesce=True)


def has_interactions(ds: Dataset) -> bool:
    """True when the dataset has at least one interaction."""
    return ds.interactions.height > 0


def has_categories(ds: Dataset) -> bool:
    """True when the catalogue has a category column with at least one value."""
    return C.CATEGORY in ds.items.columns and ds.items.get_column(C.CATEGORY).drop_nulls().len() > 0


def has_category_paths(ds: Dataset) -> bool:
    """True when some category is a path (contains the separator), so the top level differs from the leaf."""
    return has_categories(ds) and bool(ds.items.get_column(C.CATEGORY).str.contains(ds.category_sep, literal=True).any())


def has_time_of_day(ds: Dataset) -> bool:
    """True unless every timestamp is at midnight (a log with dates only, where hours mean nothing)."""
    ts = pl.col(C.TIMESTAMP)
    return bool(ds.interactions.select((ts != ts.dt.truncate("1d")).any()).item())


def item_counts(ds: Dataset) -> GroupCounts:
    """Interactions per item, over every catalogue item (and any unknown item that was interacted with)."""
    observed, _ = _observed(ds.interactions, pl.col(C.ITEM_ID), many_groups=True)
    table = _with_reference(observed, ds.items.get_column(C.ITEM_ID))
    return _finish("item", "interactions", "catalogue", table)


def category_counts(ds: Dataset, items_per_group: GroupCounts | None, *, top_level: bool) -> GroupCounts:
    """Interactions per category (from the per-item counts), or items per category when there are none.

    ``top_level`` picks the first element of the category path; otherwise
    the full path identifies the leaf (leaf names may repeat under
    different parents).
    """
    name = "category_top" if top_level else "category"
    key = ds.top_category() if top_level else ds.leaf_category()
    catalogue = ds.items.select(C.ITEM_ID, key.alias(GROUP))
    reference = catalogue.get_column(GROUP)
    if items_per_group is None:
        observed, missing = _observed(catalogue, pl.col(GROUP))
        return _finish(name, "items", "catalogue", _with_reference(observed, reference), rows_without_group=missing)

    per_item = pl.DataFrame({C.ITEM_ID: items_per_group.groups, COUNT: items_per_group.counts})
    joined = per_item.join(catalogue, on=C.ITEM_ID, how="left")
    missing = int(joined.filter(pl.col(GROUP).is_null()).get_column(COUNT).sum())
    observed = joined.filter(pl.col(GROUP).is_not_null()).group_by(GROUP).agg(pl.col(COUNT).sum())
    table = _with_reference(observed, reference)
    return _finish(name, "interactions", "catalogue", table, rows_without_group=missing)


def user_counts(ds: Dataset) -> GroupCounts:
    """Interactions per user, over every user of the users table when there is one."""
    observed, _ = _observed(ds.interactions, pl.col(C.USER_ID), many_groups=True)
    if ds.users is None:
        return _finish("user", "interactions", "observed", observed)
    table = _with_reference(observed, ds.users.get_column(C.USER_ID))
    return _finish("user", "interactions", "users table", table)


def region_counts(ds: Dataset) -> GroupCounts | None:
    """Interactions per region (interactions.region), else users per region (users.region); None when neither exists."""
    user_regions = ds.users.get_column(C.REGION) if ds.users is not None and C.REGION in ds.users.columns else None
    if C.REGION in ds.interactions.columns and ds.interactions.get_column(C.REGION).drop_nulls().len() > 0:
        observed, missing = _observed(ds.interactions, pl.col(C.REGION))
        if user_regions is None:
            return _finish("region", "interactions", "observed", observed, rows_without_group=missing)
        table = _with_reference(observed, user_regions)
        return _finish("region", "interactions", "users table", table, rows_without_group=missing)
    if user_regions is not None and user_regions.drop_nulls().len() > 0:
        observed, missing = _observed(ds.users.unique(C.USER_ID), pl.col(C.REGION))
        return _finish("region", "users", "users table", observed, rows_without_group=missing)
    return None


def event_counts(ds: Dataset) -> GroupCounts:
    """Interactions per event label, over every label of the event order (kept in that order)."""
    observed, _ = _observed(ds.interactions, pl.col(C.EVENT))
    rank = pl.DataFrame({GROUP: list(ds.event_order), "_rank": range(len(ds.event_order))})
    table = rank.join(observed, on=GROUP, how="left").sort("_rank")
    return GroupCounts(
        name="event",
        unit="interactions",
        reference="event order",
        groups=table.get_column(GROUP),
        counts=table.get_column(COUNT).fill_null(0).cast(pl.Int64).to_numpy(),
        ordered=True,
    )


def hour_counts(ds: Dataset) -> GroupCounts:
    """Interactions per hour of the day (UTC), all 24 hours."""
    observed, _ = _observed(ds.interactions, pl.col(C.TIMESTAMP).dt.hour().cast(pl.Int64))
    table = _with_reference(observed, pl.Series(GROUP, range(24), dtype=pl.Int64))
    return _finish("hour", "interactions", "24 hours", table, ordered=True)


def day_counts(ds: Dataset) -> GroupCounts:
    """Interactions per calendar day (UTC), over the days observed.

    Days have no reference table, so a day without interactions is not a
    group (an outage or a gap between two exports would otherwise pass for
    imbalance); :func:`days_without_interactions` reports such gaps instead.
    """
    observed, _ = _observed(ds.interactions, pl.col(C.TIMESTAMP).dt.date())
    return _finish("day", "interactions", "observed", observed, ordered=True)


def days_without_interactions(day: GroupCounts) -> int:
    """Calendar days between the first and the last observed day that have no interaction."""
    dates = day.groups
    return (dates.max() - dates.min()).days + 1 - dates.len()


def query_counts(ds: Dataset) -> GroupCounts | None:
    """Interactions per query (interactions.query), else judgments per query; None when neither exists."""
    if C.QUERY in ds.interactions.columns and ds.interactions.get_column(C.QUERY).drop_nulls().len() > 0:
        observed, missing = _observed(ds.interactions, pl.col(C.QUERY), many_groups=True)
        return _finish("query", "interactions", "observed", observed, rows_without_group=missing)
    if ds.judgments is not None and ds.judgments.height > 0:
        observed, _ = _observed(ds.judgments, pl.col(C.QUERY), many_groups=True)
        return _finish("query", "judgments", "observed", observed)
    return None


def label_counts(ds: Dataset) -> GroupCounts | None:
    """Judgments per relevance label; None without judgments."""
    if ds.judgments is None or ds.judgments.height == 0:
        return None
    observed, _ = _observed(ds.judgments, pl.col(C.LABEL))
    return _finish("label", "judgments", "observed", observed, ordered=True)


def dimension_counts(ds: Dataset) -> dict[str, GroupCounts]:
    """Group counts of every dimension that applies to ``ds``, in a fixed order; the others are left out."""
    found: dict[str, GroupCounts | None] = {}
    items = None
    if has_interactions(ds):
        found["event"] = event_counts(ds)
        items = item_counts(ds)
    if has_categories(ds):
        found["category"] = category_counts(ds, items, top_level=False)
    if has_category_paths(ds):
        found["category_top"] = category_counts(ds, items, top_level=True)
    if items is not None:
        found["item"] = items
        found["user"] = user_counts(ds)
    found["region"] = region_counts(ds)
    if has_interactions(ds):
        found["hour"] = hour_counts(ds) if has_time_of_day(ds) else None
        found["day"] = day_counts(ds)
    found["query"] = query_counts(ds)
    found["label"] = label_counts(ds)
    return {name: counts for name, counts in found.items() if counts is not None and counts.total > 0}
