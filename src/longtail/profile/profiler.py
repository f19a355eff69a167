"""Profile a Dataset: imbalance statistics per dimension, drift and advice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from longtail.data import Dataset
from longtail.data import columns as C
from longtail.profile import stats
from longtail.profile.advice import Advice, advise
from longtail.profile.dimensions import GroupCounts, days_without_interactions, dimension_counts
from longtail.profile.drift import Drift, category_timeline, compute_drift

MAX_LISTED_GROUPS = 1000
"""Dimensions with more groups are written to JSON as a histogram of counts plus the largest groups."""
TOP_LISTED_GROUPS = 20
"""How many of the largest groups a histogram lists by name."""


@dataclass(frozen=True)
class DimensionProfile:
    """The group counts of one dimension and their imbalance statistics."""

    group_counts: GroupCounts
    n_groups: int
    gini: float
    imbalance_ratio: float
    normalized_entropy: float
    effective_classes: float
    top20_share: float

    @classmethod
    def of(cls, group_counts: GroupCounts) -> DimensionProfile:
        """Compute every statistic of ``group_counts``."""
        return cls(group_counts=group_counts, **stats.summarize(group_counts.counts))

    @property
    def name(self) -> str:
        return self.group_counts.name

    @property
    def unit(self) -> str:
        return self.group_counts.unit

    def share(self, index: int) -> float:
        """Share of the total held by the group at ``index``."""
        counts = self.group_counts.counts
        return float(counts[index] / counts.sum())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; ``counts`` stays bounded however many groups there are (see ``counts_kind``)."""
        gc = self.group_counts
        kind, counts = ("groups", _listed(gc)) if gc.counts.size <= MAX_LISTED_GROUPS else ("histogram", _histogram(gc))
        out: dict[str, Any] = {
            "unit": gc.unit,
            "reference": gc.reference,
            "n_groups": self.n_groups,
            "total": gc.total,
            "zero_groups": gc.zero_groups,
            "rows_without_group": gc.rows_without_group,
            "counts_kind": kind,
            "counts": counts,
            "gini": self.gini,
            "imbalance_ratio": self.imbalance_ratio,
            "normalized_entropy": self.normalized_entropy,
            "effective_classes": self.effective_classes,
            "top20_share": self.top20_share,
        }
        if gc.name == "day":
            out["days_without_interactions"] = days_without_interactions(gc)
        return out


def _key(value: Any) -> str:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)


def _listed(gc: GroupCounts) -> dict[str, int]:
    return {_key(g): int(n) for g, n in zip(gc.groups.to_list(), gc.counts.tolist())}


def _histogram(gc: GroupCounts) -> dict[str, Any]:
    """Groups per count range ``[0]``, ``[1]``, ``[2, 3]``, ``[4, 7]``, ... and the largest groups by name."""
    counts = gc.counts
    # Bin 0 holds zeros; bin b >= 1 holds counts in [2^(b-1), 2^b - 1].
    bins = np.zeros(counts.size, dtype=np.int64)
    positive = counts > 0
    bins[positive] = np.floor(np.log2(counts[positive])).astype(np.int64) + 1
    per_bin = np.bincount(bins)
    rows = []
    for b, groups in enumerate(per_bin.tolist()):
        low, high = (0, 0) if b == 0 else (2 ** (b - 1), 2**b - 1)
        if groups:
            rows.append({"min": low, "max": high, "groups": groups})
    largest = np.argsort(-counts, kind="stable")[:TOP_LISTED_GROUPS]
    top = {_key(g): int(n) for g, n in zip(gc.groups.gather(largest).to_list(), counts[largest].tolist())}
    return {"bins": rows, "top": top}


@dataclass(frozen=True)
class Profile:
    """The imbalance profile of one dataset."""

    name: str
    n_interactions: int
    n_users: int
    n_items: int
    unknown_item_rows: int
    dimensions: dict[str, DimensionProfile]
    drift: Drift | None
    advice: list[Advice]
    dropped_rows: Any = None
    category_timeline: pl.DataFrame | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object printed by ``longtail profile --format json`` and written to profile.json."""
        out: dict[str, Any] = {
            "dataset": self.name,
            "n_interactions": self.n_interactions,
            "n_users": self.n_users,
            "n_items": self.n_items,
            "unknown_item_rows": self.unknown_item_rows,
        }
        if self.dropped_rows is not None:
            out["dropped_rows"] = self.dropped_rows
        out["dimensions"] = {name: dim.to_dict() for name, dim in self.dimensions.items()}
        out["drift"] = self.drift.to_dict() if self.drift is not None else None
        out["advice"] = [a.to_dict() for a in self.advice]
        return out


def _n_users(ds: Dataset, dimensions: dict[str, DimensionProfile]) -> int:
    if "user" in dimensions:
        return dimensions["user"].n_groups
    if ds.users is not None:
        return ds.users.get_column(C.USER_ID).n_unique()
    return 0


def profile_dataset(ds: Dataset) -> Profile:
    """Measure how imbalanced ``ds`` is along every dimension that applies, plus drift and advice.

    Works on group counts computed with polars, so beyond the interactions
    table itself (held in memory, only the columns used) the extra memory is a
    few temporary columns plus one count per group (item, user).
    """
    dimensions = {name: DimensionProfile.of(gc) for name, gc in dimension_counts(ds).items()}
    drift = compute_drift(ds)
    return Profile(
        name=ds.name,
        n_interactions=ds.interactions.height,
        n_users=_n_users(ds, dimensions),
        n_items=ds.items.height,
        unknown_item_rows=ds.unknown_item_rows,
        dimensions=dimensions,
        drift=drift,
        advice=advise(dimensions, drift),
        dropped_rows=ds.meta.get("dropped_rows"),
        category_timeline=category_timeline(ds),
    )
