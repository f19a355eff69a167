"""Top-K ranking metrics over the full catalogue.

``ranked`` is an (n_users, >= k) integer array of item indices, best first
(``-1`` marks an empty slot, e.g. a user with fewer than k unseen items).
``relevant`` gives each user's relevant (test) items: a list with one
collection of item indices per user (array, list or set), or a scipy sparse
(n_users, n_items) matrix whose non-zeros are the relevant items.

Every metric is the mean over users that have at least one relevant item;
the others are skipped, and :func:`ranking_report` says how many.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from longtail.metrics._inputs import EMPTY, Ragged, as_ragged, as_ranked, check_k, per_user_mean, positive_int

#: about how many scores one batch of :func:`top_k_excluding` holds in memory
_BATCH_SCORES = 1 << 22


def discounts(k: int) -> np.ndarray:
    """The DCG discount ``1 / log2(rank + 1)`` for ranks 1..k."""
    return 1.0 / np.log2(np.arange(2, k + 2, dtype=np.float64))


@dataclass(frozen=True)
class _Judged:
    """Which of each user's top-k items are relevant, and their gains."""

    top: np.ndarray  # (n_users, k) ranked item indices
    hits: np.ndarray  # (n_users, k) bool
    gains_at: np.ndarray | None  # (n_users, k) gain of each ranked item, None for binary relevance
    relevant: Ragged
    rel_gains: np.ndarray | None  # gain of each stored relevant item, aligned with relevant.items

    @property
    def k(self) -> int:
        return self.hits.shape[1]

    @property
    def n_relevant(self) -> np.ndarray:
        return self.relevant.lengths

    @property
    def counted(self) -> np.ndarray:
        return self.relevant.lengths > 0


def _gain_values(relevant: Any, gains: Any, rel: Ragged) -> np.ndarray:
    """Gains of the stored relevant items, from per-user dicts or arrays parallel to ``relevant``."""
    if hasattr(relevant, "tocsr"):
        raise ValueError("gains: give relevant as a list of item collections (not a sparse matrix) to use gains")
    if isinstance(gains, (str, bytes, Mapping)) or not isinstance(gains, Sequence | np.ndarray):
        raise ValueError("gains: need a list with one dict (item -> gain) or one gain array per user")
    if len(gains) != rel.n_rows:
        raise ValueError(f"gains: has {len(gains)} entries, expected {rel.n_rows} (one per user)")
    parts = []
    for user, (row, user_gains) in enumerate(zip(relevant, gains)):
        is_set = isinstance(row, (set, frozenset))
        items = list(row) if is_set else np.asarray(row).ravel().tolist()
        if isinstance(user_gains, Mapping):
            missing = [item for item in items if item not in user_gains]
            if missing:
                raise ValueError(f"gains: user {user} has no gain for relevant item {missing[0]}; add it to the dict")
            parts.append(np.array([user_gains[item] for item in items], dtype=np.float64))
            continue
        if is_set:
            raise ValueError(
                f"gains: user {user} has a set of relevant items, whose order is undefined; "
                "give the gains as a dict item -> gain, or the relevant items as a list"
            )
        values = np.asarray(user_gains, dtype=np.float64).ravel()
        if values.size != len(items):
            raise ValueError(f"gains: user {user} has {values.size} gains for {len(items)} relevant items")
        parts.append(values)
    flat = np.concatenate(parts) if parts else np.empty(0)
    if not np.all(np.isfinite(flat)) or np.any(flat < 0):
        raise ValueError("gains: every gain must be finite and >= 0")
    return flat[rel.source]


def _judge(ranked: ArrayLike, relevant: Any, k: Any, gains: Any = None) -> _Judged:
    top = as_ranked(ranked, k)
    n_users = top.shape[0]
    rel, repeated = as_ragged(relevant, n_users, "relevant")
    rel_gains = None
    if gains is not None:
        if repeated:
            raise ValueError("relevant: a user lists an item twice; with gains each relevant item needs one gain")
        rel_gains = _gain_values(relevant, gains, rel)
    # One sorted key per (user, item) pair turns set membership into a single searchsorted.
    width = max(int(rel.items.max(initial=0)), int(top.max(initial=0))) + 1
    rel_keys = rel.rows * width + rel.items
    filled = top != EMPTY
    keys = np.arange(n_users, dtype=np.int64)[:, None] * width + top
    pos = np.minimum(np.searchsorted(rel_keys, keys), max(rel_keys.size - 1, 0))
    hits = filled & (rel_keys[pos] == keys) if rel_keys.size else np.zeros(top.shape, dtype=bool)
    gains_at = None if rel_gains is None else np.where(hits, rel_gains[pos] if rel_gains.size else 0.0, 0.0)
    return _Judged(top=top, hits=hits, gains_at=gains_at, relevant=rel, rel_gains=rel_gains)


