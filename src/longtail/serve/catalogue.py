"""The served catalogue: item ids and their index, titles, categories, popularity and a text index.

Item index ``i`` is the recommender's item index when MODEL_DIR has one
(``ids.json``), else the row order of the catalogue file. Popularity is the
number of distinct users who interacted with an item in the data the models
were built from; it fixes the head/tail split of the exposure statistics
and of the re-ranker, the same split as the recommend task's
(:func:`longtail.metrics.popularity_buckets`, head = the 20 % most popular
items) and the popularity buckets of the rates (a third of the
interactions each, plus ``cold`` for items nobody touched).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import polars as pl

from longtail.data import columns as C
from longtail.errors import LongtailError

POPULARITY = "popularity"
COUNT = "count"
UNKNOWN = "unknown"
POPULARITY_BUCKETS = ("head", "torso", "tail", "cold")


def normalize_id(value: Any, integer_ids: bool) -> Any:
    """A request id in the catalogue's id type: ints stay ints (digit strings become ints), else strings.

    Returns None for an id that cannot exist in an integer catalogue (e.g. ``"abc"``).
    """
    if integer_ids:
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        text = str(value).strip()
        return int(text) if text.lstrip("-").isdigit() else None
    return str(value)


class IdIndex:
    """Ids to dense indices and back, for ids of one type (all ints or all strings)."""

    def __init__(self, ids: Sequence[Any]) -> None:
        self.ids = np.asarray(list(ids), dtype=object)
        self.integer = bool(self.ids.size) and all(isinstance(v, (int, np.integer)) for v in self.ids.tolist())
        self.ids = np.asarray([int(v) if self.integer else str(v) for v in self.ids.tolist()], dtype=object)
        self._index = {value: row for row, value in enumerate(self.ids.tolist())}
        if len(self._index) != self.ids.size:
            raise LongtailError(f"the id list holds {self.ids.size - len(self._index)} repeated ids; ids must be unique")

    def __len__(self) -> int:
        return int(self.ids.size)

    def get(self, value: Any) -> int | None:
        """The index of ``value``, or None when it is not known."""
        key = normalize_id(value, self.integer)
        return None if key is None else self._index.get(key)

    def positions(self, values: Sequence[Any]) -> np.ndarray:
        """The index of each of ``values``, -1 for an unknown one."""
        rows = (self.get(value) for value in values)
        return np.fromiter((-1 if row is None else row for row in rows), dtype=np.int64, count=len(values))

    def lookup(self, values: Sequence[Any]) -> tuple[np.ndarray, list[Any]]:
        """Indices of the known ``values`` (in order) and the unknown values."""
        rows = self.positions(values)
        return rows[rows >= 0], [value for value, row in zip(values, rows.tolist()) if row < 0]


@dataclass
class Catalogue:
    """Items aligned on one index, with what the service needs about each."""

    items: IdIndex
    titles: list[str]
    categories: np.ndarray  # full category path per item ("unknown" when missing)
    top_categories: np.ndarray  # first level of the path
    popularity: np.ndarray  # distinct users per item, float64
    region_popularity: dict[str, np.ndarray] = field(default_factory=dict)
    text_index: Any = None
    text_matrix: Any = None  # (terms, items) TF-IDF of each item's title and category

    @property
    def n_items(self) -> int:
        return len(self.items)

    @cached_property
    def tail(self) -> np.ndarray:
        """Boolean per item: outside the 20 % most popular items (the recommend task's tail)."""
        from longtail.metrics import popularity_buckets

        return popularity_buckets(self.popularity, head_share=0.2, by="items") == 1

    @cached_property
    def popularity_bucket(self) -> np.ndarray:
        """Code per item into :data:`POPULARITY_BUCKETS`: a third of the interactions per bucket, 3 = cold."""
        from longtail.metrics import popularity_buckets

        if self.popularity.sum() <= 0:
            return np.full(self.n_items, 3, dtype=np.int64)
        codes = popularity_buckets(self.popularity, n_buckets=3)
        codes[self.popularity == 0] = 3
        return codes

    def text_scores(self, text: str) -> np.ndarray:
        """TF-IDF cosine of ``text`` with every item's title and category (float32, one per item)."""
        query = self.text_index.transform([text])
        return np.asarray((query @ self.text_matrix).todense(), dtype=np.float32).ravel()

    def build_text_index(self) -> None:
        """Fit the TF-IDF index behind :meth:`text_scores` (once, at start-up, so requests do not pay for it)."""
        from longtail.encoders import TfidfEncoder

        documents = [f"{title} {category}" for title, category in zip(self.titles, self.categories.tolist())]
        if not any(document.strip() for document in documents):
            documents = ["item"] * len(documents)  # keeps the index valid; every item then scores the same
        self.text_index = TfidfEncoder().fit(documents)
        self.text_matrix = self.text_index.transform(documents).T.tocsr()


def _read_table(path: Path, what: str, required: tuple[str, ...]) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(path) if path.suffix == ".parquet" else pl.read_json(path)
    except Exception as exc:  # polars raises several exception types for unreadable files
        raise LongtailError(f"{path}: cannot read the {what} ({type(exc).__name__}: {exc}); rebuild it") from exc
    missing = [name for name in required if name not in frame.columns]
    if missing:
        raise LongtailError(f"{path}: the {what} lacks column(s) {', '.join(missing)} (has: {', '.join(frame.columns)})")
    return frame


def load_catalogue(
    path: Path, category_sep: str, item_order: Sequence[Any] | None = None, region_path: Path | None = None
) -> Catalogue:
    """Read the catalogue (parquet or JSON: item_id, title, category, popularity) and region popularity.

    ``item_order`` (the recommender's item ids) fixes the index; its items
    missing from the catalogue get an empty title, category ``unknown`` and
    popularity 0.
    """
    frame = _read_table(path, "catalogue", (C.ITEM_ID, C.TITLE))
    if item_order is not None:
        order = pl.DataFrame({C.ITEM_ID: pl.Series(list(item_order))})
        frame = order.join(frame.with_columns(pl.col(C.ITEM_ID).cast(order.schema[C.ITEM_ID])), on=C.ITEM_ID,
                           how="left", maintain_order="left")
    items = IdIndex(frame.get_column(C.ITEM_ID).to_list())
    categories = (frame.get_column(C.CATEGORY).cast(pl.String) if C.CATEGORY in frame.columns
                  else pl.Series([None] * frame.height, dtype=pl.String)).fill_null(UNKNOWN)
    popularity = (frame.get_column(POPULARITY).fill_null(0).to_numpy().astype(np.float64) if POPULARITY in frame.columns
                  else np.zeros(frame.height))
    if np.any(popularity < 0) or not np.all(np.isfinite(popularity)):
        raise LongtailError(f"{path}: column '{POPULARITY}' holds negative or non-finite counts; rebuild the catalogue")
    catalogue = Catalogue(
        items=items,
        titles=frame.get_column(C.TITLE).cast(pl.String).fill_null("").to_list(),
        categories=categories.to_numpy().astype(str),
        top_categories=categories.str.split(category_sep).list.first().to_numpy().astype(str),
        popularity=popularity,
    )
    if region_path is not None:
        catalogue.region_popularity = _region_popularity(region_path, items)
    catalogue.build_text_index()
    return catalogue


def _region_popularity(path: Path, items: IdIndex) -> dict[str, np.ndarray]:
    """Per region, distinct users per item (aligned on the catalogue index; unknown items are skipped)."""
    frame = _read_table(path, "region popularity", (C.REGION, C.ITEM_ID, COUNT))
    out: dict[str, np.ndarray] = {}
    for (region,), part in frame.group_by(C.REGION, maintain_order=True):
        rows = items.positions(part.get_column(C.ITEM_ID).to_list())
        known = rows >= 0
        counts = np.zeros(len(items))
        np.add.at(counts, rows[known], part.get_column(COUNT).to_numpy().astype(np.float64)[known])
        out[str(region)] = counts
    return out
