"""ItemKNN: items similar (cosine over their users) to those the user already has."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from longtail.models.persist import register_model
from longtail.models.recommend.base import Recommender, check_count, user_item_matrix


def item_neighbours(history: sparse.csr_matrix, n_neighbors: int) -> sparse.csr_matrix:
    """Cosine similarity of each item to its ``n_neighbors`` most similar other items, as a sparse matrix.

    Row i holds item i's neighbours; similarities are over the items' user
    columns of ``history``. Items without users, and pairs sharing no user,
    get no entry.
    """
    from sklearn.neighbors import NearestNeighbors

    n_items = history.shape[1]
    width = min(n_neighbors, n_items - 1)
    if width < 1:
        return sparse.csr_matrix((n_items, n_items), dtype=np.float32)
    by_item = history.T.tocsr()
    # Brute force on sparse rows works in bounded-memory chunks; kneighbors() without X leaves each item out of its own list.
    distance, neighbour = NearestNeighbors(n_neighbors=width, metric="cosine", algorithm="brute").fit(by_item).kneighbors()
    similarity = 1.0 - distance
    rows = np.repeat(np.arange(n_items), width)
    keep = similarity.ravel() > 1e-12
    return sparse.csr_matrix(
        (similarity.ravel()[keep].astype(np.float32), (rows[keep], neighbour.ravel()[keep])), shape=(n_items, n_items)
    )


@register_model
class ItemKNN(Recommender):
    """Item-based collaborative filtering (Sarwar et al. 2001; Deshpande & Karypis 2004).

    A user's score for item j is the sum, over the items i in their history,
    of sim(i, j) when j is one of i's ``n_neighbors`` nearest items by cosine
    similarity of the items' user vectors.
    """

    __module__ = "longtail.models.recommend"
    model_name = "itemknn"
    param_names = ("n_neighbors",)
    # Cosine over 0/1 user columns: thinning a head item's users changes its neighbours, repeating pairs does not.
    counts_repeated_pairs = False

    def __init__(self, n_neighbors: int = 100) -> None:
        self.n_neighbors = check_count(n_neighbors, "n_neighbors")
        self.similarity_: sparse.csr_matrix | None = None
        self.history_: sparse.csr_matrix | None = None

    def fit(
        self,
        user_idx: Any,
        item_idx: Any,
        n_users: int,
        n_items: int,
        strategy: Any = None,
        item_text_emb: Any = None,
        progress: bool = False,
    ) -> "ItemKNN":
        """Build the neighbour lists from the training pairs (``item_text_emb`` and ``progress`` are unused)."""
        users, items, _ = self._begin_fit(user_idx, item_idx, n_users, n_items, strategy)
        self.history_ = user_item_matrix(users, items, self.n_users_, self.n_items_)
        self.similarity_ = item_neighbours(self.history_, self.n_neighbors)
        return self

    def _score_batch(self, users: np.ndarray) -> np.ndarray:
        return (self.history_[users] @ self.similarity_).toarray()

    def _tensors(self) -> dict[str, np.ndarray]:
        s, h = self.similarity_, self.history_
        return {
            "similarity_data": s.data, "similarity_indices": s.indices, "similarity_indptr": s.indptr,
            "history_indices": h.indices, "history_indptr": h.indptr,
        }

    def _load_tensors(self, tensors: dict[str, np.ndarray]) -> None:
        n = self.n_items_
        self.similarity_ = sparse.csr_matrix(
            (tensors["similarity_data"], tensors["similarity_indices"], tensors["similarity_indptr"]), shape=(n, n)
        )
        indices = tensors["history_indices"]
        self.history_ = sparse.csr_matrix(
            (np.ones(indices.size, dtype=np.float32), indices, tensors["history_indptr"]), shape=(self.n_users_, n)
        )
