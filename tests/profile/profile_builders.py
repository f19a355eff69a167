"""Small hand-built Datasets for the profile tests (imported by name: tests/profile is on sys.path)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from longtail.data import Dataset

START = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)


def interactions(rows: list[tuple], extra: dict[str, list] | None = None) -> pl.DataFrame:
    """rows of (user_id, item_id, hours after START, event)."""
    users, items, hours, events = zip(*rows) if rows else ((), (), (), ())
    frame = pl.DataFrame(
        {
            "user_id": pl.Series(users, dtype=pl.Int64),
            "item_id": pl.Series(items, dtype=pl.Int64),
            "timestamp": pl.Series([START + dt.timedelta(hours=h) for h in hours], dtype=pl.Datetime("us", "UTC")),
            "event": pl.Series(events, dtype=pl.String),
        }
    )
    return frame.with_columns(**{k: pl.Series(v) for k, v in (extra or {}).items()})


def catalogue(categories: list[str | None]) -> pl.DataFrame:
    """Items 0..n-1 with the given category paths."""
    return pl.DataFrame(
        {
            "item_id": pl.Series(range(len(categories)), dtype=pl.Int64),
            "title": [f"item {i}" for i in range(len(categories))],
            "category": pl.Series(categories, dtype=pl.String),
        }
    )


def random_shop(seed: int = 0, n: int = 3000, n_items: int = 60, n_users: int = 80, days: int = 40) -> Dataset:
    """A skewed little shop: Zipf-like item popularity, rare purchases, one dominant region."""
    rng = np.random.default_rng(seed)
    pop = 1.0 / np.arange(1, n_items + 1) ** 1.2
    cats = [f"Top{i % 4} > Leaf{i % 7}" for i in range(n_items)]
    inter = pl.DataFrame(
        {
            "user_id": rng.integers(0, n_users, n),
            "item_id": rng.choice(n_items, n, p=pop / pop.sum()),
            "timestamp": pl.Series(
                [START + dt.timedelta(minutes=int(m)) for m in rng.integers(0, days * 24 * 60, n)],
                dtype=pl.Datetime("us", "UTC"),
            ),
            "event": rng.choice(["view", "click", "cart", "purchase"], n, p=[0.8, 0.15, 0.04, 0.01]),
            "region": rng.choice(["DE", "FR", "UK"], n, p=[0.85, 0.1, 0.05]),
        }
    )
    return Dataset(inter, catalogue(cats), name="random-shop")
