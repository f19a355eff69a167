"""Dataset-level samplers: thin the interactions of head items or repeat those of tail items.

Both take a :class:`longtail.data.Dataset` (or its interactions table, a
polars DataFrame) and return the same kind with the interactions resampled;
catalogue, users and judgments are untouched. ``sample_indices_`` gives the
rows of the original interactions that make up the result, in order.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import numpy as np
import polars as pl

from longtail.data import columns as C
from longtail.data.dataset import Dataset
from longtail.sampling.base import make_rng


def _interactions(data: Any) -> pl.DataFrame:
    if isinstance(data, Dataset):
        return data.interactions
    if isinstance(data, pl.DataFrame):
        return data
    raise ValueError(
        f"data of type {type(data).__name__} is not supported; give a longtail Dataset or a polars DataFrame of interactions"
    )


def _with_rows(data: Any, rows: np.ndarray) -> Any:
    table = _interactions(data)[rows]
    return data.replace(interactions=table) if isinstance(data, Dataset) else table


def _groups(table: pl.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A dense code per row for ``column``, the rows of each code, and where each code starts
    once rows are sorted by code."""
    if column not in table.columns:
        raise ValueError(f"column={column!r} is not in the interactions (has: {', '.join(table.columns)}); name one of them")
    codes = table.select(pl.col(column).rank("dense")).to_series().to_numpy().astype(np.int64) - 1
    counts = np.bincount(codes)
    return codes, counts, np.cumsum(counts) - counts


def _threshold(counts: np.ndarray, fixed: int | None, quantile: float | None) -> int:
    """``fixed``, or the ``quantile`` of the non-zero ``counts`` rounded up (at least 1)."""
    if fixed is not None:
        return int(fixed)
    return max(1, math.ceil(float(np.quantile(counts[counts > 0], quantile))))


class PopularityUnderSampler:
    """Keep at most ``cap`` interactions per item, chosen uniformly at random.

    ``cap`` is ``max_per_item``, or the ``quantile`` of the per-item
    interaction counts (over items that have any), rounded up. Head items lose
    interactions, every other item keeps all of its own. ``cap_`` is the cap
    used; ``removed_rows_`` counts the interactions dropped. ``column``
    balances another column instead (e.g. a category).
    """

    def __init__(
        self,
        *,
        max_per_item: int | None = None,
        quantile: float | None = None,
        random_state: Any = None,
        column: str = C.ITEM_ID,
    ) -> None:
        if (max_per_item is None) == (quantile is None):
            raise ValueError("give exactly one of max_per_item (an int) or quantile (in (0, 1])")
        if max_per_item is not None and (not isinstance(max_per_item, Integral) or max_per_item < 1):
            raise ValueError(f"max_per_item={max_per_item!r} must be an int >= 1")
        if quantile is not None and (not isinstance(quantile, Real) or not 0 < quantile <= 1):
            raise ValueError(f"quantile={quantile!r} is out of range; give a number in (0, 1], e.g. 0.9")
        self.max_per_item = max_per_item
        self.quantile = quantile
        self.random_state = random_state
        self.column = column

    def fit_resample(self, data: Any) -> Any:
        """``data`` with the interactions of items above the cap thinned to the cap."""
        table = _interactions(data)
        codes, counts, starts = _groups(table, self.column)
        cap = _threshold(counts, self.max_per_item, self.quantile)
        rng = make_rng(self.random_state)
        order = np.lexsort((rng.random(codes.size), codes))  # rows grouped by item, random within an item
        rank = np.arange(codes.size) - starts[codes[order]]
        kept = np.sort(order[rank < cap])
        self.cap_ = cap
        self.removed_rows_ = int(codes.size - kept.size)
        self.sample_indices_ = kept
        return _with_rows(data, kept)


class TailOverSampler:
    """Repeat the interactions of tail items until each has ``floor_``.

    ``floor_`` is ``min_per_item``, or the ``quantile`` of the per-item
    interaction counts (over items that have any), rounded up. An item with
    ``c`` interactions, ``0 < c < floor_``, gets ``floor_ - c`` copies of its
    own interactions drawn uniformly with replacement, appended after the
    original rows (as ``RandomOverSampler`` does for classes). Items without
    interactions cannot be repeated and are left out (``unreachable_`` counts
    catalogue items without interactions when a Dataset is given).
    ``added_rows_`` counts the copies.
    """

    def __init__(
        self,
        *,
        min_per_item: int | None = None,
        quantile: float | None = None,
        random_state: Any = None,
        column: str = C.ITEM_ID,
    ) -> None:
        if (min_per_item is None) == (quantile is None):
            raise ValueError("give exactly one of min_per_item (an int) or quantile (in (0, 1])")
        if min_per_item is not None and (not isinstance(min_per_item, Integral) or min_per_item < 1):
            raise ValueError(f"min_per_item={min_per_item!r} must be an int >= 1")
        if quantile is not None and (not isinstance(quantile, Real) or not 0 < quantile <= 1):
            raise ValueError(f"quantile={quantile!r} is out of range; give a number in (0, 1], e.g. 0.5")
        self.min_per_item = min_per_item
        self.quantile = quantile
        self.random_state = random_state
        self.column = column

    def fit_resample(self, data: Any) -> Any:
        """``data`` with copies of tail-item interactions appended."""
        table = _interactions(data)
        codes, counts, starts = _groups(table, self.column)
        self.floor_ = _threshold(counts, self.min_per_item, self.quantile)
        need = np.maximum(self.floor_ - counts, 0)
        by_group = np.argsort(codes, kind="stable")
        group_of_copy = np.repeat(np.arange(counts.size), need)
        rng = make_rng(self.random_state)
        offsets = rng.integers(0, counts[group_of_copy]) if group_of_copy.size else group_of_copy
        copies = by_group[starts[group_of_copy] + offsets]
        self.sample_indices_ = np.concatenate([np.arange(codes.size), copies]).astype(np.int64)
        self.added_rows_ = int(copies.size)
        if isinstance(data, Dataset) and self.column == C.ITEM_ID:
            seen = table.get_column(C.ITEM_ID).unique()
            self.unreachable_ = int(data.items.filter(~pl.col(C.ITEM_ID).is_in(seen.implode())).height)
        else:
            self.unreachable_ = 0
        return _with_rows(data, self.sample_indices_)
