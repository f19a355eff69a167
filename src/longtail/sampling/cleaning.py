"""Tomek links: remove rows whose nearest neighbour is of another class and vice versa."""

from __future__ import annotations

from typing import Any

import numpy as np

from longtail.sampling.base import BaseSampler
from longtail.sampling.neighbors import kneighbors
from longtail.sampling.strategy import CLEAN


class TomekLinks(BaseSampler):
    """Drop the targeted-class rows of every Tomek link (Tomek, 1976).

    Rows ``i`` and ``j`` form a link when each is the other's nearest neighbour
    and their classes differ; such pairs sit on the class border or are noise.
    ``sampling_strategy`` names the classes whose linked rows are removed
    (``'auto'``: every class but the minority; or a list of classes). The
    nearest neighbour search is exact (see
    :func:`longtail.sampling.neighbors.kneighbors`), so the removed rows equal
    imbalanced-learn's on data without ties. ``sample_indices_`` gives the
    kept rows in their original order.
    """

    _sampling_type = CLEAN

    def __init__(
        self,
        *,
        sampling_strategy: Any = "auto",
        device: str | None = None,
        n_jobs: int | None = None,
        verbose: bool = False,
    ) -> None:
        self.sampling_strategy = sampling_strategy
        self.device = device
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _resample(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        nearest = kneighbors(X, 1, device=self.device, n_jobs=self.n_jobs, verbose=self.verbose)[:, 0]
        mutual = nearest[nearest] == np.arange(y.shape[0])
        targeted = np.isin(y, np.asarray(list(self.sampling_strategy_), dtype=y.dtype))
        linked = targeted & mutual & (y[nearest] != y)
        return np.flatnonzero(~linked)
