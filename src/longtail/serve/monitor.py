"""Live imbalance statistics over what the service shows and what users do with it.

Two streams are counted over a sliding window (:class:`SlidingCounts`):
*served exposure* (every item slot the service returned from /recommend
and /rank) and *events* (impressions, clicks and purchases posted to
/events). The statistics use the profiler's and the recommend task's
definitions: Gini over every catalogue item, zeros included
(:func:`longtail.profile.stats.gini`), the share held by the top 20 % of
items (:func:`longtail.profile.stats.top20_share`), tail share against the
catalogue's head/tail split, category and region mix, and click and
purchase rates (per impression) per popularity bucket.

For incremental training the monitor keeps effective-number class weights
(:func:`longtail.weights.class_weights`) over the categories of the
window's clicks and purchases, and streaming item frequencies
(:class:`ItemFrequencyEstimator`, one step per event batch) whose
``log q`` the logQ correction subtracts.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from longtail.serve.catalogue import POPULARITY_BUCKETS, Catalogue
from longtail.serve.config import ServeConfig
from longtail.serve.frequency import ItemFrequencyEstimator
from longtail.serve.window import SlidingCounts

EVENT_TYPES = ("impression", "click", "purchase")
POSITIVE_EVENTS = ("click", "purchase")
NO_REGION, OTHER_REGION = "unknown", "other"


class RegionCodes:
    """Region names to small integer codes: the known regions, ``unknown`` (none given) and ``other``."""

    def __init__(self, known: Iterable[str]) -> None:
        self.names = sorted({str(name) for name in known} - {NO_REGION, OTHER_REGION}) + [NO_REGION, OTHER_REGION]
        self._codes = {name: code for code, name in enumerate(self.names)}

    def code(self, region: str | None) -> int:
        """The code of ``region``; a region the models never saw counts as ``other``."""
        if region is None:
            return self._codes[NO_REGION]
        return self._codes.get(region, self._codes[OTHER_REGION])


def shares(counts: np.ndarray, names: Iterable[str]) -> dict[str, float]:
    """Each group's share of the total, largest first, groups with no count left out (empty when no counts)."""
    total = counts.sum()
    if total <= 0:
        return {}
    order = np.argsort(-counts, kind="stable")
    names = list(names)
    return {names[i]: float(counts[i] / total) for i in order if counts[i] > 0}


def concentration(counts: np.ndarray) -> dict[str, float | None]:
    """Gini and top-20 % share of per-item counts (None when nothing was counted), as the profiler defines them."""
    from longtail.profile.stats import gini, top20_share

    if counts.sum() <= 0:
        return {"gini": None, "top20_share": None}
    return {"gini": gini(counts), "top20_share": top20_share(counts)}


