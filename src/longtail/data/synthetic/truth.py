"""What the simulator knows and a real shop never does: every user's true taste for every item.

Scores are computed on demand from the stored latent factors, so memory stays
at O(users + items); nothing of size users x items is ever kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from longtail.data.synthetic.funnel import STAGES, Funnel

_PAIR_CHUNK = 1 << 20  # pairs scored at once
_MATRIX_BUDGET = 1 << 22  # user x item cells held at once in top_k


def _sorted_lookup(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(ids, kind="stable")
    return ids[order], order


@dataclass(frozen=True, eq=False)
class MarketplaceTruth:
    """True preference of the synthetic marketplace's users.

    utility(u, i) = <user factors, item factors> + item quality
    + taste_weight * user taste for the item's leaf category; the probability
    that a view of i by u ends in a purchase is a :class:`Funnel` of it.
    Arrays are in the generator's internal order; public methods take and
    return the dataset's ids.
    """

    user_ids: np.ndarray
    item_ids: np.ndarray
    user_factors: np.ndarray
    item_factors: np.ndarray
    item_quality: np.ndarray
    user_taste: np.ndarray  # (n_users, n_leaves)
    item_leaf: np.ndarray
    categories: tuple[str, ...]  # leaf index -> category path
    funnel: Funnel
    taste_weight: float = 0.5
    item_popularity: np.ndarray | None = None  # popularity channel of the logging policy
    item_propensity: np.ndarray | None = None  # logging policy's exposure share per item
    _users: tuple[np.ndarray, np.ndarray] = field(init=False, repr=False)
    _items: tuple[np.ndarray, np.ndarray] = field(init=False, repr=False)
    _item_side: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_users", _sorted_lookup(np.asarray(self.user_ids, dtype=np.int64)))
        object.__setattr__(self, "_items", _sorted_lookup(np.asarray(self.item_ids, dtype=np.int64)))
        leaf_one_hot = np.eye(self.user_taste.shape[1])[self.item_leaf]
        object.__setattr__(self, "_item_side", np.hstack([self.item_factors, leaf_one_hot]))

    def with_policy(self, popularity: np.ndarray, propensity: np.ndarray) -> "MarketplaceTruth":
        """A copy that also knows the logging policy's popularity and exposure share of each item."""
        return replace(self, item_popularity=popularity, item_propensity=propensity)

    def with_funnel(self, funnel: Funnel) -> "MarketplaceTruth":
        """A copy whose utility-to-purchase funnel is ``funnel``."""
        return replace(self, funnel=funnel)

    # ------------------------------------------------------------- id lookups
    @staticmethod
    def _index(ids, lookup: tuple[np.ndarray, np.ndarray], what: str) -> np.ndarray:
        ids = np.asarray(ids)
        if ids.dtype.kind not in "iu":
            raise ValueError(f"{what}: ids must be integers, got dtype {ids.dtype}; pass the dataset's Int64 ids")
        sorted_ids, order = lookup
        pos = np.clip(np.searchsorted(sorted_ids, ids), 0, len(sorted_ids) - 1)
        unknown = sorted_ids[pos] != ids
        if unknown.any():
            raise ValueError(f"{what}: unknown id {int(ids[unknown].flat[0])}; use ids from the dataset's tables")
        return order[pos]

    def user_index(self, user_ids) -> np.ndarray:
        """Internal row of each user id (ValueError on an unknown id)."""
        return self._index(user_ids, self._users, "user_ids")

    def item_index(self, item_ids) -> np.ndarray:
        """Internal row of each item id (ValueError on an unknown id)."""
        return self._index(item_ids, self._items, "item_ids")

    # --------------------------------------------------------------- utility
    def utility_of_pairs(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """True utility of (internal user, internal item) pairs, elementwise."""
        return (
            np.einsum("ij,ij->i", self.user_factors[users], self.item_factors[items])
            + self.item_quality[items]
            + self.taste_weight * self.user_taste[users, self.item_leaf[items]]
        )

    def utility_matrix(self, users: np.ndarray) -> np.ndarray:
        """True utility of the given internal users for every item, shape (len(users), n_items)."""
        # One matrix product: the leaf taste is a factor that items carry as a one-hot column.
        user_side = np.hstack([self.user_factors[users], self.taste_weight * self.user_taste[users]])
        return user_side @ self._item_side.T + self.item_quality

    def _pairwise(self, user_ids, item_ids) -> tuple[np.ndarray, tuple[int, ...]]:
        users, items = np.broadcast_arrays(np.asarray(user_ids), np.asarray(item_ids))
        shape = users.shape
        u = self.user_index(users.ravel())
        i = self.item_index(items.ravel())
        out = np.empty((len(STAGES), u.size), dtype=np.float64)
        for s in range(0, u.size, _PAIR_CHUNK):
            block = slice(s, s + _PAIR_CHUNK)
            out[:, block] = self.funnel.reach_probabilities(self.utility_of_pairs(u[block], i[block]))
        return out, shape

    # ----------------------------------------------------------- public API
    def score(self, user_ids, item_ids) -> np.ndarray:
        """True probability that a view of each item by each user ends in a purchase.

        ``user_ids`` and ``item_ids`` are broadcast against each other
        (pairs, or e.g. a column of users against a row of items).
        """
        probs, shape = self._pairwise(user_ids, item_ids)
        return probs[-1].reshape(shape)

    def event_probabilities(self, user_ids, item_ids) -> dict[str, np.ndarray]:
        """True probability that a view goes on to each funnel step ('click', 'cart', 'purchase')."""
        probs, shape = self._pairwise(user_ids, item_ids)
        return {stage: probs[s].reshape(shape) for s, stage in enumerate(STAGES)}

    def top_k(self, user_ids, k: int, exclude: Mapping[int, np.ndarray] | None = None,
              batch_size: int | None = None) -> np.ndarray:
        """Item ids of the ``k`` truly best items per user, best first, shape (n_users, k).

        ``exclude`` maps a user id to item ids to skip (e.g. their training
        items). Users are scored ``batch_size`` at a time (default: enough to
        hold about four million scores) to bound memory.
        """
        n_items = len(self.item_ids)
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n_items:
            raise ValueError(f"k must be an integer between 1 and the {n_items} catalogue items; got {k!r}")
        user_ids = np.asarray(user_ids).ravel()
        users = self.user_index(user_ids)
        batch = batch_size or max(1, _MATRIX_BUDGET // n_items)
        out = np.empty((len(users), k), dtype=np.int64)
        for start in range(0, len(users), batch):
            scores = self.utility_matrix(users[start:start + batch])
            if exclude:
                self._mask(scores, user_ids[start:start + batch], exclude, k)
            top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            order = np.lexsort((top, -np.take_along_axis(scores, top, axis=1)), axis=1)
            out[start:start + batch] = self.item_ids[np.take_along_axis(top, order, axis=1)]
        return out

    def _mask(self, scores: np.ndarray, user_ids: np.ndarray, exclude: Mapping[int, np.ndarray], k: int) -> None:
        for row, uid in enumerate(user_ids):
            skip = exclude.get(int(uid))
            if skip is None or len(skip) == 0:
                continue
            scores[row, self.item_index(np.asarray(skip).ravel())] = -np.inf
            if np.isfinite(scores[row]).sum() < k:
                raise ValueError(f"exclude: user {int(uid)} has fewer than k={k} items left; lower k")

    def exposure_propensity(self, item_ids) -> np.ndarray:
        """Probability that the logging policy shows each item in a view (sums to 1 over the catalogue)."""
        return self._policy(self.item_propensity, item_ids)

    def logging_popularity(self, item_ids) -> np.ndarray:
        """Share of the logging policy's popularity channel given to each item."""
        return self._policy(self.item_popularity, item_ids)

    def _policy(self, values: np.ndarray | None, item_ids) -> np.ndarray:
        if values is None:
            raise ValueError("this truth has no logging policy attached; build it with make_marketplace")
        return values[self.item_index(item_ids)]

    def category(self, item_ids) -> np.ndarray:
        """True (catalogue) category path of each item."""
        return np.asarray(self.categories, dtype=object)[self.item_leaf[self.item_index(item_ids)]]
