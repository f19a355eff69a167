"""The old system's logging policy: which item a view shows.

A view comes from item popularity (the bestseller lists and banners) with
probability 1 - preference_share, otherwise from the user's own browsing of
the session's category: the best, by true utility, of ``n_candidates``
random items of that category. Good tail items are therefore shown, and
clicked, far less than their true appeal deserves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from longtail.data.synthetic.truth import MarketplaceTruth

_CHUNK_VIEWS = 1 << 16  # preference views scored at once (n_candidates x n_factors floats each)
_CELL_BUDGET = 1 << 22  # user x item utilities held at once
_EXACT_CELLS = 50_000_000  # up to this many user x item pairs the propensity sums over every user


@dataclass(frozen=True)
class LoggingPolicy:
    """Popularity-biased exposure with a share of true-preference browsing."""

    popularity: np.ndarray  # (n_items,) sums to 1
    leaf_start: np.ndarray  # items of leaf l are internal indices [leaf_start[l], leaf_start[l + 1])
    preference_share: float
    n_candidates: int

    def sample(self, rng: np.random.Generator, truth: MarketplaceTruth, users: np.ndarray,
               leaves: np.ndarray) -> np.ndarray:
        """Internal item index shown in each view of (internal user, browsed leaf)."""
        n = len(users)
        by_preference = rng.random(n) < self.preference_share
        items = np.empty(n, dtype=np.int64)
        items[~by_preference] = rng.choice(len(self.popularity), size=int((~by_preference).sum()), p=self.popularity)
        rows = np.flatnonzero(by_preference)
        for s in range(0, len(rows), _CHUNK_VIEWS):
            chunk = rows[s:s + _CHUNK_VIEWS]
            items[chunk] = self._browse(rng, truth, users[chunk], leaves[chunk])
        return items

    def _browse(self, rng: np.random.Generator, truth: MarketplaceTruth, users: np.ndarray,
                leaves: np.ndarray) -> np.ndarray:
        start = self.leaf_start[leaves]
        size = self.leaf_start[leaves + 1] - start
        candidates = start[:, None] + np.floor(rng.random((len(users), self.n_candidates)) * size[:, None]).astype(np.int64)
        # The leaf taste term is the same for every candidate, so factors and quality decide.
        utility = np.einsum("nd,ncd->nc", truth.user_factors[users], truth.item_factors[candidates])
        utility += truth.item_quality[candidates]
        return np.take_along_axis(candidates, utility.argmax(axis=1)[:, None], axis=1)[:, 0]

    def propensity(self, rng: np.random.Generator, truth: MarketplaceTruth, activity: np.ndarray) -> np.ndarray:
        """Probability that a view shows each item, in closed form.

        The best of C uniform draws (with replacement) from a leaf of n items
        is the item of within-leaf rank r (0 = best) with probability
        ((n - r) / n)^C - ((n - r - 1) / n)^C. Averaged over users weighted by
        activity and by how often they browse the leaf: exact over all users
        when users x items is small, else over an activity-weighted sample.
        """
        n_users, n_items = truth.user_factors.shape[0], len(self.popularity)
        if n_users * n_items <= _EXACT_CELLS:
            users, weight = np.arange(n_users), activity
        else:
            size = max(1, _EXACT_CELLS // n_items)
            users = np.sort(rng.choice(n_users, size=size, p=activity))
            weight = np.full(size, 1.0 / size)
        browse = np.zeros(n_items)
        batch = max(1, _CELL_BUDGET // n_items)
        for s in range(0, len(users), batch):
            browse += self._browse_share(truth, users[s:s + batch], weight[s:s + batch])
        return (1.0 - self.preference_share) * self.popularity + self.preference_share * browse

    def _browse_share(self, truth: MarketplaceTruth, users: np.ndarray, weight: np.ndarray) -> np.ndarray:
        taste = truth.user_taste[users]
        leaf_prob = np.exp(taste - taste.max(axis=1, keepdims=True))
        leaf_prob /= leaf_prob.sum(axis=1, keepdims=True)
        utility = truth.user_factors[users] @ truth.item_factors.T + truth.item_quality
        out = np.zeros(utility.shape[1])
        for leaf in range(len(self.leaf_start) - 1):
            a, b = self.leaf_start[leaf], self.leaf_start[leaf + 1]
            n = b - a
            share_left = np.arange(n, 0, -1) / n  # (n - r) / n for within-leaf rank r = 0 .. n - 1
            by_rank = share_left**self.n_candidates - (share_left - 1.0 / n) ** self.n_candidates
            best_of = np.empty((len(users), n))
            np.put_along_axis(best_of, np.argsort(-utility[:, a:b], axis=1), by_rank[None, :], axis=1)
            out[a:b] = (weight * leaf_prob[:, leaf]) @ best_of
        return out
