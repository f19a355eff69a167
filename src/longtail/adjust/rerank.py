"""Exposure-aware re-ranking: trade a little relevance for tail exposure.

Items are split into a popular head and a long tail by
:func:`longtail.metrics.popularity_buckets`. Each user's top
``n_candidates`` items by score are re-ranked greedily, one list position
at a time, all users at once; ``rel`` is the score min-max scaled to [0, 1]
over the user's candidates, ``P(g|u)`` the share of group ``g`` in the user's
history (uniform without history) and ``S`` the items picked so far.

* ``method="xquad"`` (smooth xQuAD, Abdollahpouri et al., 2019):
  ``(1 - lam) * rel(i) + lam * P(g_i|u) * (1 - |S in g_i| / |S|)``;
* ``method="calibrated"`` (calibrated popularity, Abdollahpouri et al., 2021):
  ``(1 - lam) * rel(i) - lam * JS(P(.|u), Q(S + {i}))`` where ``Q`` is the
  group distribution of the list and JS the Jensen-Shannon divergence.

``lam = 0`` gives exactly the top ``k`` by score.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from longtail.adjust._base import as_scores, require_fitted
from longtail.augment._checks import check_count, check_fraction
from longtail.metrics import popularity_buckets, top_k_excluding

METHODS = ("xquad", "calibrated")
N_GROUPS = 2  # 0 = head, 1 = tail


def per_user_items(obj: object, n_users: int, n_items: int, name: str) -> sparse.csr_matrix:
    """A (n_users, n_items) 0/1 matrix from a boolean mask, a sparse matrix or per-user index lists."""
    if sparse.issparse(obj) or (isinstance(obj, np.ndarray) and obj.dtype == bool):
        matrix = sparse.csr_matrix(obj, dtype=np.float64, copy=True)  # a copy: the caller's matrix stays as it is
        if matrix.shape != (n_users, n_items):
            raise ValueError(f"{name} must have shape ({n_users}, {n_items}) like scores, got {matrix.shape}")
        matrix.eliminate_zeros()
        matrix.data[:] = 1.0
        return matrix
    if isinstance(obj, str) or len(obj) != n_users:
        raise ValueError(f"{name} must hold one array of item indices per user ({n_users}), or a boolean mask")
    parts = [np.asarray(items, dtype=np.int64).ravel() for items in obj]
    items = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    if items.size and (items.min() < 0 or items.max() >= n_items):
        raise ValueError(f"{name} holds item index {items.min() if items.min() < 0 else items.max()}; "
                         f"indices must be in [0, {n_items})")
    users = np.repeat(np.arange(n_users), [p.size for p in parts])
    matrix = sparse.csr_matrix((np.ones(items.size), (users, items)), shape=(n_users, n_items))
    matrix.data[:] = 1.0  # repeated items count once
    return matrix


def js_divergence(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Jensen-Shannon divergence (natural log) between distributions on the last axis."""
    m = (p + q) / 2

    def kl(a: np.ndarray) -> np.ndarray:
        return np.sum(np.where(a > 0, a * np.log(np.where(a > 0, a, 1) / np.where(m > 0, m, 1)), 0.0), axis=-1)

    return (kl(p) + kl(q)) / 2


