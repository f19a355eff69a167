"""The event log: sessions of views, and the clicks, carts and purchases they lead to.

Everything is vectorised over views; a click, cart or purchase row copies
its view's user, item and session and comes a few seconds to minutes later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from longtail.data import columns as C
from longtail.data.synthetic import calendar
from longtail.data.synthetic.config import MarketplaceConfig
from longtail.data.synthetic.exposure import LoggingPolicy
from longtail.data.synthetic.funnel import STAGES, Funnel
from longtail.data.synthetic.population import Population
from longtail.data.synthetic.truth import MarketplaceTruth

EVENT_ORDER = ("view", "click", "cart", "purchase")
_CHUNK = 1 << 20  # rows per vectorised block where a block allocates (rows x small width)
_CALIBRATION_VIEWS = 50_000  # views used to fit the funnel to the target purchase rate
# Seconds between steps: (minimum, mean extra) for the next view, click, cart, purchase.
_GAP_VIEW, _GAP_CLICK, _GAP_CART, _GAP_PURCHASE = (5.0, 40.0), (1.0, 8.0), (5.0, 60.0), (10.0, 180.0)


@dataclass(frozen=True)
class Sessions:
    """Sessions sorted by start time; the views of session s are rows [offset[s], offset[s + 1])."""

    user: np.ndarray
    leaf: np.ndarray
    start_us: np.ndarray
    offset: np.ndarray

    @property
    def n_views(self) -> int:
        """Total number of views over all sessions."""
        return int(self.offset[-1])


@dataclass(frozen=True)
class EventLog:
    """The interactions table and the funnel calibrated to the target purchase rate."""

    table: pl.DataFrame
    funnel: Funnel
    promotion_days: np.ndarray


def _browsed_leaves(rng: np.random.Generator, population: Population, users: np.ndarray) -> np.ndarray:
    """Leaf category each session browses, drawn from its user's taste (inverse CDF)."""
    cdf = population.leaf_choice_cdf()
    n_leaves = cdf.shape[1]
    leaves = np.empty(len(users), dtype=np.int64)
    step = _CHUNK // n_leaves + 1
    for s in range(0, len(users), step):
        block = users[s:s + step]
        draw = rng.random(len(block))[:, None]
        leaves[s:s + len(block)] = np.minimum((cdf[block] < draw).sum(axis=1), n_leaves - 1)
    return leaves


def draw_sessions(rng: np.random.Generator, cfg: MarketplaceConfig, population: Population,
                  promotions: np.ndarray) -> Sessions:
    """Sessions: who (by activity), when (by the calendar), which category, how many views."""
    n = max(1, round(cfg.n_events / cfg.mean_session_views))
    user = rng.choice(len(population.user_ids), size=n, p=population.activity)
    start = calendar.session_starts(rng, n, cfg, promotions)
    length = rng.geometric(1.0 / cfg.mean_session_views, size=n)
    order = np.argsort(start, kind="stable")
    user, start, length = user[order], start[order], length[order]
    return Sessions(
        user=user, leaf=_browsed_leaves(rng, population, user), start_us=start,
        offset=np.concatenate([[0], np.cumsum(length)]).astype(np.int64),
    )


def _view_times(rng: np.random.Generator, sessions: Sessions, session: np.ndarray) -> np.ndarray:
    gaps = calendar.delays(rng, sessions.n_views, *_GAP_VIEW)
    elapsed = np.cumsum(gaps)
    first = sessions.offset[:-1]
    # Elapsed time since the session's first view: subtract the running sum at its start.
    return sessions.start_us[session] + elapsed - elapsed[first][session]


def _utility(truth: MarketplaceTruth, users: np.ndarray, items: np.ndarray) -> np.ndarray:
    out = np.empty(len(users))
    for s in range(0, len(users), _CHUNK):
        out[s:s + _CHUNK] = truth.utility_of_pairs(users[s:s + _CHUNK], items[s:s + _CHUNK])
    return out


