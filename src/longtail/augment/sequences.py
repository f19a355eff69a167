"""Augmenters for behaviour sequences (lists of item indices), after CL4SRec.

Xie et al. (2022), "Contrastive Learning for Sequential Recommendation":
for a sequence of length ``n``

* crop: keep a random contiguous run of ``max(1, floor(eta * n))`` items;
* mask: replace ``floor(gamma * n)`` random items by ``mask_token``;
* reorder: shuffle a random contiguous run of ``floor(beta * n)`` items.

All three work on the whole batch at once on a flat array (no loop over
sequences), so they stay fast on millions of sequences.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from longtail.augment._checks import as_generator, check_fraction

OPERATIONS = ("crop", "mask", "reorder")


class _Ragged:
    """A batch of variable-length sequences as one flat array."""

    def __init__(self, sequences: Sequence[Sequence[int]]) -> None:
        arrays = [np.asarray(s) for s in sequences]
        for i, a in enumerate(arrays):
            if a.ndim != 1 or (a.size and not np.issubdtype(a.dtype, np.integer)):
                raise ValueError(f"sequence {i} is not a 1-D list of integer item indices; pass item indices")
        self.lengths = np.array([a.size for a in arrays], dtype=np.int64)
        self.flat = np.concatenate(arrays).astype(np.int64) if arrays else np.zeros(0, dtype=np.int64)
        self.owner = np.repeat(np.arange(self.lengths.size), self.lengths)
        self.position = np.arange(self.flat.size) - np.repeat(np.cumsum(self.lengths) - self.lengths, self.lengths)

    def window(self, fraction: float, rng: np.random.Generator, *, minimum: int) -> tuple[np.ndarray, np.ndarray]:
        """Per element: start and length of a random run of ``floor(fraction * n)`` items in its sequence."""
        length = np.maximum(np.floor(fraction * self.lengths).astype(np.int64), minimum)
        length = np.minimum(length, self.lengths)
        start = np.floor(rng.random(self.lengths.size) * (self.lengths - length + 1)).astype(np.int64)
        return start[self.owner], length[self.owner]

    def split(self, values: np.ndarray, keep: np.ndarray | None = None) -> list[np.ndarray]:
        """Back to one array per sequence (``keep`` drops elements)."""
        lengths = self.lengths if keep is None else np.bincount(self.owner[keep], minlength=self.lengths.size)
        values = values if keep is None else values[keep]
        return np.split(values, np.cumsum(lengths)[:-1]) if lengths.size else []


class SequenceCrop:
    """Keep a random contiguous run of ``max(1, floor(eta * n))`` items."""

    def __init__(self, eta: float = 0.6) -> None:
        self.eta = check_fraction("eta", eta, allow_zero=False)

    def augment(self, sequences: Sequence[Sequence[int]], rng: np.random.Generator | int) -> list[np.ndarray]:
        """A cropped copy of each sequence."""
        batch = _Ragged(sequences)
        start, length = batch.window(self.eta, as_generator(rng), minimum=1)
        keep = (batch.position >= start) & (batch.position < start + length)
        return batch.split(batch.flat, keep)


class SequenceMask:
    """Replace ``floor(gamma * n)`` random items of each sequence by ``mask_token``."""

    def __init__(self, gamma: float = 0.3, *, mask_token: int) -> None:
        self.gamma = check_fraction("gamma", gamma)
        if isinstance(mask_token, bool) or not isinstance(mask_token, int | np.integer):
            raise ValueError(f"mask_token must be an integer item index, got {mask_token!r}; e.g. n_items")
        self.mask_token = int(mask_token)

    def augment(self, sequences: Sequence[Sequence[int]], rng: np.random.Generator | int) -> list[np.ndarray]:
        """A masked copy of each sequence."""
        batch = _Ragged(sequences)
        n_masked = np.floor(self.gamma * batch.lengths).astype(np.int64)
        # a random rank of each element within its sequence: the lowest n_masked ranks get masked
        order = np.lexsort((as_generator(rng).random(batch.flat.size), batch.owner))
        rank = np.empty_like(order)
        rank[order] = batch.position
        values = np.where(rank < n_masked[batch.owner], self.mask_token, batch.flat)
        return batch.split(values)


class SequenceReorder:
    """Shuffle a random contiguous run of ``floor(beta * n)`` items of each sequence."""

    def __init__(self, beta: float = 0.6) -> None:
        self.beta = check_fraction("beta", beta)

    def augment(self, sequences: Sequence[Sequence[int]], rng: np.random.Generator | int) -> list[np.ndarray]:
        """A copy of each sequence with one run shuffled."""
        rng = as_generator(rng)
        batch = _Ragged(sequences)
        start, length = batch.window(self.beta, rng, minimum=0)
        inside = (batch.position >= start) & (batch.position < start + length)
        # items outside the run keep their integer position as sort key; items inside get random
        # keys within [start, start + length), so sorting fills exactly the run's slots in random order
        key = np.where(inside, start + rng.random(batch.flat.size) * length, batch.position)
        order = np.lexsort((key, batch.owner))
        return batch.split(batch.flat[order])


class CL4SRecAugment:
    """Apply one of crop / mask / reorder, chosen uniformly per sequence."""

    def __init__(
        self,
        *,
        eta: float = 0.6,
        gamma: float = 0.3,
        beta: float = 0.6,
        mask_token: int | None = None,
        operations: Sequence[str] = OPERATIONS,
    ) -> None:
        unknown = set(operations) - set(OPERATIONS)
        if not operations or unknown:
            raise ValueError(f"operations must be a non-empty subset of {OPERATIONS}, got {tuple(operations)!r}")
        if "mask" in operations and mask_token is None:
            raise ValueError("mask_token is required when 'mask' is an operation; pass e.g. mask_token=n_items")
        built = {
            "crop": lambda: SequenceCrop(eta),
            "mask": lambda: SequenceMask(gamma, mask_token=mask_token),
            "reorder": lambda: SequenceReorder(beta),
        }
        self.operations = tuple(dict.fromkeys(operations))
        self._augmenters = [built[name]() for name in self.operations]

    def augment(self, sequences: Sequence[Sequence[int]], rng: np.random.Generator | int) -> list[np.ndarray]:
        """One augmented copy of each sequence."""
        rng = as_generator(rng)
        choice = rng.integers(0, len(self._augmenters), size=len(sequences))
        out: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(sequences)
        for op, augmenter in enumerate(self._augmenters):
            rows = np.flatnonzero(choice == op)
            for row, seq in zip(rows, augmenter.augment([sequences[i] for i in rows], rng)):
                out[row] = seq
        return out
