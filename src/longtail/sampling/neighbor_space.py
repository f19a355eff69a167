"""The search space of the exact neighbour search: centred, scaled, augmented points.

Rows become ``[x, |x|^2, 1]`` and reference columns ``[-2 y, 1, |y|^2]``, so
one matrix product gives squared distances ``|x|^2 - 2 x.y + |y|^2``. Points
are centred and scaled into the unit ball first, so float32 neither overflows
nor loses the small differences between nearby points far from the origin.
``rounding_bound`` is the largest error float rounding can make in one such
distance: ``2 (d + 8) u (|a_i| + max_j |b_j|)^2`` with ``u`` the unit
round-off (the standard bound on a dot product of ``d + 2`` terms, plus the
rounding of the points and of their norms, with a factor 2 to spare).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

_CHUNK_BYTES = 8 << 20  # working memory of one chunk in preparation and refinement


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


def rows_per_chunk(width: int, itemsize: int = 8) -> int:
    return max(1, _CHUNK_BYTES // max(1, width * itemsize))


def _mean(points: np.ndarray) -> np.ndarray:
    step = rows_per_chunk(points.shape[1])
    total = np.zeros(points.shape[1])
    for start in range(0, points.shape[0], step):
        total += points[start : start + step].sum(axis=0, dtype=np.float64)
    return total / max(1, points.shape[0])


def _max_norm(points: np.ndarray, center: np.ndarray) -> float:
    step = rows_per_chunk(points.shape[1])
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
    step = rows_per_chunk(d)
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


