"""Long-tail and exposure metrics of top-K recommendation lists.

Exposure counts every appearance of an item in the users' top-K lists
(``ranked[:, :k]``, ``-1`` = empty slot). Item popularity is whatever count
the caller chooses (training interactions, or distinct training users).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from longtail.metrics._inputs import (
    EMPTY,
    as_labels,
    as_ragged,
    as_ranked,
    as_vector,
    check_n_items,
    item_mask,
    per_user_mean,
    positive_int,
)
from longtail.metrics.groups import group_summary
from longtail.metrics.ranking import _judge


def gini(counts: ArrayLike) -> float:
    """Gini coefficient ``sum_i sum_j |x_i - x_j| / (2 n^2 mean(x))`` over all n groups, zeros included.

    0 = every group equal, towards 1 = everything in one group. O(n log n): with
    ``x`` sorted ascending and ranks ``i = 1..n`` the double sum equals
    ``2 sum_i (2i - n - 1) x_(i)``.
    """
    x = np.sort(as_vector(counts, "counts"))
    if x.size == 0:
        raise ValueError("counts: need at least one group")
    if np.any(x < 0):
        raise ValueError("counts: every count must be >= 0")
    total = float(x.sum())
    if total <= 0:
        raise ValueError("counts: need at least one positive count")
    n = x.size
    weights = 2.0 * np.arange(1, n + 1, dtype=np.float64) - n - 1.0
    # Rounding can push an exactly even vector a hair outside [0, 1].
    return min(max(float(weights @ x) / (n * total), 0.0), 1.0)


def exposure_counts(ranked: ArrayLike, n_items: int, *, k: int, rank_weights: ArrayLike | None = None) -> np.ndarray:
    """How often each of the ``n_items`` items appears in the top-K lists (float64, length n_items).

    ``rank_weights`` (length k) weighs an appearance by its rank, e.g.
    ``discounts(k)`` for position-aware exposure; default 1 for every rank.
    """
    n_items = check_n_items(n_items)
    top = as_ranked(ranked, k, n_items=n_items)
    filled = top != EMPTY
    weights = None
    if rank_weights is not None:
        w = as_vector(rank_weights, "rank_weights", length=top.shape[1])
        if np.any(w < 0):
            raise ValueError("rank_weights: must be >= 0")
        weights = np.broadcast_to(w, top.shape)[filled]
    return np.bincount(top[filled], weights=weights, minlength=n_items).astype(np.float64)


def item_coverage(ranked: ArrayLike, n_items: int, *, k: int) -> float:
    """Share of the ``n_items`` catalogue items that appear in at least one top-K list."""
    return float((exposure_counts(ranked, n_items, k=k) > 0).mean())


def exposure_gini(ranked: ArrayLike, n_items: int, *, k: int, rank_weights: ArrayLike | None = None) -> float:
    """Gini of the exposure counts over all ``n_items`` items (unrecommended items count as 0)."""
    return gini(exposure_counts(ranked, n_items, k=k, rank_weights=rank_weights))


def exposure_entropy(ranked: ArrayLike, n_items: int, *, k: int, normalized: bool = False) -> float:
    """Shannon entropy (nats) of the exposure distribution ``p_i = count_i / sum(count)``.

    With ``normalized=True`` it is divided by ``ln(n_items)``, so 1 means every
    item is exposed equally often (0 when ``n_items == 1``).
    """
    counts = exposure_counts(ranked, n_items, k=k)
    total = counts.sum()
    if total <= 0:
        raise ValueError("ranked: the top-K lists are empty; nothing was recommended")
    p = counts[counts > 0] / total
    entropy = max(float(-(p * np.log(p)).sum()), 0.0)
    if not normalized:
        return entropy
    return 0.0 if n_items == 1 else min(entropy / math.log(n_items), 1.0)


def _per_user_share(top: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Mean of ``values[item]`` over each user's filled slots (NaN for an empty list)."""
    filled = top != EMPTY
    summed = np.where(filled, values[np.where(filled, top, 0)], 0.0).sum(axis=1)
    n = filled.sum(axis=1)
    return np.divide(summed, n, out=np.full(summed.shape, np.nan), where=n > 0)


def average_recommendation_popularity(ranked: ArrayLike, item_popularity: ArrayLike, *, k: int) -> float:
    """ARP: mean over users of the mean popularity of their top-K items."""
    pop = as_vector(item_popularity, "item_popularity")
    top = as_ranked(ranked, k, n_items=pop.size)
    return per_user_mean(_finite(_per_user_share(top, pop)))


