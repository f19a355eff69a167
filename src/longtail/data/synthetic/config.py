"""Knobs of the synthetic marketplace, with defaults that look like a real shop."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from longtail.data.synthetic.vocab import REGIONS


def _utc_datetime(value: datetime | date | str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"start: cannot read {value!r} as a date; use ISO format such as '2024-01-01'") from None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        raise ValueError(f"start must be a date, datetime or ISO string; got {type(value).__name__}")
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


@dataclass(frozen=True)
class MarketplaceConfig:
    """Size and shape of the simulated shop.

    Sizes: ``n_users``, ``n_items``, ``n_events`` (view rows, approximately;
    clicks, carts and purchases come on top), ``n_days`` from ``start`` (UTC),
    ``n_queries`` search queries with about ``judgments_per_query`` judged items each.

    Skew: ``category_zipf`` (Zipf exponent of leaf-category sizes),
    ``item_popularity_exponent`` (Zipf exponent of the popularity the logging
    policy pushes; the default gives an item Gini of the logged interactions
    of about 0.8), ``region_skew`` (Zipf exponent over ``n_regions`` regions:
    the default puts about half the users in one region), ``purchase_rate``
    (purchases per view).

    Logging policy: a view is picked by true preference with probability
    ``preference_share`` (the best of ``n_candidates`` random items of the
    session's category), otherwise from item popularity, which correlates
    with true quality only by ``popularity_quality_corr``.

    Time: ``mean_session_views`` views per session, weekly pattern of
    relative size ``weekly_amplitude``, ``n_promotions`` promotion days with
    ``promotion_lift`` times the traffic.

    Noise: ``catalogue_noise`` (share of titles naming a product of another
    category), ``label_noise`` (share of search labels moved one grade).
    """

    n_users: int = 5_000
    n_items: int = 2_000
    n_events: int = 300_000
    n_days: int = 60
    start: datetime | date | str = datetime(2024, 1, 1, tzinfo=timezone.utc)
    category_zipf: float = 1.0
    item_popularity_exponent: float = 1.3
    region_skew: float = 1.5
    n_regions: int = 8
    purchase_rate: float = 0.02
    n_queries: int = 500
    judgments_per_query: int = 12
    preference_share: float = 0.3
    n_candidates: int = 10
    popularity_quality_corr: float = 0.3
    n_factors: int = 16
    mean_session_views: float = 5.0
    weekly_amplitude: float = 0.15
    n_promotions: int = 3
    promotion_lift: float = 2.5
    catalogue_noise: float = 0.04
    label_noise: float = 0.05

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _utc_datetime(self.start))
        ints = ("n_users", "n_items", "n_events", "n_days", "n_regions", "n_queries", "judgments_per_query",
                "n_candidates", "n_factors", "n_promotions")
        for name in ints:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be an integer; got {value!r}")
        self._check("n_users", self.n_users >= 1, "at least 1")
        self._check("n_events", self.n_events >= 1, "at least 1")
        self._check("n_days", self.n_days >= 1, "at least 1")
        self._check("n_regions", 1 <= self.n_regions <= len(REGIONS), f"between 1 and {len(REGIONS)}")
        self._check("n_queries", self.n_queries >= 0, "0 or more")
        self._check("judgments_per_query", self.judgments_per_query >= 1, "at least 1")
        self._check("n_candidates", self.n_candidates >= 1, "at least 1")
        self._check("n_factors", self.n_factors >= 1, "at least 1")
        self._check("n_promotions", 0 <= self.n_promotions <= self.n_days, "between 0 and n_days")
        for name in ("category_zipf", "item_popularity_exponent", "region_skew"):
            self._check(name, 0.0 <= getattr(self, name) <= 10.0, "between 0 and 10")
        self._check("purchase_rate", 0.0 < self.purchase_rate <= 0.25, "in (0, 0.25]")
        self._check("preference_share", 0.0 <= self.preference_share <= 1.0, "in [0, 1]")
        self._check("popularity_quality_corr", -1.0 <= self.popularity_quality_corr <= 1.0, "in [-1, 1]")
        self._check("mean_session_views", self.mean_session_views >= 1.0, "at least 1")
        self._check("weekly_amplitude", 0.0 <= self.weekly_amplitude < 1.0, "in [0, 1)")
        self._check("promotion_lift", self.promotion_lift >= 1.0, "at least 1")
        self._check("catalogue_noise", 0.0 <= self.catalogue_noise <= 1.0, "in [0, 1]")
        self._check("label_noise", 0.0 <= self.label_noise <= 1.0, "in [0, 1]")

    def _check(self, name: str, ok: bool, rule: str) -> None:
        if not ok:
            raise ValueError(f"{name} must be {rule}; got {getattr(self, name)!r}")

    @classmethod
    def from_knobs(cls, **knobs: Any) -> "MarketplaceConfig":
        """Build from keyword knobs; an unknown knob raises ValueError listing the valid ones."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(knobs) - names)
        if unknown:
            raise ValueError(f"unknown knob {unknown[0]!r}; valid knobs: {', '.join(sorted(names))}")
        return cls(**knobs)

    def as_meta(self) -> dict[str, Any]:
        """Plain JSON-friendly dict of every knob (start as ISO text)."""
        out = dataclasses.asdict(self)
        out["start"] = self.start.isoformat()
        return out