def _ideal_dcg(j: _Judged) -> np.ndarray:
    disc = discounts(j.k)
    if j.rel_gains is None:
        cumulative = np.concatenate([[0.0], np.cumsum(disc)])
        return cumulative[np.minimum(j.n_relevant, j.k)]
    # Graded: each user's best min(|relevant|, k) gains, placed at ranks 1, 2, ...
    rows = j.relevant.rows
    order = np.lexsort((-j.rel_gains, rows))
    rank = np.arange(rows.size) - j.relevant.indptr[rows[order]]
    keep = rank < j.k
    return np.bincount(
        rows[order][keep], weights=j.rel_gains[order][keep] * disc[rank[keep]], minlength=j.relevant.n_rows
    )


def _ndcg(j: _Judged) -> np.ndarray:
    gains = j.hits if j.gains_at is None else j.gains_at
    dcg = gains @ discounts(j.k)
    ideal = _ideal_dcg(j)
    # A user whose relevant items all have gain 0 scores 0, as in scikit-learn's ndcg_score.
    return np.divide(dcg, ideal, out=np.zeros_like(dcg), where=ideal > 0)


def _recall(j: _Judged) -> np.ndarray:
    return j.hits.sum(axis=1) / np.maximum(j.n_relevant, 1)


def _precision(j: _Judged) -> np.ndarray:
    return j.hits.sum(axis=1) / j.k


def _hit_rate(j: _Judged) -> np.ndarray:
    return j.hits.any(axis=1).astype(np.float64)


def _mrr(j: _Judged) -> np.ndarray:
    first = j.hits.argmax(axis=1)
    return np.where(j.hits.any(axis=1), 1.0 / (first + 1.0), 0.0)


def _map(j: _Judged) -> np.ndarray:
    precision_at = np.cumsum(j.hits, axis=1) / np.arange(1, j.k + 1)
    return (precision_at * j.hits).sum(axis=1) / np.maximum(np.minimum(j.n_relevant, j.k), 1)


_PER_USER: dict[str, Callable[[_Judged], np.ndarray]] = {
    "ndcg": _ndcg,
    "recall": _recall,
    "precision": _precision,
    "hit_rate": _hit_rate,
    "mrr": _mrr,
    "map": _map,
}


def _mean(metric: str, ranked: ArrayLike, relevant: Any, k: Any, gains: Any = None) -> float:
    judged = _judge(ranked, relevant, k, gains)
    return per_user_mean(_PER_USER[metric](judged), judged.counted)


def ndcg_at_k(ranked: ArrayLike, relevant: Any, *, k: int, gains: Any = None) -> float:
    """NDCG@K: ``DCG / ideal DCG`` with discount ``1 / log2(rank + 1)``, mean over users with relevant items.

    Binary relevance unless ``gains`` is given: one dict (item -> gain) or one
    gain array parallel to ``relevant[u]`` per user; gains are linear
    (``gain / log2(rank + 1)``). The ideal DCG places the user's best
    ``min(|relevant|, k)`` gains at the top.
    """
    return _mean("ndcg", ranked, relevant, k, gains)


def recall_at_k(ranked: ArrayLike, relevant: Any, *, k: int) -> float:
    """Recall@K: hits in the top K / |relevant|, mean over users with relevant items."""
    return _mean("recall", ranked, relevant, k)


def precision_at_k(ranked: ArrayLike, relevant: Any, *, k: int) -> float:
    """Precision@K: hits in the top K / K, mean over users with relevant items."""
    return _mean("precision", ranked, relevant, k)


def hit_rate_at_k(ranked: ArrayLike, relevant: Any, *, k: int) -> float:
    """HitRate@K: share of users (with relevant items) with at least one hit in the top K."""
    return _mean("hit_rate", ranked, relevant, k)