def _finite(values: np.ndarray) -> np.ndarray:
    return values[~np.isnan(values)]


def aplt(ranked: ArrayLike, tail_items: ArrayLike, *, k: int, n_items: int | None = None) -> float:
    """APLT: mean over users of the share of their top-K items that are in the long tail.

    ``tail_items`` is a boolean mask over the catalogue or a list of item
    indices (then ``n_items`` sizes the catalogue; default: one past the
    largest index seen).
    """
    top, tail = _with_tail(ranked, tail_items, k, n_items)
    return per_user_mean(_finite(_per_user_share(top, tail.astype(np.float64))))


def aclt(ranked: ArrayLike, tail_items: ArrayLike, *, k: int, n_items: int | None = None) -> float:
    """ACLT: mean over users of the number of long-tail items in their top-K list."""
    top, tail = _with_tail(ranked, tail_items, k, n_items)
    filled = top != EMPTY
    return per_user_mean((filled & tail[np.where(filled, top, 0)]).sum(axis=1).astype(np.float64))


def tail_coverage(ranked: ArrayLike, tail_items: ArrayLike, *, k: int, n_items: int | None = None) -> float:
    """Share of the long-tail items that appear in at least one top-K list."""
    top, tail = _with_tail(ranked, tail_items, k, n_items)
    if not tail.any():
        raise ValueError("tail_items: the tail is empty")
    shown = np.zeros(tail.size, dtype=bool)
    shown[top[top != EMPTY]] = True
    return float(shown[tail].mean())


def _with_tail(ranked: ArrayLike, tail_items: ArrayLike, k: int, n_items: int | None) -> tuple[np.ndarray, np.ndarray]:
    top = as_ranked(ranked, k)
    tail_arr = np.asarray(tail_items)
    if n_items is None:
        if tail_arr.dtype == bool:
            n_items = tail_arr.size
        else:
            n_items = max(int(tail_arr.max(initial=-1)), int(top.max(initial=-1))) + 1
    n_items = check_n_items(n_items)
    if top.size and top.max() >= n_items:
        raise ValueError(f"ranked: item index {top.max()} is out of range for n_items={n_items}")
    return top, item_mask(tail_arr, n_items, "tail_items")


def tail_percentage(ranked: ArrayLike, item_popularity: ArrayLike, *, k: int, tail_ratio: float = 0.1) -> float:
    """RecBole's TailPercentage: APLT with the tail read off item popularity.

    ``tail_ratio`` > 1 is a count: the tail is every item with popularity <=
    tail_ratio. ``tail_ratio`` in (0, 1] is a share: the tail is the
    ``max(1, floor(tail_ratio * n_items))`` least popular items (ties by item index).
    """
    pop = as_vector(item_popularity, "item_popularity")
    if not tail_ratio > 0:
        raise ValueError(f"tail_ratio: must be > 0, got {tail_ratio}")
    if tail_ratio > 1:
        tail = pop <= tail_ratio
    else:
        cut = max(int(pop.size * tail_ratio), 1)
        tail = np.zeros(pop.size, dtype=bool)
        tail[np.argsort(pop, kind="stable")[:cut]] = True
    return aplt(ranked, tail, k=k)


def popularity_buckets(
    item_popularity: ArrayLike,
    n_buckets: int | None = None,
    *,
    head_share: float | None = None,
    by: str = "interactions",
) -> np.ndarray:
    """Bucket index per item, 0 = most popular; give exactly one of ``n_buckets`` or ``head_share``.

    Items are sorted by popularity, most popular first (ties by item index).
    ``by="interactions"`` cuts by the share of all interactions the items
    before an item hold; ``by="items"`` by the share of items before it.
    ``n_buckets=b`` puts an item in bucket ``floor(b * share_before)``, so each
    bucket holds about 1/b of the interactions (or items). ``head_share=s``
    gives two buckets: 0 = head (share_before < s), 1 = tail. Elliot's
    long tail is ``head_share=0.8, by="interactions"``; Zhu et al.'s popular
    group is ``head_share=0.2, by="items"``.
    """
    pop = as_vector(item_popularity, "item_popularity")
    if pop.size == 0 or np.any(pop < 0):
        raise ValueError("item_popularity: need one count >= 0 per item")
    if (n_buckets is None) == (head_share is None):
        raise ValueError("n_buckets: give exactly one of n_buckets or head_share")
    if by not in ("interactions", "items"):
        raise ValueError(f"by: must be 'interactions' or 'items', got {by!r}")
    order = np.argsort(-pop, kind="stable")
    if by == "items":
        before = np.arange(pop.size, dtype=np.float64) / pop.size
    else:
        total = pop.sum()
        if total <= 0:
            raise ValueError("item_popularity: all zero; cannot cut by interactions (use by='items')")
        before = (np.cumsum(pop[order]) - pop[order]) / total
    if n_buckets is not None:
        n_buckets = positive_int(n_buckets, "n_buckets")
        sorted_bucket = np.minimum((before * n_buckets).astype(np.int64), n_buckets - 1)
    else:
        if not 0 < head_share < 1:
            raise ValueError(f"head_share: must be in (0, 1), got {head_share}")
        sorted_bucket = (before >= head_share).astype(np.int64)
    buckets = np.empty(pop.size, dtype=np.int64)
    buckets[order] = sorted_bucket
    return buckets


