"""Input checks and the not-fitted error shared by the adjusters."""

from __future__ import annotations

import numpy as np

from longtail.errors import InputError


class NotFittedError(ValueError):
    """An adjuster was used before ``fit``."""


def require_fitted(adjuster: object, attribute: str, how: str = "fit(scores, y)") -> None:
    """Raise :class:`NotFittedError` when ``attribute`` is still unset."""
    if getattr(adjuster, attribute, None) is None:
        name = type(adjuster).__name__
        raise NotFittedError(f"{name} is not fitted yet; call {name}.{how} before using it")


def as_scores(scores: np.ndarray, name: str = "scores", *, allow_inf: bool = False) -> np.ndarray:
    """Scores as float64, 1-D (binary) or 2-D (n_rows, n_classes), without NaN."""
    arr = np.asarray(scores, dtype=np.float64)
    if arr.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D (binary) or 2-D (n_rows, n_classes), got shape {arr.shape}")
    bad = np.isnan(arr) if allow_inf else ~np.isfinite(arr)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise InputError(f"{name} holds NaN or infinite values", row=row, fix="score every row with a finite number")
    return arr


def as_class_labels(y: np.ndarray, n_rows: int, n_classes: int | None) -> np.ndarray:
    """Integer class labels in [0, n_classes), one per row."""
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n_rows:
        raise ValueError(f"y must be 1-D with one label per row ({n_rows}), got shape {y.shape}")
    if y.size and y.dtype == bool:
        y = y.astype(np.int64)
    if y.size and not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must hold integer class indices, got dtype {y.dtype}; encode classes as 0..C-1")
    if y.size and (y.min() < 0 or (n_classes is not None and y.max() >= n_classes)):
        bad = int(y.min()) if y.min() < 0 else int(y.max())
        raise InputError(
            f"label {bad} is negative" if bad < 0 else f"label {bad} is outside 0..{n_classes - 1}",
            column="y",
            row=int(np.flatnonzero(y == bad)[0]),
            fix="give one score column per class, with labels 0..C-1",
        )
    return y.astype(np.int64)
