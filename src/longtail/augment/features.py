"""Augmenters for feature vectors (e.g. text embeddings).

* :class:`GaussianNoise`: ``x + N(0, (scale * std_j)^2)`` per feature ``j``.
* :class:`Mixup` (Zhang et al., 2018): ``lam * x_i + (1 - lam) * x_p(i)`` with
  ``lam ~ Beta(alpha, alpha)`` and the same mix of the one-hot labels.
* :class:`EmbeddingSMOTE` (Chawla et al., 2002, in embedding space): each row
  moves a uniform random step towards one of its ``k`` nearest same-class
  neighbours (reusing :mod:`longtail.sampling`'s SMOTE search and interpolation).
"""

from __future__ import annotations

import warnings

import numpy as np

from longtail.augment._checks import as_generator, check_count, check_positive


def _as_matrix(X: np.ndarray, name: str = "X") -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (n_rows, n_features), got shape {X.shape}; reshape it")
    if not np.isfinite(X).all():
        raise ValueError(f"{name} holds NaN or infinite values; impute or drop them first")
    return X


def _labelled(batch: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Split a ``(X, y)`` batch and check the two are aligned."""
    try:
        X, y = batch
    except (TypeError, ValueError) as exc:
        raise ValueError("batch must be a pair (X, y) of features and labels; pass augment((X, y), rng)") from exc
    X, y = _as_matrix(X), np.asarray(y)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y {y.shape[0]}; pass one label per row")
    return X, y


class GaussianNoise:
    """Add Gaussian noise scaled to each feature's spread.

    The per-feature standard deviation comes from :meth:`fit` (preferred: the
    training set) or, when not fitted, from the batch itself.
    """

    def __init__(self, scale: float | np.ndarray = 0.1) -> None:
        scale_arr = np.asarray(scale, dtype=np.float64)
        if scale_arr.ndim > 1 or not np.isfinite(scale_arr).all() or (scale_arr < 0).any():
            raise ValueError(f"scale must be a number or 1-D array of numbers >= 0, got {scale!r}; pass e.g. 0.1")
        self.scale = scale_arr
        self.std_: np.ndarray | None = None

    @property
    def fitted(self) -> bool:
        """Whether :meth:`fit` has set the per-feature spread."""
        return self.std_ is not None

    def fit(self, X: np.ndarray) -> GaussianNoise:
        """Learn the per-feature standard deviation from ``X``."""
        self.std_ = _as_matrix(X).std(axis=0)
        return self

    def augment(self, X: np.ndarray, rng: np.random.Generator | int) -> np.ndarray:
        """``X`` plus noise with standard deviation ``scale * std`` per feature."""
        X = _as_matrix(X)
        std = self.std_ if self.std_ is not None else X.std(axis=0)
        if std.shape[0] != X.shape[1] or self.scale.size not in (1, X.shape[1]):
            raise ValueError(
                f"X has {X.shape[1]} features but std/scale were given for {std.shape[0]}/{self.scale.size}; "
                "fit on data with the same columns"
            )
        return X + as_generator(rng).standard_normal(X.shape) * (self.scale * std)


class Mixup:
    """Mix each row with a random partner row of the batch (mixup).

    ``augment((X, y), rng)`` returns ``(X_mixed, Y_soft)`` where ``y`` is either
    integer labels (one-hot encoded over ``n_classes``) or soft labels
    ``(n, C)``. One ``lam`` per batch as in the paper, or one per row with
    ``per_sample=True``.
    """

    uses_labels = True

    def __init__(self, alpha: float = 0.2, *, n_classes: int | None = None, per_sample: bool = False) -> None:
        self.alpha = check_positive("alpha", alpha)
        self.n_classes = None if n_classes is None else check_count("n_classes", n_classes)
        self.per_sample = bool(per_sample)

    def augment(
        self, batch: tuple[np.ndarray, np.ndarray], rng: np.random.Generator | int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Mixed features and the matching soft labels."""
        X, y = _labelled(batch)
        Y = self._soft_labels(y)
        rng = as_generator(rng)
        n = X.shape[0]
        lam = rng.beta(self.alpha, self.alpha, size=n if self.per_sample else 1)
        partner = rng.permutation(n)
        lam_col = np.broadcast_to(lam, (n,))[:, None]
        return lam_col * X + (1 - lam_col) * X[partner], lam_col * Y + (1 - lam_col) * Y[partner]

    def _soft_labels(self, y: np.ndarray) -> np.ndarray:
        if y.ndim == 2:
            return y.astype(np.float64)
        if y.ndim != 1 or (y.size and (not np.issubdtype(y.dtype, np.integer) or y.min() < 0)):
            raise ValueError("y must be integer class indices >= 0 or soft labels (n, C); encode labels as 0..C-1")
        n_classes = self.n_classes or (int(y.max()) + 1 if y.size else 0)
        if y.size and y.max() >= n_classes:
            raise ValueError(f"y holds class {int(y.max())} but n_classes={n_classes}; raise n_classes")
        return np.eye(n_classes)[y]


class EmbeddingSMOTE:
    """SMOTE interpolation in embedding space, one synthetic row per input row.

    Neighbours are searched among the rows given to :meth:`fit` (e.g. the
    whole training set) or, when not fitted, among the batch; a row finds
    itself at distance 0 and skips that neighbour. The neighbour search and
    the interpolation are those of :class:`longtail.sampling.SMOTE`
    (Euclidean distance: L2-normalise embeddings first for cosine geometry).
    A row whose class has no other row is copied unchanged (counted in
    ``n_copied_``, with a warning).
    """

    uses_labels = True

    def __init__(self, k_neighbors: int = 5) -> None:
        self.k_neighbors = check_count("k_neighbors", k_neighbors)
        self._pool: tuple[np.ndarray, np.ndarray] | None = None
        self.n_copied_ = 0

    @property
    def fitted(self) -> bool:
        """Whether :meth:`fit` has set the neighbour pool."""
        return self._pool is not None

    def fit(self, X: np.ndarray, y: np.ndarray) -> EmbeddingSMOTE:
        """Remember the rows (and labels) neighbours are drawn from."""
        self._pool = _labelled((X, y))
        return self

    def augment(
        self, batch: tuple[np.ndarray, np.ndarray], rng: np.random.Generator | int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Synthetic rows (aligned with the batch) and their labels."""
        from longtail.sampling.neighbors import kneighbors
        from longtail.sampling.smote import Plan, synthesize

        X, y = _labelled(batch)
        pool_X, pool_y = self._pool if self._pool is not None else (X, y)
        if pool_X.shape[1] != X.shape[1]:
            raise ValueError(f"batch has {X.shape[1]} features but fit saw {pool_X.shape[1]}; use the same columns")
        rng = as_generator(rng)
        out = X.copy()
        self.n_copied_ = 0
        for label in np.unique(y):
            rows = np.flatnonzero(y == label)
            members = pool_X[pool_y == label]
            if members.shape[0] < 2:
                self.n_copied_ += rows.size
                continue
            k = min(self.k_neighbors, members.shape[0] - 1)
            dist, near = kneighbors(X[rows], k + 1, Y=members, return_distance=True)
            near = np.where((dist[:, 0] == 0)[:, None], near[:, 1:], near[:, :k])
            plan = Plan(label, X[rows], members, near, rows.size, rows=np.arange(rows.size))
            out[rows] = synthesize(X[rows], y[rows], [plan], rng)[0][rows.size :]
        if self.n_copied_:
            warnings.warn(
                f"{self.n_copied_} rows belong to classes with a single example and were copied unchanged",
                stacklevel=2,
            )
        return out, y.copy()
