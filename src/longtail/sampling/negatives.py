"""Negative samplers for implicit feedback: draw items a user has not interacted with.

Every sampler has ``sample(user_ids, n_neg, seed=None, exclude=None)`` and
returns an ``(len(user_ids), n_neg)`` array of item indices (``0..n_items-1``),
drawn independently with replacement. ``exclude`` holds each user's positives
(see :class:`PositivesLookup`); a draw that hits one is redrawn, which gives
exactly the target distribution restricted to the user's other items. Users
whose positives cover most of the mass fall back to drawing from that
restricted distribution directly, so a few heavy users cannot stall a batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from longtail.sampling.base import make_rng

_REDRAW_ROUNDS = 8


class PositivesLookup:
    """Membership test for (user, item) pairs, built from one of several layouts.

    ``exclude`` may be a scipy sparse matrix (rows = users, columns = items,
    every stored entry a positive), a mapping ``{user: item indices}`` or a
    sequence indexed by user. Only the users asked about are read.
    """

    def __init__(self, exclude: Any, user_ids: np.ndarray, n_items: int) -> None:
        self.n_items = n_items
        if hasattr(exclude, "tocsr"):
            exclude = exclude.tocsr()
        users = np.unique(user_ids)
        self.items_of = {int(u): self._items(exclude, int(u)) for u in users}
        keys = [u * n_items + items for u, items in self.items_of.items() if items.size]
        self.keys = np.unique(np.concatenate(keys)) if keys else np.empty(0, dtype=np.int64)

    def _items(self, exclude: Any, user: int) -> np.ndarray:
        if hasattr(exclude, "indptr"):
            items = exclude.indices[exclude.indptr[user] : exclude.indptr[user + 1]] if user < exclude.shape[0] else ()
        elif isinstance(exclude, Mapping):
            items = exclude.get(user, ())
        elif isinstance(exclude, Sequence):
            items = exclude[user] if user < len(exclude) else ()
        else:
            raise ValueError(
                f"exclude of type {type(exclude).__name__} is not understood; give a scipy sparse matrix "
                "(users x items), a dict {user: items} or a list indexed by user"
            )
        items = np.unique(np.asarray(items, dtype=np.int64))
        if items.size and (items[0] < 0 or items[-1] >= self.n_items):
            raise ValueError(f"exclude lists item {items[-1] if items[-1] >= self.n_items else items[0]} for user {user}, outside 0..{self.n_items - 1}")
        return items

    def contains(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Whether each (user, item) pair is a positive (arrays broadcast together)."""
        if self.keys.size == 0:
            return np.zeros(np.broadcast(users, items).shape, dtype=bool)
        keys = users.astype(np.int64) * self.n_items + items
        at = np.minimum(np.searchsorted(self.keys, keys), self.keys.size - 1)
        return self.keys[at] == keys


def _user_ids(user_ids: Any) -> np.ndarray:
    users = np.asarray(user_ids)
    if users.ndim != 1 or users.dtype.kind not in "iu":
        raise ValueError("user_ids must be a 1-D array of int user indices")
    if users.size and users.min() < 0:
        raise ValueError(f"user_ids has a negative index ({users.min()}); give indices >= 0")
    return users.astype(np.int64)


def _check_n_neg(n_neg: Any) -> int:
    if not isinstance(n_neg, (int, np.integer)) or n_neg < 1:
        raise ValueError(f"n_neg={n_neg!r} must be a positive int")
    return int(n_neg)


class ItemNegativeSampler:
    """Draws from a fixed distribution over items (``probabilities_``), minus each user's positives."""

    probabilities_: np.ndarray

    def _set_probabilities(self, weights: np.ndarray) -> None:
        total = weights.sum()
        if weights.size == 0 or not np.isfinite(total) or total <= 0:
            raise ValueError("the item weights must be finite, >= 0 and not all 0; give at least one item with interactions")
        self.probabilities_ = weights / total
        self._cdf = np.cumsum(self.probabilities_)
        self._cdf[-1] = 1.0

    @property
    def n_items(self) -> int:
        """Number of items that can be drawn from."""
        return self.probabilities_.size

    def _draw(self, rng: np.random.Generator, size: Any) -> np.ndarray:
        return np.minimum(np.searchsorted(self._cdf, rng.random(size), side="right"), self.n_items - 1)

    def sample(self, user_ids: Any, n_neg: int, seed: Any = None, exclude: Any = None) -> np.ndarray:
        """``(len(user_ids), n_neg)`` item indices, none of them a positive of its user."""
        users, n_neg = _user_ids(user_ids), _check_n_neg(n_neg)
        rng = make_rng(seed)
        out = self._draw(rng, (users.size, n_neg))
        if exclude is None:
            return out
        lookup = PositivesLookup(exclude, users, self.n_items)
        bad = lookup.contains(users[:, None], out)
        for _ in range(_REDRAW_ROUNDS):
            if not bad.any():
                return out
            out[bad] = self._draw(rng, int(bad.sum()))
            bad[bad] = lookup.contains(np.broadcast_to(users[:, None], out.shape)[bad], out[bad])
        for row in np.flatnonzero(bad.any(axis=1)):
            out[row, bad[row]] = self._draw_restricted(rng, lookup.items_of[int(users[row])], int(bad[row].sum()), users[row])
        return out

    def _draw_restricted(self, rng: np.random.Generator, positives: np.ndarray, size: int, user: int) -> np.ndarray:
        p = self.probabilities_.copy()
        p[positives] = 0.0
        if p.sum() <= 0:
            raise ValueError(f"user {user} has no item left to draw as a negative; drop that user or widen the item set")
        return rng.choice(self.n_items, size=size, p=p / p.sum())


