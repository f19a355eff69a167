"""k-nearest-neighbour search for the SMOTE family: exact, batched, BLAS-bound.

Exact search works in three steps.

1. Candidates. Points are centred, scaled into the unit ball and rounded to
   float32. Each row becomes ``a = [x, |x|^2, 1]`` and each reference column
   ``b = [-2 y, 1, |y|^2]``, so one matrix product of a tile of rows by a
   tile of columns gives the squared distances ``|x|^2 - 2 x.y + |y|^2``
   directly. Tiles are small (``tile x tile``) so memory stays bounded and
   they stay in cache. Every row keeps its ``k + margin`` best candidates and
   a threshold (the worst of them); a tile is first reduced to its row minima
   so only rows that can improve are looked at, then only entries below the
   threshold are merged. When the references are the queries themselves the
   distance matrix is symmetric and each tile serves its rows and its columns,
   which halves the arithmetic. Tiles run on a pool of threads, each with a
   single-threaded BLAS (threaded BLAS loses badly on small, shared machines).
2. Refinement. The candidates' distances are recomputed from the original
   data in float64 and sorted (ties broken by the smaller index).
3. Proof. float32 rounding moves an approximate squared distance by at most
   ``delta_i = 2 (d + 8) u (|a_i| + max_j |b_j|)^2`` (standard bounds on a
   dot product; ``u`` the unit round-off). Every reference that is not a
   candidate had an approximate distance at least the row's threshold ``tau``,
   so its true distance is at least ``tau - delta``. A row whose exact k-th
   distance is below that is proven exact; any other row is searched again in
   float64. The result therefore equals a float64 brute-force search.

``device="cuda"`` (or ``"cpu"``) computes the candidates with torch on that
device, blocks of rows against all references at a time, and goes through the
same refinement and proof. ``search="approximate"`` (or a
:class:`longtail.sampling.approximate.ClusterSearch`) skips the proof: see
that module for its recall.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

MARGIN = 3  # extra candidates per row so that the proof of exactness rarely fails
_CHUNK_BYTES = 8 << 20  # working memory of one chunk in preparation and refinement


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


@dataclass
class Space:
    """Points of one search, centred, scaled and augmented as ``[x, |x|^2, 1]``.

    ``queries`` and ``references`` are the augmented arrays (the same object
    when the search is symmetric); ``scale`` maps squared distances in this
    space back to the data (``d_data^2 = scale^2 d^2``); ``bound`` holds each
    query's round-off bound ``delta_i``.
    """

    queries: np.ndarray
    references: np.ndarray
    scale: float
    bound: np.ndarray
    dim: int

    @property
    def symmetric(self) -> bool:
        return self.queries is self.references


def _rows_per_chunk(width: int, itemsize: int = 8) -> int:
    return max(1, _CHUNK_BYTES // max(1, width * itemsize))


def _mean(points: np.ndarray) -> np.ndarray:
    step = _rows_per_chunk(points.shape[1])
    total = np.zeros(points.shape[1])
    for start in range(0, points.shape[0], step):
        total += points[start : start + step].sum(axis=0, dtype=np.float64)
    return total / max(1, points.shape[0])


def _max_norm(points: np.ndarray, center: np.ndarray) -> float:
    step = _rows_per_chunk(points.shape[1])
    top = 0.0
    for start in range(0, points.shape[0], step):
        block = points[start : start + step].astype(np.float64) - center
        top = max(top, float(np.sqrt(np.einsum("ij,ij->i", block, block).max(initial=0.0))))
    return top


def augment(points: np.ndarray, center: np.ndarray, scale: float, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``[(x - center) / scale, |.|^2, 1]`` in ``dtype``, and the float64 norms of the rounded rows."""
    n, d = points.shape
    out = np.empty((n, d + 2), dtype=dtype)
    norms = np.empty(n)
    step = _rows_per_chunk(d)
    for start in range(0, n, step):
        stop = min(n, start + step)
        out[start:stop, :d] = (points[start:stop].astype(np.float64) - center) / scale
        rounded = out[start:stop, :d].astype(np.float64)
        squares = np.einsum("ij,ij->i", rounded, rounded)
        out[start:stop, d] = squares
        norms[start:stop] = np.sqrt(squares)
    out[:, d + 1] = 1
    return out, norms