def _funnel_steps(rng: np.random.Generator, funnel: Funnel, utility: np.ndarray) -> list[np.ndarray]:
    """View rows that reach click, cart and purchase."""
    reached = np.ones(len(utility), dtype=bool)
    steps = []
    for s in range(len(STAGES)):
        reached &= rng.random(len(utility)) < funnel.step_probability(s, utility)
        steps.append(np.flatnonzero(reached))
    return steps


def simulate_events(rng: np.random.Generator, cfg: MarketplaceConfig, population: Population,
                    truth: MarketplaceTruth, policy: LoggingPolicy) -> EventLog:
    """Simulate the whole log under the logging policy and the true funnel."""
    promotions = calendar.promotion_days(rng, cfg)
    sessions = draw_sessions(rng, cfg, population, promotions)
    session = np.repeat(np.arange(len(sessions.user)), np.diff(sessions.offset))
    user = sessions.user[session]
    item = policy.sample(rng, truth, user, sessions.leaf[session])
    view_ts = _view_times(rng, sessions, session)
    utility = _utility(truth, user, item)
    sample = utility[rng.integers(0, len(utility), size=min(len(utility), _CALIBRATION_VIEWS))]
    funnel = truth.funnel.calibrated(sample, cfg.purchase_rate)

    view_rows, ts_parts, event_parts = [np.arange(len(user))], [view_ts], [np.zeros(len(user), dtype=np.int8)]
    previous_ts = view_ts
    for code, (rows, gap) in enumerate(zip(_funnel_steps(rng, funnel, utility), (_GAP_CLICK, _GAP_CART, _GAP_PURCHASE)), 1):
        # Each step follows the previous step of the same view.
        previous_ts = previous_ts.copy()
        previous_ts[rows] += calendar.delays(rng, len(rows), *gap)
        view_rows.append(rows)
        ts_parts.append(previous_ts[rows])
        event_parts.append(np.full(len(rows), code, dtype=np.int8))
    rows = np.concatenate(view_rows)
    ts = np.concatenate(ts_parts)
    event = np.concatenate(event_parts)
    ts = _fit_in_period(ts, session[rows], len(sessions.user), cfg.n_days * calendar.US_PER_DAY)
    order = np.argsort(ts * len(EVENT_ORDER) + event, kind="stable")
    rows, ts, event = rows[order], ts[order], event[order]
    return EventLog(
        table=_table(cfg, population, truth, user[rows], item[rows], ts, event, session[rows]),
        funnel=funnel,
        promotion_days=promotions,
    )


def _fit_in_period(ts: np.ndarray, session: np.ndarray, n_sessions: int, end_us: int) -> np.ndarray:
    """Move sessions that run past the end earlier as a whole, keeping their order."""
    last = np.zeros(n_sessions, dtype=np.int64)
    np.maximum.at(last, session, ts)
    overrun = np.maximum(last - (end_us - 1), 0)
    return ts - overrun[session]


def _table(cfg: MarketplaceConfig, population: Population, truth: MarketplaceTruth, user: np.ndarray,
           item: np.ndarray, ts: np.ndarray, event: np.ndarray, session: np.ndarray) -> pl.DataFrame:
    start_us = int(cfg.start.timestamp()) * calendar.US_PER_SECOND
    return pl.DataFrame(
        {
            C.USER_ID: population.user_ids[user],
            C.ITEM_ID: truth.item_ids[item],
            C.TIMESTAMP: pl.Series(ts + start_us, dtype=pl.Int64).cast(pl.Datetime("us", "UTC")),
            C.EVENT: pl.Series(EVENT_ORDER, dtype=pl.String).gather(event),
            C.REGION: pl.Series(population.region_names, dtype=pl.String).gather(population.region[user]),
            C.SESSION_ID: session.astype(np.int64) + 1,
        }
    )