def rate(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``, None when nothing was counted below."""
    return float(numerator / denominator) if denominator > 0 else None


class Monitor:
    """Sliding-window statistics and online training signals, safe to update from many request threads."""

    def __init__(self, catalogue: Catalogue, regions: Iterable[str], config: ServeConfig,
                 clock: Callable[[], float] = time.time) -> None:
        self.catalogue = catalogue
        self.config = config
        self.clock = clock
        self.started = clock()
        self.regions = RegionCodes(regions)
        n_items = catalogue.n_items

        def window(n_slots: int) -> SlidingCounts:
            return SlidingCounts(n_slots, config.window_seconds, config.window_buckets)

        self.served = window(n_items)
        self.served_regions = window(len(self.regions.names))
        # one slot more than the catalogue: events on items the catalogue does not hold
        self.events = {kind: window(n_items + 1) for kind in EVENT_TYPES}
        self.event_regions = window(len(self.regions.names))
        self.frequency = ItemFrequencyEstimator(n_items, config.frequency_alpha)
        self.steps = 0
        self.lists_served = 0
        self.events_total: Counter[str] = Counter()
        self.cold_starts: Counter[str] = Counter()
        self.categories, self.category_code = np.unique(catalogue.categories, return_inverse=True)
        self.top_categories, self.top_category_code = np.unique(catalogue.top_categories, return_inverse=True)
        self._lock = threading.Lock()

    # ------------------------------------------------------------- updates
    def record_served(self, items: np.ndarray, region: str | None, cold_start: str | None = None) -> None:
        """Count one served list (item indices, ``-1`` = empty slot) shown to a user of ``region``."""
        items = np.asarray(items, dtype=np.int64)
        now = self.clock()
        with self._lock:
            self.served.add(items[items >= 0], now)
            self.served_regions.add(np.asarray([self.regions.code(region)]), now)
            self.lists_served += 1
            if cold_start is not None:
                self.cold_starts[cold_start] += 1

    def record_events(self, kinds: list[str], items: np.ndarray, regions: list[str | None],
                      when: float | None = None) -> None:
        """Count a batch of events (``items``: catalogue indices, ``-1`` for items not in the catalogue).

        The batch is one step of the frequency estimator, which sees its
        clicks and purchases on catalogue items (the positives training uses).
        """
        items = np.asarray(items, dtype=np.int64)
        kinds_array = np.asarray(kinds)
        slots = np.where(items >= 0, items, self.catalogue.n_items)
        now = self.clock() if when is None else when
        with self._lock:
            for kind in EVENT_TYPES:
                self.events[kind].add(slots[kinds_array == kind], now)
            self.event_regions.add(np.fromiter((self.regions.code(r) for r in regions), dtype=np.int64, count=len(regions)), now)
            positive = np.isin(kinds_array, POSITIVE_EVENTS) & (items >= 0)
            self.frequency.update(items[positive], self.steps)
            self.steps += 1
            self.events_total.update(kinds)

    # ------------------------------------------------------------ snapshot
    def snapshot(self, include_items: bool = False) -> dict[str, Any]:
        """Every statistic of the current window as plain JSON-ready values (see docs/serving.md)."""
        now = self.clock()
        with self._lock:
            served = self.served.counts(now)
            served_regions = self.served_regions.counts(now)
            events = {kind: counts.counts(now) for kind, counts in self.events.items()}
            event_regions = self.event_regions.counts(now)
            log_q = self.frequency.log_q()
            seen = int((self.frequency.previous >= 0).sum())
            totals = {"lists_served": self.lists_served, "events": dict(self.events_total),
                      "cold_start": dict(self.cold_starts), "event_batches": self.steps}
        out = {
            "generated_at": now,
            "uptime_seconds": now - self.started,
            "window_seconds": self.config.window_seconds,
            "n_items": self.catalogue.n_items,
            "exposure": self._exposure(served, served_regions),
            "events": self._events(events, event_regions),
            "training": self._training(events, log_q, seen, include_items),
            "totals": totals,
        }
        return out

    def _mixes(self, per_item: np.ndarray) -> dict[str, dict[str, float]]:
        bucket = np.bincount(self.catalogue.popularity_bucket, weights=per_item, minlength=len(POPULARITY_BUCKETS))
        top = np.bincount(self.top_category_code, weights=per_item, minlength=self.top_categories.size)
        return {"popularity_mix": shares(bucket, POPULARITY_BUCKETS), "category_mix": shares(top, self.top_categories)}

    def _exposure(self, served: np.ndarray, regions: np.ndarray) -> dict[str, Any]:
        total = int(served.sum())
        return {
            "slots": total,
            "lists": int(regions.sum()),
            **concentration(served),
            "tail_share": rate(served[self.catalogue.tail].sum(), total),
            "item_coverage": float((served > 0).mean()),
            **self._mixes(served),
            "region_mix": shares(regions, self.regions.names),
        }

    def _events(self, events: dict[str, np.ndarray], regions: np.ndarray) -> dict[str, Any]:
        n = self.catalogue.n_items
        by_bucket = {kind: np.bincount(self.catalogue.popularity_bucket, weights=counts[:n], minlength=len(POPULARITY_BUCKETS))
                     for kind, counts in events.items()}
        buckets = {}
        for code, name in enumerate(POPULARITY_BUCKETS):
            shown, clicks, bought = (by_bucket[kind][code] for kind in EVENT_TYPES)
            buckets[name] = {"impressions": int(shown), "clicks": int(clicks), "purchases": int(bought),
                             "click_rate": rate(clicks, shown), "purchase_rate": rate(bought, shown)}
        shown, clicks, bought = (int(events[kind][:n].sum()) for kind in EVENT_TYPES)
        return {
            "counts": {kind: int(counts.sum()) for kind, counts in events.items()},
            "not_in_catalogue": int(sum(counts[n] for counts in events.values())),
            "click_rate": rate(clicks, shown),
            "purchase_rate": rate(bought, shown),
            "by_popularity": buckets,
            "impressions": {**concentration(events["impression"][:n]), **self._mixes(events["impression"][:n])},
            "positives": {**concentration(events["click"][:n] + events["purchase"][:n]),
                          **self._mixes(events["click"][:n] + events["purchase"][:n])},
            "region_mix": shares(regions, self.regions.names),
        }

    def _training(self, events: dict[str, np.ndarray], log_q: np.ndarray, seen: int, include_items: bool) -> dict[str, Any]:
        from longtail.weights import class_weights

        n = self.catalogue.n_items
        positives = events["click"][:n] + events["purchase"][:n]
        per_category = np.bincount(self.category_code, weights=positives, minlength=self.categories.size)
        weights = {}
        if per_category.sum() > 0:
            values = class_weights(per_category, "effective_number", beta=self.config.weight_beta)
            weights = {str(name): float(w) for name, w in zip(self.categories, values)}
        frequency: dict[str, Any] = {"alpha": self.frequency.alpha, "steps": self.steps, "items_seen": seen}
        if include_items:
            frequency["item_ids"] = self.catalogue.items.ids.tolist()
            frequency["log_q"] = log_q.tolist()
        return {
            "class_weights": {"scheme": "effective_number", "beta": self.config.weight_beta, "by": "category",
                              "counts": {str(c): int(v) for c, v in zip(self.categories, per_category) if v > 0},
                              "weights": weights},
            "item_frequency": frequency,
        }
