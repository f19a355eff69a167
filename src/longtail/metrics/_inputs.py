"""Validation and conversion of the inputs shared by the metric modules.

Every check raises ``ValueError`` naming the parameter and saying how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

#: marks an empty slot in a ranked list (a user with fewer than k candidate items)
EMPTY = -1


def positive_int(value: Any, name: str, hint: str = "") -> int:
    """``value`` as an int >= 1, or a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name}: must be an integer >= 1{hint}, got {value!r}")
    return int(value)


def check_k(k: Any) -> int:
    """``k`` (the list cut-off) as a positive int."""
    return positive_int(k, "k")


def as_ranked(ranked: ArrayLike, k: Any, *, n_items: int | None = None) -> np.ndarray:
    """The first ``k`` columns of a ranked item-index matrix, as int64.

    ``ranked`` is (n_users, >= k) of item indices, best first; ``-1`` marks an
    empty slot. An item may appear at most once per row, and must be below
    ``n_items`` when that is given.
    """
    k = check_k(k)
    arr = np.asarray(ranked)
    if arr.ndim != 2:
        raise ValueError(f"ranked: need a 2-D (n_users, >= k) array of item indices, got shape {arr.shape}")
    if arr.size and arr.dtype.kind not in "iu":
        raise ValueError(f"ranked: need integer item indices, got dtype {arr.dtype}")
    if arr.shape[1] < k:
        raise ValueError(f"ranked: has {arr.shape[1]} columns, fewer than k={k}; rank more items or lower k")
    top = arr[:, :k].astype(np.int64, copy=False)
    if top.size == 0:
        return top
    if top.min() < EMPTY:
        raise ValueError(f"ranked: item indices must be >= 0 (or -1 for an empty slot), found {top.min()}")
    if n_items is not None and top.max() >= n_items:
        raise ValueError(f"ranked: item index {top.max()} is out of range for n_items={n_items}")
    if k > 1:
        srt = np.sort(top, axis=1)
        repeated = (srt[:, 1:] == srt[:, :-1]) & (srt[:, 1:] != EMPTY)
        if repeated.any():
            user = int(np.flatnonzero(repeated.any(axis=1))[0])
            raise ValueError(f"ranked: row {user} lists an item more than once; each row must rank distinct items")
    return top


def check_n_items(n_items: Any) -> int:
    """``n_items`` (the catalogue size) as a positive int."""
    return positive_int(n_items, "n_items", " (the catalogue size)")


def as_vector(values: ArrayLike, name: str, *, length: int | None = None, finite: bool = True) -> np.ndarray:
    """A 1-D float64 vector, optionally of a given length and finite."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name}: need a 1-D array, got shape {arr.shape}")
    if length is not None and arr.size != length:
        raise ValueError(f"{name}: has {arr.size} entries, expected {length}")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or infinite values")
    return arr


def as_labels(values: ArrayLike, name: str, *, length: int | None = None) -> np.ndarray:
    """A 1-D array of labels (any dtype), optionally of a given length."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name}: need a 1-D array, got shape {arr.shape}")
    if length is not None and arr.size != length:
        raise ValueError(f"{name}: has {arr.size} entries, expected {length} (one per row)")
    return arr


def item_mask(items: ArrayLike, n_items: int, name: str) -> np.ndarray:
    """A boolean mask over the catalogue from a mask or a list of item indices."""
    arr = np.asarray(items)
    if arr.dtype == bool:
        if arr.shape != (n_items,):
            raise ValueError(f"{name}: a boolean mask needs shape ({n_items},), got {arr.shape}")
        return arr
    arr = arr.ravel()
    if arr.size and arr.dtype.kind not in "iu":
        raise ValueError(f"{name}: need item indices (integers) or a boolean mask, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= n_items):
        raise ValueError(f"{name}: item indices must be in [0, {n_items}), found {arr.min()}..{arr.max()}")
    mask = np.zeros(n_items, dtype=bool)
    mask[arr.astype(np.int64)] = True
    return mask


@dataclass(frozen=True)
class Ragged:
    """Per-row sets of item indices in CSR form, sorted and distinct within each row.

    ``source`` gives, for each stored item, its position in the input order
    (so values given in parallel, e.g. gains, can follow the items).
    """

    indptr: np.ndarray
    items: np.ndarray
    source: np.ndarray

    @property
    def n_rows(self) -> int:
        return self.indptr.size - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.indptr)

    @property
    def rows(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_rows, dtype=np.int64), self.lengths)


def _flatten(rows: Sequence[Iterable[Any]], name: str) -> tuple[np.ndarray, np.ndarray]:
    parts = []
    for row in rows:
        part = np.asarray(list(row) if isinstance(row, (set, frozenset)) else row)
        if part.ndim == 0:
            raise ValueError(f"{name}: each entry must be a collection of item indices, got a scalar {part!r}")
        parts.append(part.ravel() if part.size else np.empty(0, dtype=np.int64))
    lengths = np.fromiter((p.size for p in parts), dtype=np.int64, count=len(parts))
    flat = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
    if flat.size and flat.dtype.kind not in "iu":
        raise ValueError(f"{name}: item indices must be integers, got dtype {flat.dtype}")
    return lengths, flat.astype(np.int64, copy=False)


def as_ragged(obj: Any, n_rows: int, name: str, *, n_items: int | None = None) -> tuple[Ragged, bool]:
    """Per-row item sets from a list of collections or a scipy sparse (n_rows, n_items) matrix.

    Returns the sets and whether any row listed an item more than once
    (repeats are merged).
    """
    if hasattr(obj, "tocsr"):
        csr = obj.tocsr(copy=True)
        csr.eliminate_zeros()
        if csr.shape[0] != n_rows:
            raise ValueError(f"{name}: has {csr.shape[0]} rows, expected {n_rows} (one per user)")
        lengths = np.diff(csr.indptr).astype(np.int64)
        flat = csr.indices.astype(np.int64)
    else:
        if isinstance(obj, (str, bytes)) or not isinstance(obj, Sequence | np.ndarray):
            raise ValueError(f"{name}: need a list with one collection of item indices per user, or a sparse matrix")
        if len(obj) != n_rows:
            raise ValueError(f"{name}: has {len(obj)} entries, expected {n_rows} (one per user)")
        lengths, flat = _flatten(obj, name)
    if flat.size and flat.min() < 0:
        raise ValueError(f"{name}: item indices must be >= 0, found {flat.min()}")
    if n_items is not None and flat.size and flat.max() >= n_items:
        raise ValueError(f"{name}: item index {flat.max()} is out of range for n_items={n_items}")
    width = int(flat.max()) + 1 if flat.size else 1
    rows = np.repeat(np.arange(n_rows, dtype=np.int64), lengths)
    keys, source = np.unique(rows * width + flat, return_index=True)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys // width, minlength=n_rows), out=indptr[1:])
    return Ragged(indptr=indptr, items=keys % width, source=source), keys.size != flat.size


def split_ragged(obj: Any, index: np.ndarray) -> Any:
    """The rows ``index`` of a per-row collection (list, array or sparse matrix)."""
    if hasattr(obj, "tocsr") or isinstance(obj, np.ndarray):
        return obj[index]
    return [obj[i] for i in index]


def per_user_mean(values: np.ndarray, counted: np.ndarray | None = None) -> float:
    """Mean of ``values`` over the users where ``counted`` holds; NaN when there are none."""
    if counted is not None:
        values = values[counted]
    return float(values.mean()) if values.size else float("nan")
