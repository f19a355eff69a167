"""A tiny shop and tiny registered models for the service tests (no training, known answers)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import polars as pl

from longtail.data import Dataset
from longtail.models.persist import register_model, save_model

#: the bearer token the test services require
TOKEN = "s3cret-token"

CATEGORIES = ["Home > Lamps", "Home > Rugs", "Toys > Cars"]
TITLES = [
    "brass desk lamp", "tall floor lamp", "paper lamp shade", "wool rug", "round jute rug",
    "kids race car", "remote control car", "wooden toy car", "small table lamp", "striped rug",
]
ITEM_CATEGORY = [0, 0, 0, 1, 1, 2, 2, 2, 0, 1]
REGIONS = {1: "GB", 2: "GB", 3: "DE", 4: "DE", 5: "GB", 6: "FR"}
# (user, item) pairs, each one distinct user-item interaction; item 10 is popular, 9 is never touched
PAIRS = [
    (1, 10), (2, 10), (3, 10), (4, 10), (5, 10), (6, 10),
    (1, 20), (2, 20), (3, 20),
    (3, 40), (4, 40), (4, 50),
    (5, 60), (6, 60), (1, 70), (2, 80), (6, 100),
]
ITEM_IDS = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
LABEL_ORDER = ["irrelevant", "partial", "exact"]


def tiny_shop() -> Dataset:
    """10 items in 3 categories, 6 users in 3 regions, 17 distinct pairs (one repeated as a later click)."""
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    rows = PAIRS + [(1, 10)]
    interactions = pl.DataFrame({
        "user_id": [u for u, _ in rows],
        "item_id": [i for _, i in rows],
        "timestamp": [start + timedelta(hours=h) for h in range(len(rows))],
        "event": ["view"] * len(PAIRS) + ["click"],
    }).with_columns(pl.col("timestamp").dt.cast_time_unit("us"))
    items = pl.DataFrame({"item_id": ITEM_IDS, "title": TITLES, "category": [CATEGORIES[c] for c in ITEM_CATEGORY]})
    users = pl.DataFrame({"user_id": list(REGIONS), "region": list(REGIONS.values())})
    return Dataset(interactions, items, users, name="tiny", meta={"label_order": LABEL_ORDER})


@register_model
class TableRecommender:
    """Scores from a fixed (n_users, n_items) table."""

    def __init__(self, table: np.ndarray) -> None:
        self.table = np.asarray(table, dtype=np.float32)
        self.n_users_, self.n_items_ = self.table.shape

    def scores(self, user_idx) -> np.ndarray:
        return self.table[np.asarray(user_idx)]

    def save(self, directory):
        return save_model(self, directory)

    def _export(self):
        return {}, {"table": self.table}

    @classmethod
    def _restore(cls, config, tensors):
        return cls(tensors["table"])


class Parameterless:
    """Save / load of a model with nothing to store (safetensors wants one tensor)."""

    def save(self, directory):
        return save_model(self, directory)

    def _export(self):
        return {}, {"unused": np.zeros(1)}

    @classmethod
    def _restore(cls, config, tensors):
        return cls()


@register_model
class OverlapGrader(Parameterless):
    """Grade by the share of query words in the title: none -> irrelevant, some -> partial, all -> exact."""

    classes_ = np.asarray(LABEL_ORDER)

    def predict_proba(self, queries, titles) -> np.ndarray:
        out = np.empty((len(queries), 3))
        for row, (query, title) in enumerate(zip(queries, titles)):
            words = set(query.split())
            share = len(words & set(title.split())) / max(len(words), 1)
            logits = np.asarray([1 - share, 1 - abs(share - 0.5) * 2, share]) * 4
            out[row] = np.exp(logits) / np.exp(logits).sum()
        return out


@register_model
class KeywordCategorizer(Parameterless):
    """Category probabilities from keyword hits (lamp, rug, car), add-one smoothed."""

    classes_ = np.asarray(CATEGORIES)
    keywords = ("lamp", "rug", "car")

    def predict_proba(self, titles) -> np.ndarray:
        hits = np.asarray([[title.count(word) for word in self.keywords] for title in titles], dtype=np.float64) + 1
        return hits / hits.sum(axis=1, keepdims=True)


def preference_table(n_users: int, n_items: int, seed: int = 0) -> np.ndarray:
    """Random distinct scores per (user, item)."""
    return np.random.default_rng(seed).permutation(n_users * n_items).reshape(n_users, n_items).astype(np.float32)
