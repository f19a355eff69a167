"""SMOTE, Borderline-SMOTE and ADASYN: new minority rows on segments between neighbours.

Every synthetic row is ``x_i + s (x_nn - x_i)`` with ``x_i`` a row of the
class, ``x_nn`` one of its k nearest neighbours and ``s`` uniform in
``[0, 1)``. The variants differ in which rows are used as ``x_i``, where the
neighbours come from and how many rows each ``x_i`` gets (see each class).
The neighbour search is :func:`longtail.sampling.neighbors.kneighbors`:
exact by default, torch on a GPU with ``device="cuda"``, approximate with
``search="approximate"``. The output is written straight into one array
(the input, then the new rows) so memory stays near the size of the result.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np

from longtail.sampling.base import BaseSampler, make_rng
from longtail.sampling.neighbors import kneighbors
from longtail.sampling.strategy import OVER

_CHUNK_ROWS = 8192  # synthetic rows made at a time: bounds the temporaries


@dataclass
class Plan:
    """How to make the new rows of one class.

    ``neighbors[i]`` indexes ``pool`` rows near ``base[i]``; ``rows`` fixes the
    base row of each new row (``None``: drawn uniformly, as SMOTE does);
    ``damped`` marks (row, neighbour) pairs whose step is shrunk by a factor
    uniform in ``[0, 0.5)`` (Borderline-SMOTE-2, neighbours of another class).
    """

    label: Any
    base: np.ndarray
    pool: np.ndarray
    neighbors: np.ndarray
    n_new: int
    rows: np.ndarray | None = None
    damped: np.ndarray | None = None


def output_dtype(X: np.ndarray) -> np.dtype:
    """Float input keeps its precision; anything else becomes float64."""
    return X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)


def synthesize(X: np.ndarray, y: np.ndarray, plans: list[Plan], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The input rows followed by every plan's new rows, written in place chunk by chunk."""
    n = X.shape[0]
    total = n + sum(plan.n_new for plan in plans)
    dtype = output_dtype(X)
    X_res = np.empty((total, X.shape[1]), dtype=dtype)
    X_res[:n] = X
    y_res = np.empty(total, dtype=y.dtype)
    y_res[:n] = y
    at = n
    for plan in plans:
        y_res[at : at + plan.n_new] = plan.label
        base, pool = plan.base.astype(dtype, copy=False), plan.pool.astype(dtype, copy=False)
        k = plan.neighbors.shape[1]
        for start in range(0, plan.n_new, _CHUNK_ROWS):
            size = min(_CHUNK_ROWS, plan.n_new - start)
            if plan.rows is None:
                rows, cols = np.divmod(rng.integers(0, base.shape[0] * k, size=size), k)
            else:
                rows, cols = plan.rows[start : start + size], rng.integers(0, k, size=size)
            steps = rng.random(size, dtype=dtype)
            if plan.damped is not None:
                damp = plan.damped[rows, cols]
                steps[damp] *= rng.uniform(0.0, 0.5, size=int(damp.sum())).astype(dtype)
            out = X_res[at + start : at + start + size]
            np.take(base, rows, axis=0, out=out)
            diff = pool[plan.neighbors[rows, cols]]
            diff -= out
            diff *= steps[:, None]
            out += diff
        at += plan.n_new
    return X_res, y_res


def _check_positive_int(value: Any, name: str) -> None:
    if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name}={value!r} must be a positive int (e.g. 5)")


def _check_enough(available: int, k: int, name: str, where: str) -> None:
    """Raise when too few rows exist to give every row ``k`` neighbours other than itself."""
    if available <= k:
        raise ValueError(
            f"{name}={k} needs more than {k} rows {where}, which has {available}; "
            f"lower {name} to at most {max(available - 1, 0)} or give more rows"
        )