def rounding_bound(query_norms: np.ndarray, reference_max_norm: float, dim: int, unit: float, dtype: Any) -> np.ndarray:
    """Largest error of an approximate squared distance for each query (see the module docstring)."""
    tiny = float(np.finfo(dtype).tiny)
    return 2 * (dim + 8) * unit * (query_norms + reference_max_norm) ** 2 + 4 * (dim + 2) * tiny


def make_space(queries: np.ndarray, references: np.ndarray | None, dtype: Any, unit: float | None = None) -> Space:
    """Prepare one search; ``references=None`` searches the queries among themselves."""
    base = queries if references is None else references
    center = _mean(base)
    scale = _max_norm(base, center) or 1.0
    q_aug, q_norms = augment(queries, center, scale, dtype)
    if references is None:
        r_aug, r_max = q_aug, float(q_norms.max(initial=0.0))
    else:
        r_aug, r_norms = augment(references, center, scale, dtype)
        r_max = float(r_norms.max(initial=0.0))
    unit = float(np.finfo(dtype).eps) / 2 if unit is None else unit
    bound = rounding_bound(q_norms, r_max, queries.shape[1], unit, dtype)
    return Space(q_aug, r_aug, scale, bound, queries.shape[1])


def reference_columns(references: np.ndarray, dim: int, out: np.ndarray | None = None) -> np.ndarray:
    """Rows ``[-2 y, 1, |y|^2]`` of a block of augmented points, shape ``(n, dim + 2)``.

    The product of augmented rows by these (transposed) gives squared distances.
    """
    if out is None:
        out = np.empty((references.shape[0], dim + 2), dtype=references.dtype)
    np.multiply(references[:, :dim], -2, out=out[:, :dim])
    out[:, dim] = 1
    out[:, dim + 1] = references[:, dim]
    return out


_SEGMENT = 128  # rows per segment when a tile is searched by column


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
        starts = np.flatnonzero(np.r_[True, queries[1:] != queries[:-1]])
        counts = np.diff(np.r_[starts, queries.size])
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
        worst = current.argmax(axis=1)
        better = vals < current[np.arange(target.size), worst]
        target, worst = target[better], worst[better]
        self.vals[target, worst] = vals[better]
        self.idx[target, worst] = refs[better]
        self.tau[target] = self.vals[target].max(axis=1)

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
                for _ in pool.map(lambda pq: scan.run(*pq, first=number == 0), tiles):
                    advance(1)
    return scan.vals, scan.idx


