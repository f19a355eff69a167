"""Turn findings of a profile into remedies, in plain words.

Each rule compares one statistic with a named threshold (documented in
docs/profile.md) and, when it is crossed, says what was found and what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from longtail.profile.wording import percent, top_phrase

if TYPE_CHECKING:
    from longtail.profile.drift import Drift
    from longtail.profile.profiler import DimensionProfile

RARE_EVENT_SHARE = 0.05
"""The highest event (e.g. purchase) below this share of all events is rare."""
ITEM_TOP20_SHARE = 0.6
"""Top 20 % of items taking more than this share of interactions is a long tail."""
COLD_ITEM_SHARE = 0.2
"""More than this share of catalogue items without any interaction is a cold-start problem."""
USER_TOP20_SHARE = 0.6
"""Top 20 % of users making more than this share of interactions is dominated by heavy users."""
CATEGORY_IMBALANCE_RATIO = 10.0
"""Largest over smallest non-empty category above this is an imbalanced class set."""
DOMINANT_REGION_SHARE = 0.5
"""One region holding more than this share dominates."""
QUERY_TOP20_SHARE = 0.6
"""Top 20 % of queries taking more than this share means head queries dominate."""
RARE_LABEL_SHARE = 0.05
"""A relevance label below this share of judgments is rare."""
DAY_PEAK_RATIO = 5.0
"""The busiest day above this multiple of the mean day is a traffic spike."""
DRIFT_JS = 0.05
"""Jensen-Shannon divergence (nats) between first and last fifth above this is drift."""
DRIFT_MIN_ROWS = 100
"""Drift is only advised on when both windows hold at least this many interactions."""


@dataclass(frozen=True)
class Advice:
    """One finding and the remedy for it."""

    dimension: str
    finding: str
    remedy: str

    @property
    def text(self) -> str:
        """``'<finding>: <remedy>'``."""
        return f"{self.finding}: {self.remedy}"

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"dimension": self.dimension, "finding": self.finding, "remedy": self.remedy, "text": self.text}


def _event(dim: DimensionProfile) -> Advice | None:
    """The highest observed event when it is rare, else the rarest observed one when that is."""
    counts = dim.group_counts.counts
    observed = np.flatnonzero(counts)
    if observed.size < 2:
        return None
    rare = observed[-1]
    if dim.share(rare) >= RARE_EVENT_SHARE:
        rare = observed[counts[observed].argmin()]
        if dim.share(rare) >= RARE_EVENT_SHARE:
            return None
    return Advice(
        "event",
        f"{dim.group_counts.groups[int(rare)]} events are {percent(dim.share(rare))} of all events",
        "use a class-balanced or focal loss, or threshold moving",
    )


def _item(dim: DimensionProfile) -> list[Advice]:
    found = []
    if dim.top20_share > ITEM_TOP20_SHARE:
        found.append(
            Advice(
                "item",
                top_phrase("item", dim.top20_share, dim.unit),
                "use logQ-corrected sampled softmax or exposure-aware re-ranking",
            )
        )
    cold = dim.group_counts.zero_groups / dim.n_groups
    if cold > COLD_ITEM_SHARE:
        found.append(
            Advice(
                "item",
                f"{percent(cold)} of catalogue items have no {dim.unit}",
                "use product text (content) features so cold items can be scored, and report metrics on them separately",
            )
        )
    return found


def _user(dim: DimensionProfile) -> Advice | None:
    if dim.top20_share <= USER_TOP20_SHARE:
        return None
    return Advice(
        "user",
        top_phrase("user", dim.top20_share, dim.unit),
        "cap interactions per user in training and average metrics per user",
    )


def _category(dim: DimensionProfile) -> Advice | None:
    if dim.n_groups < 2 or dim.imbalance_ratio <= CATEGORY_IMBALANCE_RATIO:
        return None
    return Advice(
        dim.name,
        f"the largest category has {dim.imbalance_ratio:,.0f}x the {dim.unit} of the smallest",
        "use a class-balanced or logit-adjusted loss, or over-sample rare categories; report macro-F1",
    )


def _region(dim: DimensionProfile) -> Advice | None:
    share = dim.share(0)
    if dim.n_groups < 2 or share <= DOMINANT_REGION_SHARE:
        return None
    return Advice("region", f"one region has {percent(share)} of {dim.unit}", "report per-region metrics; re-weight by region")


def _query(dim: DimensionProfile) -> Advice | None:
    if dim.n_groups < 2 or dim.top20_share <= QUERY_TOP20_SHARE:
        return None
    return Advice(
        "query",
        top_phrase("query", dim.top20_share, dim.unit),
        "evaluate head and tail queries separately; add tail-query training examples",
    )


def _label(dim: DimensionProfile) -> Advice | None:
    rarest = int(dim.group_counts.counts.argmin())
    share = dim.share(rarest)
    if dim.n_groups < 2 or share >= RARE_LABEL_SHARE:
        return None
    label = dim.group_counts.groups[rarest]
    return Advice(
        "label",
        f"label {label!r} is {percent(share)} of judgments",
        "use a class-balanced loss and report per-label metrics",
    )


def _day(dim: DimensionProfile) -> Advice | None:
    counts = dim.group_counts.counts
    peak = counts.max() / counts.mean()
    if dim.n_groups < 2 or peak <= DAY_PEAK_RATIO:
        return None
    return Advice(
        "day",
        f"the busiest day has {peak:.1f}x the mean daily {dim.unit}",
        "check for sales or outages; use a temporal split and consider down-weighting spike days",
    )


def _drift(drift: Drift) -> list[Advice]:
    # A window with a handful of rows (e.g. a few stray early timestamps) gives a meaningless mix.
    mixes = {
        name: mix.js
        for name, mix in drift.mixes.items()
        if min(mix.first_counts.sum(), mix.last_counts.sum()) >= DRIFT_MIN_ROWS
    }
    found = []
    categories = [mixes[name] for name in ("category", "category_top") if name in mixes]
    if categories and max(categories) > DRIFT_JS:
        found.append(
            Advice("drift", f"category mix drifts (JS={max(categories):.2f})", "use a temporal split and time-decay weights")
        )
    if mixes.get("event", 0.0) > DRIFT_JS:
        found.append(
            Advice(
                "drift",
                f"event mix drifts (JS={mixes['event']:.2f})",
                "use a temporal split and re-estimate event rates (class priors) on recent data",
            )
        )
    return found


_RULES: dict[str, Callable[[DimensionProfile], Advice | list[Advice] | None]] = {
    "event": _event,
    "category": _category,
    "item": _item,
    "user": _user,
    "region": _region,
    "day": _day,
    "query": _query,
    "label": _label,
}


def advise(dimensions: Mapping[str, DimensionProfile], drift: Drift | None) -> list[Advice]:
    """Every finding that crosses its threshold, in dimension order, drift last."""
    found: list[Advice] = []
    for name, dim in dimensions.items():
        rule = _RULES.get(name)
        result = rule(dim) if rule else None
        if isinstance(result, Advice):
            found.append(result)
        elif result:
            found.extend(result)
    if drift is not None:
        found.extend(_drift(drift))
    return found