def _group_codes(item_groups: ArrayLike, name: str = "item_groups") -> tuple[np.ndarray, np.ndarray]:
    labels, codes = np.unique(as_labels(item_groups, name), return_inverse=True)
    return labels, codes


def recall_by_item_group(ranked: ArrayLike, relevant: Any, item_groups: ArrayLike, *, k: int) -> dict[Any, float]:
    """Recall@K of each item group, pooled over users: hits on relevant items of group g / relevant items of g.

    ``item_groups`` gives each catalogue item's group (a category, a
    popularity bucket ...). Pooling keeps rare groups (about one relevant item
    per user) measurable. Groups with no relevant item are left out.
    """
    labels, codes = _group_codes(item_groups)
    judged = _judge(ranked, relevant, k)
    rel_items = judged.relevant.items
    for name, items in (("relevant", rel_items), ("ranked", judged.top)):
        if items.size and items.max() >= codes.size:
            raise ValueError(f"{name}: item index {items.max()} has no entry in item_groups ({codes.size} items)")
    hit_items = judged.top[judged.hits]
    hits = np.bincount(codes[hit_items], minlength=labels.size)
    totals = np.bincount(codes[rel_items], minlength=labels.size)
    return {labels[g].item(): float(hits[g] / totals[g]) for g in range(labels.size) if totals[g] > 0}


def reo(ranked: ArrayLike, relevant: Any, item_groups: ArrayLike, *, k: int) -> float:
    """Ranking-based equal opportunity: ``std / mean`` of the per-group recall (:func:`recall_by_item_group`).

    0 = every item group's relevant items are found equally often; larger = less
    equal. NaN when no relevant item is found at all.
    """
    return group_summary(recall_by_item_group(ranked, relevant, item_groups, k=k))["cv"]


def rsp(ranked: ArrayLike, item_groups: ArrayLike, *, k: int, exclude: Any = None) -> float:
    """Ranking-based statistical parity: ``std / mean`` over item groups of P(recommended | group).

    P(recommended | g) = top-K slots holding items of g, summed over users,
    divided by the items of g each user could have been shown (all items of g
    minus the user's ``exclude``d training items), summed over users.
    """
    labels, codes = _group_codes(item_groups)
    top = as_ranked(ranked, k, n_items=codes.size)
    shown = np.bincount(codes[top[top != EMPTY]], minlength=labels.size)
    available = np.bincount(codes, minlength=labels.size) * top.shape[0]
    if exclude is not None:
        excluded = as_ragged(exclude, top.shape[0], "exclude", n_items=codes.size)[0]
        available = available - np.bincount(codes[excluded.items], minlength=labels.size)
    return group_summary({g: shown[g] / available[g] for g in range(labels.size) if available[g] > 0})["cv"]


def pop_reo(
    ranked: ArrayLike,
    relevant: Any,
    item_popularity: ArrayLike,
    *,
    k: int,
    head_share: float = 0.2,
    by: str = "items",
) -> float:
    """PopREO (Zhu et al. 2021): :func:`reo` between the popular head and the long tail.

    Default split: the 20% most popular items are the head (Zhu et al.);
    ``head_share=0.8, by="interactions"`` reproduces Elliot.
    """
    return reo(ranked, relevant, popularity_buckets(item_popularity, head_share=head_share, by=by), k=k)


def pop_rsp(
    ranked: ArrayLike,
    item_popularity: ArrayLike,
    *,
    k: int,
    exclude: Any = None,
    head_share: float = 0.2,
    by: str = "items",
) -> float:
    """PopRSP (Zhu et al. 2021): :func:`rsp` between the popular head and the long tail, split as in :func:`pop_reo`."""
    return rsp(ranked, popularity_buckets(item_popularity, head_share=head_share, by=by), k=k, exclude=exclude)
