"""Diversity of top-K recommendation lists: intra-list diversity and category coverage."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from longtail.metrics._inputs import EMPTY, as_labels, as_ranked, per_user_mean

#: about how many embedding values one batch of intra_list_diversity holds in memory
_BATCH_VALUES = 1 << 22


def intra_list_diversity(ranked: ArrayLike, item_embeddings: ArrayLike, *, k: int) -> float:
    """ILD: mean over users of the mean pairwise cosine distance ``1 - cos(e_i, e_j)`` within each top-K list.

    ``item_embeddings`` is (n_items, d), e.g. text embeddings of the titles.
    Lists with fewer than two items are left out. Uses
    ``sum_{i<j} cos_ij = (|sum_i u_i|^2 - sum_i |u_i|^2) / 2`` over unit vectors
    ``u``, in batches of users, so memory stays O(batch * k * d).
    """
    emb = np.asarray(item_embeddings, dtype=np.float64)
    if emb.ndim != 2 or emb.shape[0] == 0 or emb.shape[1] == 0:
        raise ValueError(f"item_embeddings: need a 2-D (n_items, d) array, got shape {emb.shape}")
    if not np.all(np.isfinite(emb)):
        raise ValueError("item_embeddings: contains NaN or infinite values")
    norms = np.linalg.norm(emb, axis=1)
    if np.any(norms == 0):
        raise ValueError(f"item_embeddings: row {int(np.argmax(norms == 0))} is all zeros; cosine is undefined")
    unit = emb / norms[:, None]
    top = as_ranked(ranked, k, n_items=unit.shape[0])
    batch = max(1, _BATCH_VALUES // (top.shape[1] * unit.shape[1]))
    per_user = np.empty(top.shape[0])
    for start in range(0, top.shape[0], batch):
        block = top[start : start + batch]
        filled = block != EMPTY
        vectors = unit[np.where(filled, block, 0)] * filled[..., None]
        n = filled.sum(axis=1).astype(np.float64)
        pair_cos = (np.square(vectors.sum(axis=1)).sum(axis=1) - n) / 2.0
        pairs = n * (n - 1) / 2.0
        per_user[start : start + batch] = np.divide(
            pairs - pair_cos, pairs, out=np.full(n.shape, np.nan), where=pairs > 0
        )
    return per_user_mean(per_user, ~np.isnan(per_user))


def category_coverage(ranked: ArrayLike, item_categories: ArrayLike, *, k: int) -> float:
    """Share of the catalogue's categories that appear in at least one top-K list.

    ``item_categories`` gives each item's category (any labels, one per item);
    the categories counted are the distinct labels in it.
    """
    labels, codes = np.unique(as_labels(item_categories, "item_categories"), return_inverse=True)
    if labels.size == 0:
        raise ValueError("item_categories: the catalogue is empty")
    top = as_ranked(ranked, k, n_items=codes.size)
    shown = np.zeros(labels.size, dtype=bool)
    shown[codes[top[top != EMPTY]]] = True
    return float(shown.mean())
