"""When shoppers come: weekly rhythm, hour of day, a slow trend and promotion spikes."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from longtail.data.synthetic.config import MarketplaceConfig

US_PER_SECOND = 1_000_000
US_PER_DAY = 86_400 * US_PER_SECOND

# Relative traffic Monday..Sunday (scaled by weekly_amplitude): Sunday evening
# is the busiest shopping time, Friday and Saturday the quietest.
WEEKDAY_SHAPE = np.array([0.3, 0.0, -0.1, -0.15, -0.45, -0.8, 1.0])
# Traffic by UTC hour: night trough, lunch bump, evening peak.
HOUR_WEIGHTS = np.array([
    0.25, 0.15, 0.10, 0.08, 0.08, 0.12, 0.25, 0.45, 0.60, 0.70, 0.75, 0.80,
    0.90, 0.85, 0.80, 0.80, 0.85, 0.90, 1.00, 1.15, 1.25, 1.20, 0.95, 0.55,
])
_TREND = 0.10  # traffic grows by this share over the period


def promotion_days(rng: np.random.Generator, cfg: MarketplaceConfig) -> np.ndarray:
    """Sorted day offsets (from the start) of the promotion days."""
    return np.sort(rng.choice(cfg.n_days, size=cfg.n_promotions, replace=False))


def day_weights(cfg: MarketplaceConfig, promotions: np.ndarray) -> np.ndarray:
    """Relative traffic of each day of the period."""
    weekday = np.array([(cfg.start + timedelta(days=d)).weekday() for d in range(cfg.n_days)])
    weights = (1.0 + cfg.weekly_amplitude * WEEKDAY_SHAPE[weekday]) * (1.0 + _TREND * np.arange(cfg.n_days) / cfg.n_days)
    weights[promotions] *= cfg.promotion_lift
    return weights


def session_starts(rng: np.random.Generator, n: int, cfg: MarketplaceConfig, promotions: np.ndarray) -> np.ndarray:
    """Microseconds after the start at which each of ``n`` sessions begins."""
    days = day_weights(cfg, promotions)
    day = rng.choice(cfg.n_days, size=n, p=days / days.sum())
    hour = rng.choice(24, size=n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    within = rng.integers(0, 3_600 * US_PER_SECOND, size=n)
    return day * US_PER_DAY + hour * 3_600 * US_PER_SECOND + within


def delays(rng: np.random.Generator, n: int, minimum_s: float, mean_extra_s: float) -> np.ndarray:
    """Random waits in microseconds: at least ``minimum_s``, exponential beyond."""
    return ((minimum_s + rng.exponential(mean_extra_s, size=n)) * US_PER_SECOND).astype(np.int64)