class ExposureReranker:
    """Greedy head/tail re-ranking of top-k lists (xQuAD or calibrated popularity)."""

    def __init__(self, lam: float = 0.5, k: int = 10, *, method: str = "xquad", n_candidates: int | None = 100) -> None:
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        self.lam = check_fraction("lam", lam)
        self.k = check_count("k", k)
        self.method = method
        self.n_candidates = None if n_candidates is None else check_count("n_candidates", n_candidates, minimum=k)
        self.groups_: np.ndarray | None = None

    def fit(self, item_popularity: np.ndarray, head_share: float = 0.2, by: str = "items") -> ExposureReranker:
        """Split items into head (0) and tail (1) by popularity.

        The head is the most popular items up to ``head_share`` of the items
        (``by="items"``) or of all interactions (``by="interactions"``).
        """
        check_fraction("head_share", head_share, allow_zero=False, allow_one=False)
        self.groups_ = popularity_buckets(item_popularity, head_share=head_share, by=by)
        return self

    def rerank(self, scores: np.ndarray, exclude: object = None, history: object = None) -> np.ndarray:
        """Re-ranked top-``k`` item indices per user, shape (n_users, k), best first.

        ``exclude`` (never recommended, e.g. training items) and ``history``
        (the user's past items, giving ``P(g|u)``; defaults to ``exclude``) are
        boolean masks like ``scores`` or one array of item indices per user.
        Users with fewer than ``k`` candidates get ``-1`` in the empty slots.
        """
        require_fitted(self, "groups_", "fit(item_popularity)")
        scores = as_scores(scores, allow_inf=True)
        if scores.ndim != 2 or scores.shape[1] != self.groups_.size:
            raise ValueError(
                f"scores must have shape (n_users, {self.groups_.size}) for the fitted catalogue, got {scores.shape}"
            )
        n_users, n_items = scores.shape
        if self.k > n_items:
            raise ValueError(f"k is {self.k} but the catalogue has only {n_items} items; lower k")
        excluded = None if exclude is None else per_user_items(exclude, n_users, n_items, "exclude")
        width = n_items if self.n_candidates is None else min(self.n_candidates, n_items)
        candidates = top_k_excluding(scores, width, excluded)
        if self.lam == 0:
            return candidates[:, : self.k]
        history = excluded if history is None else per_user_items(history, n_users, n_items, "history")
        return self._greedy(scores, candidates, self._user_targets(history, n_users))

    def transform(self, scores: np.ndarray, exclude: object = None, history: object = None) -> np.ndarray:
        """:meth:`rerank` under the name every adjuster shares, so callers can treat adjusters alike."""
        return self.rerank(scores, exclude=exclude, history=history)

    def _user_targets(self, history: sparse.csr_matrix | None, n_users: int) -> np.ndarray:
        """``P(g|u)``: each user's head/tail share in the history, uniform when empty."""
        target = np.full((n_users, N_GROUPS), 1.0 / N_GROUPS)
        if history is None:
            return target
        counts = history @ np.eye(N_GROUPS)[self.groups_]
        total = counts.sum(axis=1, keepdims=True)
        return np.divide(counts, total, out=target, where=total > 0)

    def _greedy(self, scores: np.ndarray, candidates: np.ndarray, target: np.ndarray) -> np.ndarray:
        n_users = scores.shape[0]
        users = np.arange(n_users)
        available = candidates >= 0
        cand_scores = np.where(available, np.take_along_axis(scores, np.maximum(candidates, 0), axis=1), np.nan)
        low, high = np.nanmin(cand_scores, axis=1, initial=np.inf), np.nanmax(cand_scores, axis=1, initial=-np.inf)
        span = np.where(high > low, high - low, 1.0)
        rel = np.nan_to_num((cand_scores - low[:, None]) / span[:, None])
        group = np.where(available, self.groups_[np.maximum(candidates, 0)], 0)
        picked = np.zeros((n_users, N_GROUPS))
        out = np.full((n_users, self.k), -1, dtype=np.int64)
        for position in range(self.k):
            bonus = self._bonus(target, picked, position)
            value = (1 - self.lam) * rel + self.lam * np.take_along_axis(bonus, group, axis=1)
            value[~available] = -np.inf
            best = np.argmax(value, axis=1)
            ok = available[users, best]
            out[ok, position] = candidates[users[ok], best[ok]]
            available[users[ok], best[ok]] = False
            picked[users[ok], group[users[ok], best[ok]]] += 1
        return out

    def _bonus(self, target: np.ndarray, picked: np.ndarray, position: int) -> np.ndarray:
        """Gain of adding an item of each group, per user: shape (n_users, N_GROUPS)."""
        if self.method == "xquad":
            covered = picked / position if position else np.zeros_like(picked)
            return target * (1 - covered)
        after = (picked[:, None, :] + np.eye(N_GROUPS)[None]) / (position + 1)  # list mix after adding group g
        return -js_divergence(target[:, None, :], after)