class UniformNegativeSampler(ItemNegativeSampler):
    """Every item equally likely: ``p(i) = 1 / n_items``."""

    def __init__(self, n_items: int) -> None:
        if not isinstance(n_items, (int, np.integer)) or n_items < 1:
            raise ValueError(f"n_items={n_items!r} must be a positive int")
        self._set_probabilities(np.ones(int(n_items)))


class PopularityNegativeSampler(ItemNegativeSampler):
    """Items drawn with ``p(i) ∝ count_i ** alpha`` (word2vec's 0.75 by default).

    ``alpha=0`` gives uniform draws over items with any count, ``alpha=1``
    plain popularity; items with a count of 0 are never drawn when
    ``alpha > 0``.
    """

    def __init__(self, item_counts: Any, alpha: float = 0.75) -> None:
        counts = np.asarray(item_counts, dtype=np.float64)
        if counts.ndim != 1 or (counts < 0).any():
            raise ValueError("item_counts must be a 1-D array of counts >= 0, one per item index")
        if not np.isfinite(alpha) or alpha < 0:
            raise ValueError(f"alpha={alpha!r} must be a finite number >= 0 (0.75 is the usual choice)")
        self.alpha = float(alpha)
        weights = np.zeros_like(counts)
        seen = counts > 0
        weights[seen] = counts[seen] ** self.alpha
        self._set_probabilities(weights)


class InBatchNegatives:
    """Negatives taken from the other rows of the batch: the items the rest of the batch bought.

    Row ``i`` draws positions ``j != i`` uniformly; the item there is a
    negative unless it is row ``i``'s own item or one of its user's
    positives. Items therefore come with their in-batch frequency, which is
    their popularity (the bias a logQ correction removes).
    """

    def sample(
        self,
        user_ids: Any,
        n_neg: int,
        seed: Any = None,
        exclude: Any = None,
        *,
        batch_items: Any,
    ) -> np.ndarray:
        """``(len(user_ids), n_neg)`` item indices drawn from ``batch_items`` (row ``i``'s positive is ``batch_items[i]``)."""
        users, n_neg = _user_ids(user_ids), _check_n_neg(n_neg)
        items = np.asarray(batch_items, dtype=np.int64)
        if items.shape != users.shape:
            raise ValueError(f"batch_items has shape {items.shape}; give one item per row of user_ids ({users.shape})")
        if users.size < 2:
            raise ValueError("in-batch negatives need a batch of at least 2 rows")
        rng = make_rng(seed)
        lookup = PositivesLookup(exclude, users, int(items.max()) + 1) if exclude is not None else None

        def invalid(rows: np.ndarray, positions: np.ndarray) -> np.ndarray:
            bad = items[positions] == items[rows]
            if lookup is not None:
                bad |= lookup.contains(users[rows], items[positions])
            return bad

        rows = np.broadcast_to(np.arange(users.size)[:, None], (users.size, n_neg))
        positions = self._other_positions(rng, rows, users.size)
        bad = invalid(rows, positions)
        for _ in range(_REDRAW_ROUNDS):
            if not bad.any():
                break
            positions[bad] = self._other_positions(rng, rows[bad], users.size)
            bad[bad] = invalid(rows[bad], positions[bad])
        for row in np.flatnonzero(bad.any(axis=1)):
            allowed = np.flatnonzero(~invalid(np.full(users.size, row), np.arange(users.size)))
            allowed = allowed[allowed != row]
            if allowed.size == 0:
                raise ValueError(f"row {row} has no valid in-batch negative (every other item is a positive); use a larger batch")
            positions[row, bad[row]] = rng.choice(allowed, size=int(bad[row].sum()))
        return items[positions]

    @staticmethod
    def _other_positions(rng: np.random.Generator, rows: np.ndarray, batch: int) -> np.ndarray:
        """A uniform position other than each row's own."""
        drawn = rng.integers(0, batch - 1, size=rows.shape)
        return drawn + (drawn >= rows)
