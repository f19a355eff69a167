"""Candidate search over tiles of the squared-distance matrix, on a pool of threads.

A tile's columns are queries; its rows are references, or, when the
references are the queries themselves, queries of another block. Every query
keeps its ``n_candidates`` best entries and a threshold ``tau`` (the worst of
them). A tile is reduced to minima over segments of rows (one vectorised
pass) so only the (segment, column) pairs below the threshold are gathered and
merged; in the symmetric case the tile also serves its rows (through row
minima), which halves the matrix products. Each query block first gets a
threshold from one tile: just above its ``n_candidates``-th smallest segment
minimum, which guarantees that many candidates. Every reference that never
became or stayed a candidate had an approximate distance at least the final
``tau``; :mod:`longtail.sampling.neighbors` builds its proof of exactness on
that. Threads run with a single-threaded BLAS: threaded BLAS loses badly on
small, shared machines, while independent tiles scale.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Callable, Iterator

import numpy as np

from longtail.sampling.neighbor_space import Space, reference_columns

_SEGMENT = 64  # rows per segment when a tile is searched by column


def usable_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def progress_bar(total: int, description: str, enabled: bool) -> Iterator[Callable[[int], None]]:
    """A rich progress bar when ``enabled`` (rich is imported only then); yields ``advance(n)``."""
    if not enabled:
        yield lambda n=1: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.update(task, advance=n)



def _row_hits(t: np.ndarray, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entries of ``t`` below their row's threshold: ``(row, column, value)``, rows ascending.

    Row minima (one fast pass) pick the rows that can improve; only those rows
    are compared entry by entry.
    """
    rows = np.flatnonzero(t.min(axis=1) < tau)
    if rows.size == 0:
        return rows, rows, t[:0, 0]
    sub = t[rows]
    width = sub.shape[1]
    flat = np.flatnonzero(sub < tau[rows, None])
    return rows[flat // width], flat % width, sub.ravel()[flat]


def _segment_minima(t: np.ndarray) -> np.ndarray:
    """Minimum of each column over segments of ``_SEGMENT`` rows, shape ``(n_segments, n_cols)``.

    An elementwise minimum of row slices: a fast, vectorised pass (a minimum
    along short pieces of rows would not be).
    """
    n_rows, n_cols = t.shape
    full = n_rows - n_rows % _SEGMENT
    minima = t[:full].reshape(full // _SEGMENT, _SEGMENT, n_cols).min(axis=1)
    if full < n_rows:
        minima = np.vstack([minima, t[full:].min(axis=0, keepdims=True)])
    return minima


def _column_hits(t: np.ndarray, tau: np.ndarray, minima: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entries of ``t`` below their column's threshold: ``(column, row, value)``, columns ascending.

    The segment ``minima`` pick the (segment, column) pairs that can improve;
    only those short column pieces are gathered and compared.
    """
    found = minima < tau[None, :]
    pieces = []
    for seg in np.flatnonzero(found.any(axis=1)):
        cols = np.flatnonzero(found[seg])
        start = seg * _SEGMENT
        vals = t[start : start + _SEGMENT].take(cols, axis=1)
        flat = np.flatnonzero(vals < tau[cols][None, :])
        row, pos = np.divmod(flat, cols.size)
        pieces.append((cols[pos], row + start, vals.ravel()[flat]))
    if not pieces:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, t[:0, 0]
    cols_hit, rows_hit, vals_hit = (np.concatenate(parts) for parts in zip(*pieces))
    order = np.argsort(cols_hit, kind="stable")
    return cols_hit[order], rows_hit[order], vals_hit[order]


def _seed_thresholds(minima: np.ndarray, keep: int) -> np.ndarray:
    """A first threshold per column: just above its ``keep``-th smallest segment minimum.

    Those minima are ``keep`` distinct entries of the column, so every column
    collects at least ``keep`` candidates; with fewer segments, no threshold.
    """
    if minima.shape[0] < keep:
        return np.full(minima.shape[1], np.inf, dtype=minima.dtype)
    kth = np.partition(minima, keep - 1, axis=0)[keep - 1]
    return np.nextafter(kth, np.inf)


class TileScan:
    """Candidate search over tiles of the squared-distance matrix (step 1 of the module docstring).

    A tile's columns are queries; its rows are references, or, when the
    search is symmetric, queries of another block that also take the tile's
    columns as their candidates.
    """

    def __init__(self, space: Space, n_candidates: int, self_index: np.ndarray | None, tile: int) -> None:
        self.space = space
        self.kp = n_candidates
        self.self_index = self_index
        self.tile = tile
        n_q = space.queries.shape[0]
        dtype = space.queries.dtype
        self.vals = np.full((n_q, n_candidates), np.inf, dtype=dtype)
        self.idx = np.full((n_q, n_candidates), -1, dtype=np.int64)
        self.tau = np.full(n_q, np.inf, dtype=dtype)
        self.col_blocks = [(lo, min(n_q, lo + tile)) for lo in range(0, n_q, tile)]
        n_r = space.references.shape[0]
        self.row_blocks = [(lo, min(n_r, lo + tile)) for lo in range(0, n_r, tile)]
        self.locks = [threading.Lock() for _ in self.col_blocks]
        self.local = threading.local()

    def phases(self) -> list[list[tuple[int, int]]]:
        """Tiles ``(row block, column block)`` in two phases: one per column block to seed, then the rest."""
        n_cols = len(self.col_blocks)
        if self.space.symmetric:
            return [[(b, b) for b in range(n_cols)], [(a, b) for a in range(n_cols) for b in range(a + 1, n_cols)]]
        rest = [(a, b) for b in range(n_cols) for a in range(1, len(self.row_blocks))]
        return [[(0, b) for b in range(n_cols)], rest]

    def _buffers(self) -> tuple[np.ndarray, np.ndarray]:
        if not hasattr(self.local, "tile"):
            dtype = self.space.queries.dtype
            self.local.tile = np.empty((self.tile, self.tile), dtype=dtype)
            self.local.columns = np.empty((self.tile, self.space.dim + 2), dtype=dtype)
        return self.local.tile, self.local.columns

    def _distances(self, a: int, b: int) -> np.ndarray:
        (r_lo, r_hi), (c_lo, c_hi) = self.row_blocks[a], self.col_blocks[b]
        tile_buf, col_buf = self._buffers()
        cols = reference_columns(self.space.queries[c_lo:c_hi], self.space.dim, col_buf[: c_hi - c_lo])
        t = tile_buf[: r_hi - r_lo, : c_hi - c_lo]
        np.matmul(self.space.references[r_lo:r_hi], cols.T, out=t)
        if self.space.symmetric and a == b:
            np.fill_diagonal(t, np.inf)
        elif self.self_index is not None:
            own = self.self_index[c_lo:c_hi] - r_lo
            cols_with_self = np.flatnonzero((own >= 0) & (own < r_hi - r_lo))
            t[own[cols_with_self], cols_with_self] = np.inf
        return t

    def run(self, a: int, b: int, first: bool) -> None:
        """Compute tile ``(a, b)`` and merge what it offers to its columns (and rows when symmetric)."""
        t = self._distances(a, b)
        minima = _segment_minima(t)
        c_lo, c_hi = self.col_blocks[b]
        tau = _seed_thresholds(minima, self.kp) if first else self.tau[c_lo:c_hi]
        self._merge(b, *_column_hits(t, tau, minima), offset=self.row_blocks[a][0])
        if self.space.symmetric and a != b:
            r_lo, r_hi = self.col_blocks[a]
            self._merge(a, *_row_hits(t, self.tau[r_lo:r_hi]), offset=c_lo)

    def _merge(self, block: int, queries: np.ndarray, refs: np.ndarray, vals: np.ndarray, offset: int) -> None:
        """Merge hits into the candidate lists of ``block``'s queries (``queries`` local, ascending)."""
        if queries.size == 0:
            return
        starts = np.flatnonzero(np.concatenate(([True], queries[1:] != queries[:-1])))
        counts = np.diff(np.append(starts, queries.size))
        target = self.col_blocks[block][0] + queries[starts]
        refs = refs + offset
        with self.locks[block]:
            single = counts == 1
            if single.any():
                # Most queries gain one candidate per tile: it replaces their worst one.
                self._replace_worst(target[single], refs[starts[single]], vals[starts[single]])
            several = ~single
            if several.any():
                keep = np.repeat(several, counts)
                self._merge_several(target[several], counts[several], refs[keep], vals[keep])

    def _replace_worst(self, target: np.ndarray, refs: np.ndarray, vals: np.ndarray) -> None:
        current = self.vals[target]
        rows = np.arange(target.size)
        worst = current.argmax(axis=1)
        better = vals < current[rows, worst]
        current[rows[better], worst[better]] = vals[better]
        self.vals[target] = current
        self.idx[target[better], worst[better]] = refs[better]
        self.tau[target] = current.max(axis=1)

    def _merge_several(self, target: np.ndarray, counts: np.ndarray, refs: np.ndarray, vals: np.ndarray) -> None:
        starts = np.cumsum(counts) - counts
        slot = np.repeat(np.arange(target.size), counts)
        rank = np.arange(refs.size) - np.repeat(starts, counts) + self.kp
        width = self.kp + int(counts.max())
        w = np.full((target.size, width), np.inf, dtype=self.vals.dtype)
        i = np.full((target.size, width), -1, dtype=np.int64)
        w[:, : self.kp] = self.vals[target]
        i[:, : self.kp] = self.idx[target]
        w[slot, rank] = vals
        i[slot, rank] = refs
        best = np.argpartition(w, self.kp - 1, axis=1)[:, : self.kp]
        new_vals = np.take_along_axis(w, best, axis=1)
        self.vals[target] = new_vals
        self.idx[target] = np.take_along_axis(i, best, axis=1)
        self.tau[target] = new_vals.max(axis=1)


def scan_candidates(
    space: Space,
    n_candidates: int,
    *,
    self_index: np.ndarray | None = None,
    tile: int = 1024,
    n_jobs: int | None = None,
    verbose: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Best ``n_candidates`` per query by approximate distance: ``(values, indices)``, unsorted."""
    from threadpoolctl import threadpool_limits

    scan = TileScan(space, n_candidates, self_index, tile)
    phases = scan.phases()
    workers = n_jobs or usable_cores()
    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(workers) as pool:
        with progress_bar(sum(map(len, phases)), "nearest neighbours", verbose) as advance:
            for number, tiles in enumerate(phases):
                first = number == 0
                for _ in pool.map(lambda pq, first=first: scan.run(*pq, first=first), tiles):
                    advance(1)
    return scan.vals, scan.idx


