"""k-nearest-neighbour search for the SMOTE family: exact, batched, BLAS-bound.

Exact search (the default) works in three steps.

1. Candidates (:mod:`longtail.sampling.tiles`). Squared distances come from
   float32 matrix products of tiles of centred, scaled, augmented points
   (:mod:`longtail.sampling.neighbor_space`); every query keeps its
   ``k + MARGIN`` best candidates and the worst of them, ``tau``. Memory is
   bounded by the tile size, whatever the number of points.
2. Refinement. The candidates' distances are recomputed from the original
   data in float64 and sorted (ties broken by the smaller index).
3. Proof. Rounding moves an approximate distance by at most ``delta_i``
   (``neighbor_space.rounding_bound``). Every reference that is not a
   candidate had an approximate distance of at least ``tau``, so a true one of
   at least ``tau - delta_i``. A query whose exact k-th distance is at most
   that is proven exact; any other is searched again with float64 tiles. The
   result therefore equals a float64 brute-force search (scikit-learn's
   ``NearestNeighbors`` on data without ties).

``device="cuda"`` (or ``"cpu"``) computes the candidates with torch on that
device (:mod:`longtail.sampling.neighbors_torch`) and goes through the same
refinement and proof. ``search="approximate"`` (or a
:class:`longtail.sampling.approximate.ClusterSearch`) probes k-means cells
instead and skips the proof: see that module for its recall.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from longtail.sampling.neighbor_space import Space, make_space, rows_per_chunk
from longtail.sampling.tiles import scan_candidates

MARGIN = 3  # extra candidates per row so that the proof of exactness rarely fails


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
    step = rows_per_chunk(width * d)
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
    if device is not None:
        from longtail.sampling.neighbors_torch import torch_device

        torch_device(device)  # fail before any work when the device cannot be used
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
