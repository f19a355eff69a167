"""Approximate neighbour candidates for very large inputs: k-means cells probed per query.

The references are split into ``n_clusters`` cells by k-means (fitted on a
sample); each query is compared only with the rows of its ``n_probe`` nearest
cells, so the work per query falls from ``n`` distances to about
``n_clusters + n_probe * n / n_clusters``. The candidates then go through the
same exact float64 refinement as the exact search, so the distances returned
are exact; what can be missed is a true neighbour lying in a cell that was not
probed. Recall (the share of true k nearest neighbours found) is measured in
``benchmarks/bench_smote.py``: it is high on clustered data, as real embeddings
are, and lowest on isotropic Gaussian noise; raise ``n_probe`` to trade speed
for recall (``n_probe = n_clusters`` is exact).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from longtail.sampling.neighbor_space import Space, reference_columns
from longtail.sampling.neighbors import kneighbors


@dataclass(frozen=True)
class ClusterSearch:
    """Settings of the approximate search (``n_clusters=None``: about ``2 sqrt(n)``)."""

    n_clusters: int | None = None
    n_probe: int = 8
    random_state: int | None = 0
    points_per_cluster: int = 32  # k-means is fitted on this many sampled points per cell

    def __post_init__(self) -> None:
        if self.n_clusters is not None and (not isinstance(self.n_clusters, int) or self.n_clusters < 1):
            raise ValueError(f"n_clusters={self.n_clusters!r} must be a positive int or None")
        if not isinstance(self.n_probe, int) or self.n_probe < 1:
            raise ValueError(f"n_probe={self.n_probe!r} must be a positive int (e.g. 8)")

    def cells(self, points: np.ndarray) -> np.ndarray:
        """k-means centres of ``points`` (float32), fitted on a random sample."""
        from sklearn.cluster import KMeans

        n = points.shape[0]
        n_clusters = min(n, self.n_clusters or max(1, int(round(2 * np.sqrt(n)))))
        rng = np.random.default_rng(self.random_state)
        size = min(n, self.points_per_cluster * n_clusters)
        sample = points[np.sort(rng.choice(n, size=size, replace=False))]
        model = KMeans(n_clusters=n_clusters, n_init=1, max_iter=10, random_state=self.random_state)
        with threadpool_limits(limits=1):  # k-means++ makes many small products: threads only wait
            model.fit(sample.astype(np.float64))  # float32 would be upcast chunk by chunk, slowly
        return model.cluster_centers_.astype(points.dtype)

    def candidates(self, space: Space, n_candidates: int, self_index: np.ndarray | None) -> np.ndarray:
        """Indices ``(n_queries, n_candidates)`` of approximate nearest references (-1 where fewer)."""
        d = space.dim
        queries, refs = space.queries[:, :d], space.references[:, :d]
        centres = self.cells(refs)
        cell = kneighbors(refs, 1, Y=centres)[:, 0]
        probes = kneighbors(queries, min(self.n_probe, centres.shape[0]), Y=centres)
        order = np.argsort(cell, kind="stable")
        bounds = np.searchsorted(cell[order], np.arange(centres.shape[0] + 1))
        position = np.empty_like(order)
        position[order] = np.arange(order.size) - bounds[cell[order]]
        own = np.arange(queries.shape[0]) if space.symmetric else self_index

        vals = np.full((queries.shape[0], n_candidates), np.inf, dtype=space.queries.dtype)
        idx = np.full((queries.shape[0], n_candidates), -1, dtype=np.int64)
        by_cell = np.argsort(probes.ravel(), kind="stable")
        probe_bounds = np.searchsorted(probes.ravel()[by_cell], np.arange(centres.shape[0] + 1))
        with threadpool_limits(limits=1, user_api="blas"):  # many small products: threads only wait
            for c in range(centres.shape[0]):
                members = order[bounds[c] : bounds[c + 1]]
                asking = by_cell[probe_bounds[c] : probe_bounds[c + 1]] // probes.shape[1]
                if members.size == 0 or asking.size == 0:
                    continue
                t = space.queries[asking] @ reference_columns(space.references[members], d).T
                if own is not None:
                    mine = own[asking]
                    inside = np.flatnonzero((mine >= 0) & (cell[np.maximum(mine, 0)] == c))
                    t[inside, position[mine[inside]]] = np.inf
                keep = min(n_candidates, members.size)
                best = np.argpartition(t, keep - 1, axis=1)[:, :keep] if keep < members.size else np.broadcast_to(np.arange(keep), t.shape)
                merged_vals = np.hstack([vals[asking], np.take_along_axis(t, best, axis=1)])
                merged_idx = np.hstack([idx[asking], members[best]])
                top = np.argpartition(merged_vals, n_candidates - 1, axis=1)[:, :n_candidates]
                vals[asking] = np.take_along_axis(merged_vals, top, axis=1)
                idx[asking] = np.take_along_axis(merged_idx, top, axis=1)
        idx[~np.isfinite(vals)] = -1
        return idx