class _NeighborSampler(BaseSampler):
    """Shared parameters and neighbour search of the SMOTE family."""

    _sampling_type = OVER
    _k_name = "k_neighbors"

    def __init__(self, *, sampling_strategy: Any, random_state: Any, search: Any, device: str | None, n_jobs: int | None, verbose: bool) -> None:
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state
        self.search = search
        self.device = device
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_params(self) -> None:
        _check_positive_int(getattr(self, self._k_name), self._k_name)
        if self.device is not None and self.search != "exact":
            raise ValueError(f"device={self.device!r} applies to exact search only; use search='exact' or device=None")
        if self.device is not None and not isinstance(self.device, str):
            raise ValueError(f"device={self.device!r} must be a torch device name such as 'cuda' or 'cpu'")

    def _neighbors(self, queries: np.ndarray, k: int, **kwargs: Any) -> np.ndarray:
        return kneighbors(
            queries, k, search=self.search, device=self.device, n_jobs=self.n_jobs, verbose=self.verbose, **kwargs
        )

    def _resample(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rng = make_rng(self.random_state)
        plans = [plan for label, n in self.sampling_strategy_.items() if n > 0 for plan in self._plan(X, y, label, n)]
        return synthesize(X, y, plans, rng)

    def _plan(self, X: np.ndarray, y: np.ndarray, label: Any, n_new: int) -> list[Plan]:
        raise NotImplementedError


class SMOTE(_NeighborSampler):
    """Synthetic Minority Over-sampling (Chawla et al., 2002).

    For each targeted class, ``n`` new rows: each picks a row ``x_i`` of the
    class and one of its ``k_neighbors`` nearest rows of the same class
    uniformly at random, and lies at a uniform point of the segment between
    them. ``search``, ``device``, ``n_jobs`` and ``verbose`` set up the
    neighbour search (see :func:`longtail.sampling.neighbors.kneighbors`).
    """

    def __init__(
        self,
        *,
        sampling_strategy: Any = "auto",
        random_state: Any = None,
        k_neighbors: int = 5,
        search: Any = "exact",
        device: str | None = None,
        n_jobs: int | None = None,
        verbose: bool = False,
    ) -> None:
        super().__init__(
            sampling_strategy=sampling_strategy, random_state=random_state, search=search, device=device, n_jobs=n_jobs, verbose=verbose
        )
        self.k_neighbors = k_neighbors

    def _plan(self, X: np.ndarray, y: np.ndarray, label: Any, n_new: int) -> list[Plan]:
        members = X[y == label]
        _check_enough(members.shape[0], self.k_neighbors, "k_neighbors", f"of class {label!r}")
        return [Plan(label, members, members, self._neighbors(members, self.k_neighbors), n_new)]


class BorderlineSMOTE(SMOTE):
    """SMOTE from the rows on the class border only (Han et al., 2005).

    A row is *in danger* when at least half, but not all, of its
    ``m_neighbors`` nearest rows (any class) belong to other classes; only
    those rows seed new rows (``danger_indices_`` maps each class to them, as
    row numbers of ``X``). ``kind="borderline-1"`` takes neighbours from the
    same class; ``"borderline-2"`` takes them from all rows and, for a
    neighbour of another class, shrinks the step by a factor uniform in
    ``[0, 0.5)`` so the new row stays nearer its own class. A class with no row
    in danger gets no new rows (a warning says so), as in imbalanced-learn.
    """

    def __init__(
        self,
        *,
        sampling_strategy: Any = "auto",
        random_state: Any = None,
        k_neighbors: int = 5,
        m_neighbors: int = 10,
        kind: str = "borderline-1",
        search: Any = "exact",
        device: str | None = None,
        n_jobs: int | None = None,
        verbose: bool = False,
    ) -> None:
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            k_neighbors=k_neighbors,
            search=search,
            device=device,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        self.m_neighbors = m_neighbors
        self.kind = kind

    def _check_params(self) -> None:
        super()._check_params()
        _check_positive_int(self.m_neighbors, "m_neighbors")
        if self.kind not in ("borderline-1", "borderline-2"):
            raise ValueError(f"kind={self.kind!r} is unknown; use 'borderline-1' or 'borderline-2'")

    def _resample(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.danger_indices_ = {}
        return super()._resample(X, y)

    def _danger_mask(self, X: np.ndarray, y: np.ndarray, label: Any) -> np.ndarray:
        """Which rows of class ``label`` are in danger (see the class docstring)."""
        members = np.flatnonzero(y == label)
        _check_enough(X.shape[0], self.m_neighbors, "m_neighbors", "in X")
        near = self._neighbors(X[members], self.m_neighbors, Y=X, self_index=members)
        others = np.count_nonzero(y[near] != label, axis=1)
        return (others >= self.m_neighbors / 2) & (others < self.m_neighbors)

    def _plan(self, X: np.ndarray, y: np.ndarray, label: Any, n_new: int) -> list[Plan]:
        members = np.flatnonzero(y == label)
        danger = members[self._danger_mask(X, y, label)]
        if danger.size == 0:
            warnings.warn(f"BorderlineSMOTE: no row of class {label!r} is in danger; no rows added to it", stacklevel=4)
            return []
        self.danger_indices_[label] = danger
        if self.kind == "borderline-1":
            _check_enough(members.size, self.k_neighbors, "k_neighbors", f"of class {label!r}")
            position = np.searchsorted(members, danger)
            near = self._neighbors(X[danger], self.k_neighbors, Y=X[members], self_index=position)
            return [Plan(label, X[danger], X[members], near, n_new)]
        _check_enough(X.shape[0], self.k_neighbors, "k_neighbors", "in X")
        near = self._neighbors(X[danger], self.k_neighbors, Y=X, self_index=danger)
        return [Plan(label, X[danger], X, near, n_new, damped=y[near] != label)]


class ADASYN(_NeighborSampler):
    """Adaptive synthetic sampling (He et al., 2008).

    Each row ``i`` of a targeted class gets ``g_i = rint(r_i / sum(r) * n)``
    new rows, where ``r_i`` is the share of other classes among its
    ``n_neighbors`` nearest rows (any class): rows in harder regions get more.
    The new rows lie on segments to its ``n_neighbors`` nearest rows of the
    same class. Rounding makes the total ``sum(g_i)``, which may differ from
    ``n`` by a few rows, as in imbalanced-learn; ``per_row_counts_`` maps each
    class to its ``g`` (aligned with the class's rows in ``X`` order).
    """

    _k_name = "n_neighbors"

    def __init__(
        self,
        *,
        sampling_strategy: Any = "auto",
        random_state: Any = None,
        n_neighbors: int = 5,
        search: Any = "exact",
        device: str | None = None,
        n_jobs: int | None = None,
        verbose: bool = False,
    ) -> None:
        super().__init__(
            sampling_strategy=sampling_strategy, random_state=random_state, search=search, device=device, n_jobs=n_jobs, verbose=verbose
        )
        self.n_neighbors = n_neighbors

    def _resample(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.per_row_counts_ = {}
        return super()._resample(X, y)

    def _plan(self, X: np.ndarray, y: np.ndarray, label: Any, n_new: int) -> list[Plan]:
        k = self.n_neighbors
        members = np.flatnonzero(y == label)
        _check_enough(members.size, k, "n_neighbors", f"of class {label!r}")
        near_any = self._neighbors(X[members], k, Y=X, self_index=members)
        hardness = np.count_nonzero(y[near_any] != label, axis=1) / k
        if hardness.sum() == 0:
            raise ValueError(
                f"ADASYN: no neighbour of any row of class {label!r} belongs to another class, "
                "so its weights are undefined; use SMOTE for this data"
            )
        counts = np.rint(hardness / hardness.sum() * n_new).astype(np.int64)
        if counts.sum() == 0:
            raise ValueError(
                f"ADASYN: rounding leaves no rows to add to class {label!r}; ask for more rows in sampling_strategy"
            )
        self.per_row_counts_[label] = counts
        base = X[members]
        near_same = self._neighbors(base, k)
        rows = np.repeat(np.arange(members.size), counts)
        return [Plan(label, base, base, near_same, int(counts.sum()), rows=rows)]
