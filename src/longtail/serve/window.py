"""Counts over a sliding time window, kept in fixed time slices so old counts can be taken back out."""

from __future__ import annotations

import math
from collections import deque

import numpy as np


class SlidingCounts:
    """How often each of ``n_slots`` slots was hit in the last ``window_seconds``.

    Time is cut into ``n_slices`` slices of ``window_seconds / n_slices``;
    the window is the current slice and the ``n_slices - 1`` before it, so a
    hit leaves the counts between ``window_seconds - slice`` and
    ``window_seconds`` after it happened. Totals are integers, so taking a
    slice back out leaves no rounding residue.
    """

    def __init__(self, n_slots: int, window_seconds: float, n_slices: int) -> None:
        if n_slots < 1 or n_slices < 1 or not window_seconds > 0:
            raise ValueError(f"need n_slots >= 1, n_slices >= 1, window_seconds > 0; got {n_slots}, {n_slices}, {window_seconds}")
        self.n_slices = int(n_slices)
        self.slice_seconds = float(window_seconds) / self.n_slices
        self.totals = np.zeros(int(n_slots), dtype=np.int64)
        self._slices: deque[tuple[int, list[np.ndarray]]] = deque()

    def _slice_of(self, when: float) -> int:
        return math.floor(when / self.slice_seconds)

    def _expire(self, now: float) -> None:
        oldest = self._slice_of(now) - self.n_slices + 1
        while self._slices and self._slices[0][0] < oldest:
            _, parts = self._slices.popleft()
            self.totals -= np.bincount(np.concatenate(parts), minlength=self.totals.size)

    def add(self, slots: np.ndarray, when: float) -> None:
        """Count one hit of each entry of ``slots`` (repeats count again) at time ``when`` (seconds)."""
        slots = np.asarray(slots, dtype=np.int64)
        if slots.size == 0:
            return
        self._expire(when)
        current = self._slice_of(when)
        # A hit stamped before the newest slice (a slow clock) joins the newest slice rather than reopening history.
        if not self._slices or self._slices[-1][0] < current:
            self._slices.append((current, []))
        self._slices[-1][1].append(slots)
        np.add.at(self.totals, slots, 1)

    def counts(self, now: float) -> np.ndarray:
        """Hits per slot within the window ending at ``now`` (a copy)."""
        self._expire(now)
        return self.totals.copy()