def mrr(ranked: ArrayLike, relevant: Any, *, k: int) -> float:
    """Mean reciprocal rank: 1 / rank of the first hit within the top K (0 if none), mean over users."""
    return _mean("mrr", ranked, relevant, k)


def map_at_k(ranked: ArrayLike, relevant: Any, *, k: int) -> float:
    """MAP@K: sum of Precision@r over hit ranks r <= K, divided by min(|relevant|, K); mean over users."""
    return _mean("map", ranked, relevant, k)


def per_user_ranking(ranked: ArrayLike, relevant: Any, *, k: int, gains: Any = None) -> dict[str, np.ndarray]:
    """Every ranking metric per user (NaN for users without relevant items), for bootstraps and groups."""
    judged = _judge(ranked, relevant, k, gains)
    skipped = ~judged.counted
    out = {}
    for name, fn in _PER_USER.items():
        values = fn(judged)
        values[skipped] = np.nan
        out[name] = values
    return out


def ranking_report(ranked: ArrayLike, relevant: Any, *, k: int, gains: Any = None) -> dict[str, float | int]:
    """All ranking metrics at once, plus ``k``, ``n_users`` and ``n_users_skipped`` (no relevant items).

    Keys: ``ndcg, recall, precision, hit_rate, mrr, map, k, n_users, n_users_skipped``.
    """
    judged = _judge(ranked, relevant, k, gains)
    out: dict[str, float | int] = {name: per_user_mean(fn(judged), judged.counted) for name, fn in _PER_USER.items()}
    out["k"] = judged.k
    out["n_users"] = judged.hits.shape[0]
    out["n_users_skipped"] = int((~judged.counted).sum())
    return out


def top_k_excluding(
    scores: ArrayLike, k: int, exclude: Any = None, *, batch_size: int | None = None
) -> np.ndarray:
    """Rank the full catalogue per user and return the best ``k`` item indices, best first.

    ``scores`` is (n_users, n_items); ``exclude`` lists each user's items that
    must not be recommended (usually their training items): a list of
    collections of item indices, or a scipy sparse (n_users, n_items) matrix.
    Users are processed in batches of ``batch_size`` rows (default: about 4M
    scores per batch) with ``argpartition``. Excluded items, and items scored
    ``-inf``, are never returned: a user with fewer than ``k`` such candidates
    gets ``-1`` in the remaining slots. Ties are broken deterministically but in
    no documented order.
    """
    arr = np.asarray(scores)
    if arr.ndim != 2:
        raise ValueError(f"scores: need a 2-D (n_users, n_items) array, got shape {arr.shape}")
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"scores: need numeric scores, got dtype {arr.dtype}")
    k = check_k(k)
    n_users, n_items = arr.shape
    if k > n_items:
        raise ValueError(f"k: is {k} but the catalogue has only {n_items} items; lower k")
    if batch_size is None:
        batch_size = max(1, _BATCH_SCORES // max(n_items, 1))
    batch_size = positive_int(batch_size, "batch_size")
    excluded = None if exclude is None else as_ragged(exclude, n_users, "exclude", n_items=n_items)[0]
    out = np.empty((n_users, k), dtype=np.int64)
    for start in range(0, n_users, batch_size):
        stop = min(start + batch_size, n_users)
        block = arr[start:stop].astype(np.result_type(arr.dtype, np.float32), copy=True)
        if np.isnan(block).any():
            raise ValueError(f"scores: contains NaN (in rows {start}..{stop - 1}); score every item")
        if excluded is not None:
            lo, hi = excluded.indptr[start], excluded.indptr[stop]
            block[excluded.rows[lo:hi] - start, excluded.items[lo:hi]] = -np.inf
        out[start:stop] = _top_k_block(block, k)
    return out


def _top_k_block(block: np.ndarray, k: int) -> np.ndarray:
    n_items = block.shape[1]
    cand = np.argpartition(block, n_items - k, axis=1)[:, n_items - k :] if k < n_items else np.argsort(block, axis=1)
    cand_scores = np.take_along_axis(block, cand, axis=1)
    order = np.argsort(-cand_scores, axis=1, kind="stable")
    top = np.take_along_axis(cand, order, axis=1)
    top[np.take_along_axis(cand_scores, order, axis=1) == -np.inf] = EMPTY
    return top