def refine(
    queries: np.ndarray,
    references: np.ndarray,
    candidates: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest of each row's candidates by exact float64 distance: ``(sq_dist, indices)``.

    Candidates of ``-1`` are ignored; ties are broken by the smaller index.
    """
    n, width = candidates.shape
    d = queries.shape[1]
    sq = np.empty((n, k))
    idx = np.empty((n, k), dtype=np.int64)
    step = _rows_per_chunk(width * d)
    for start in range(0, n, step):
        stop = min(n, start + step)
        cand = candidates[start:stop]
        diff = references[np.maximum(cand, 0)].astype(np.float64)
        diff -= queries[start:stop, None, :].astype(np.float64)
        dist = np.einsum("ijk,ijk->ij", diff, diff)
        dist[cand < 0] = np.inf
        order = np.lexsort((cand, dist), axis=-1)[:, :k]
        sq[start:stop] = np.take_along_axis(dist, order, axis=1)
        idx[start:stop] = np.take_along_axis(cand, order, axis=1)
    return sq, idx


def proven(sq_kth: np.ndarray, tau: np.ndarray, space: Space) -> np.ndarray:
    """Rows whose k-th exact distance provably beats every reference that was not a candidate."""
    with np.errstate(invalid="ignore"):
        return sq_kth / space.scale**2 <= tau.astype(np.float64) - space.bound


def _check_k(k: int, n_references: int, excluded: bool) -> None:
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k={k!r} must be a positive int; ask for at least one neighbour")
    available = n_references - (1 if excluded else 0)
    if k > available:
        raise ValueError(
            f"k={k} neighbours asked but only {available} candidate points exist; "
            f"lower k to at most {available} or give more points"
        )


def _as_points(points: Any, name: str) -> np.ndarray:
    arr = np.asarray(points)
    if arr.ndim != 2:
        raise ValueError(f"{name} has shape {arr.shape}; give a 2-D array (rows x features)")
    if arr.dtype.kind not in "fiub":
        raise ValueError(f"{name} has dtype {arr.dtype}; give numbers")
    return arr


def kneighbors(
    X: Any,
    k: int,
    *,
    Y: Any = None,
    self_index: np.ndarray | None = None,
    search: Any = "exact",
    device: str | None = None,
    n_jobs: int | None = None,
    tile: int = 1024,
    return_distance: bool = False,
    verbose: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Indices of the ``k`` nearest references of each row of ``X``, nearest first.

    ``Y=None`` searches ``X`` among itself, never returning a row as its own
    neighbour. With ``Y`` given, ``self_index[i]`` (or -1) names a row of ``Y``
    that query ``i`` must skip (itself, when ``X`` is a subset of ``Y``).
    ``search`` is ``"exact"`` (float64-exact, see the module docstring),
    ``"approximate"`` or a :class:`~longtail.sampling.approximate.ClusterSearch`.
    ``device`` (``"cuda"``, ``"cpu"``, ...) computes exact candidates with torch.
    With ``return_distance`` returns ``(distances, indices)`` like scikit-learn's
    ``NearestNeighbors.kneighbors``; distances are Euclidean.
    """
    X = _as_points(X, "X")
    refs = X if Y is None else _as_points(Y, "Y")
    if refs.shape[1] != X.shape[1]:
        raise ValueError(f"X has {X.shape[1]} features but Y has {refs.shape[1]}; give points of the same width")
    if self_index is not None:
        self_index = np.asarray(self_index, dtype=np.int64)
        if self_index.shape != (X.shape[0],):
            raise ValueError(f"self_index has shape {self_index.shape}; give one index (or -1) per row of X")
    if not isinstance(tile, (int, np.integer)) or tile < 16:
        raise ValueError(f"tile={tile!r} is too small; use an int of at least 16 (1024 suits most caches)")
    _check_k(k, refs.shape[0], Y is None or self_index is not None)
    n_candidates = min(k + MARGIN, refs.shape[0] - (1 if Y is None or self_index is not None else 0))

    approximate = _approximate_search(search)
    if approximate is not None:
        space = make_space(X, None if Y is None else refs, np.float32)
        candidates = approximate.candidates(space, n_candidates, self_index)
        sq, idx = refine(X, refs, candidates, k)
        ok = np.isfinite(sq[:, -1])
    else:
        if device is not None:
            from longtail.sampling.neighbors_torch import torch_candidates

            space, tau, candidates = torch_candidates(X, None if Y is None else refs, n_candidates, self_index, device)
        else:
            space = make_space(X, None if Y is None else refs, np.float32)
            tau, candidates = scan_candidates(space, n_candidates, self_index=self_index, tile=tile, n_jobs=n_jobs, verbose=verbose)
            tau = tau.max(axis=1)
        sq, idx = refine(X, refs, candidates, k)
        ok = proven(sq[:, -1], tau, space)
    redo = np.flatnonzero(~ok)
    if redo.size:
        sq[redo], idx[redo] = _exact_float64(X, refs, redo, k, n_candidates, Y is None, self_index, tile, n_jobs)
    if return_distance:
        return np.sqrt(sq), idx
    return idx


def _exact_float64(
    X: np.ndarray,
    refs: np.ndarray,
    rows: np.ndarray,
    k: int,
    n_candidates: int,
    symmetric: bool,
    self_index: np.ndarray | None,
    tile: int,
    n_jobs: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Search ``rows`` of ``X`` again with float64 tiles (rows the float32 proof could not settle)."""
    own = rows if symmetric else (None if self_index is None else self_index[rows])
    space = make_space(X[rows], refs, np.float64)
    _, candidates = scan_candidates(space, n_candidates, self_index=own, tile=tile, n_jobs=n_jobs)
    return refine(X[rows], refs, candidates, k)


def _approximate_search(search: Any) -> Any:
    if isinstance(search, str):
        if search == "exact":
            return None
        if search == "approximate":
            from longtail.sampling.approximate import ClusterSearch

            return ClusterSearch()
        raise ValueError(f"search={search!r} is unknown; use 'exact', 'approximate' or a ClusterSearch")
    if hasattr(search, "candidates"):
        return search
    raise ValueError(f"search={search!r} is not understood; use 'exact', 'approximate' or a ClusterSearch")
