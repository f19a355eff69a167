"""Prometheus metrics: request counts and latencies per endpoint, and the monitor's live statistics.

Each app has its own registry (several apps in one process, as in tests, do
not collide). Request metrics are updated by :class:`Guard`; the imbalance
series are read from the monitor at scrape time, so they cost nothing per
request. Series names are listed in docs/serving.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
PREFIX = "longtail"


class RequestMetrics:
    """Counters and latency histograms of the HTTP requests, in their own registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter(f"{PREFIX}_requests", "HTTP requests answered, by endpoint, method and status.",
                                ["endpoint", "method", "status"], registry=registry)
        self.latency = Histogram(f"{PREFIX}_request_duration_seconds", "Time to answer a request, by endpoint.",
                                 ["endpoint"], buckets=LATENCY_BUCKETS, registry=registry)
        self.in_flight = Gauge(f"{PREFIX}_requests_in_flight", "Requests being answered now.", registry=registry)

    def observe(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(endpoint, method, str(status)).inc()
        self.latency.labels(endpoint).observe(seconds)


class MonitorCollector(Collector):
    """Turns the monitor's snapshot (and the journal size) into gauges and counters at scrape time."""

    def __init__(self, snapshot: Callable[[], dict[str, Any]], journal_size: Callable[[], int]) -> None:
        self.snapshot = snapshot
        self.journal_size = journal_size

    def collect(self) -> Iterator[Any]:
        stats = self.snapshot()
        exposure, events, totals = stats["exposure"], stats["events"], stats["totals"]
        window = " over the sliding window"
        for key, text in (("gini", "Gini of served exposure over catalogue items"),
                          ("tail_share", "Share of served slots given to tail items"),
                          ("item_coverage", "Share of catalogue items served at least once"),
                          ("top20_share", "Share of served slots held by the top 20% of items")):
            if exposure[key] is not None:
                yield GaugeMetricFamily(f"{PREFIX}_exposure_{key}", text + window, value=exposure[key])
        yield GaugeMetricFamily(f"{PREFIX}_exposure_slots", "Item slots served" + window, value=exposure["slots"])
        mix = GaugeMetricFamily(f"{PREFIX}_exposure_share", "Share of served slots per group" + window,
                                labels=["dimension", "group"])
        for dimension in ("popularity_mix", "category_mix", "region_mix"):
            for group, share in exposure[dimension].items():
                mix.add_metric([dimension.removesuffix("_mix"), group], share)
        yield mix
        counts = GaugeMetricFamily(f"{PREFIX}_events_window", "Events received" + window, labels=["type"])
        for kind, n in events["counts"].items():
            counts.add_metric([kind], n)
        yield counts
        rates = GaugeMetricFamily(f"{PREFIX}_event_rate", "Clicks or purchases per impression" + window,
                                  labels=["event", "popularity"])
        for bucket, row in events["by_popularity"].items():
            for event in ("click", "purchase"):
                if row[f"{event}_rate"] is not None:
                    rates.add_metric([event, bucket], row[f"{event}_rate"])
        yield rates
        received = CounterMetricFamily(f"{PREFIX}_events", "Events received since start", labels=["type"])
        for kind, n in totals["events"].items():
            received.add_metric([kind], n)
        yield received
        yield CounterMetricFamily(f"{PREFIX}_lists_served", "Ranked lists served since start", value=totals["lists_served"])
        cold = CounterMetricFamily(f"{PREFIX}_cold_start", "Answers for unknown users since start, by source",
                                   labels=["source"])
        for source, n in totals["cold_start"].items():
            cold.add_metric([source], n)
        yield cold
        yield GaugeMetricFamily(f"{PREFIX}_journal_events", "Events stored in the journal", value=self.journal_size())


def build_registry(snapshot: Callable[[], dict[str, Any]], journal_size: Callable[[], int]) -> RequestMetrics:
    """A fresh registry with the request metrics and the monitor collector."""
    registry = CollectorRegistry()
    registry.register(MonitorCollector(snapshot, journal_size))
    return RequestMetrics(registry)
