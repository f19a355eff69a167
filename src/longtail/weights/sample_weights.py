"""Per-row weights: from class weights, from recency, and by region."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np


def sample_weights(y, class_weights) -> np.ndarray:
    """Weight of each row: the weight of its class.

    ``class_weights`` is either an array indexed by integer label
    (``y`` in ``0..C-1``, e.g. the output of :func:`class_weights`) or a mapping
    ``{label: weight}`` for labels of any type.
    """
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {labels.shape}; pass one label per row")
    if isinstance(class_weights, Mapping):
        missing = [label for label in np.unique(labels).tolist() if label not in class_weights]
        if missing:
            raise ValueError(
                f"class_weights has no weight for label(s) {missing[:5]}; add them to the mapping"
            )
        return np.array([class_weights[label] for label in labels.tolist()], dtype=np.float64)
    table = np.asarray(class_weights, dtype=np.float64)
    if table.ndim != 1:
        raise ValueError(f"class_weights must be 1-D, got shape {table.shape}; pass one weight per class")
    if labels.size == 0:
        return np.zeros(0)
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"y has dtype {labels.dtype} but class_weights is an array indexed by label; "
            "encode y as integers 0..C-1 or pass class_weights as a {label: weight} mapping"
        )
    if labels.min() < 0 or labels.max() >= table.size:
        raise ValueError(
            f"y holds labels in [{labels.min()}, {labels.max()}] but class_weights has {table.size} entries; "
            "pass one weight per class 0..C-1"
        )
    return table[labels]


def _elapsed_over_half_life(timestamps: np.ndarray, half_life) -> np.ndarray:
    """Age of each row relative to the newest, in units of the half-life."""
    age = timestamps.max() - timestamps
    if np.issubdtype(timestamps.dtype, np.datetime64):
        if isinstance(half_life, dt.timedelta):
            half_life = np.timedelta64(half_life)
        if not isinstance(half_life, np.timedelta64):
            raise ValueError(
                "half_life must be a datetime.timedelta or numpy.timedelta64 when timestamps are datetimes; "
                "e.g. half_life=datetime.timedelta(days=30)"
            )
        if half_life <= np.timedelta64(0):
            raise ValueError(f"half_life must be positive, got {half_life}")
        return age / half_life
    if isinstance(half_life, dt.timedelta | np.timedelta64):
        raise ValueError("half_life is a duration but timestamps are numbers; give half_life in the timestamps' units")
    half_life = float(half_life)
    if not (np.isfinite(half_life) and half_life > 0):
        raise ValueError(f"half_life must be a positive finite number, got {half_life}")
    return age.astype(np.float64) / half_life


def time_decay_weights(timestamps, half_life) -> np.ndarray:
    """Exponential recency weights: the newest row weighs 1, and weight halves every ``half_life``.

    ``timestamps`` are numbers or datetimes (numpy ``datetime64``, a polars or
    pandas datetime column); ``half_life`` is then in the same units or a
    ``datetime.timedelta``.
    """
    stamps = np.asarray(timestamps)
    if stamps.ndim != 1:
        raise ValueError(f"timestamps must be 1-D, got shape {stamps.shape}")
    if stamps.size == 0:
        return np.zeros(0)
    if np.issubdtype(stamps.dtype, np.datetime64):
        missing = np.isnat(stamps)
    elif np.issubdtype(stamps.dtype, np.number):
        missing = ~np.isfinite(stamps)
    else:
        raise ValueError(f"timestamps have dtype {stamps.dtype}; pass numbers or datetimes")
    if missing.any():
        raise ValueError(
            f"timestamps has {int(missing.sum())} missing value(s) (first at row {int(np.flatnonzero(missing)[0])}); "
            "fill or drop them first"
        )
    return np.exp2(-_elapsed_over_half_life(stamps, half_life))


def _target_shares(present: list, target) -> np.ndarray:
    if isinstance(target, str):
        if target != "uniform":
            raise ValueError(f"target {target!r} is unknown; use 'uniform' or a {{region: share}} mapping")
        return np.full(len(present), 1.0 / len(present))
    if not isinstance(target, Mapping):
        raise ValueError("target must be 'uniform' or a {region: share} mapping")
    missing = [region for region in present if region not in target]
    if missing:
        raise ValueError(f"target has no share for region(s) {missing[:5]}; add every region in the data")
    absent = [region for region in target if region not in set(present)]
    if absent:
        raise ValueError(
            f"target gives a share to region(s) {absent[:5]} that no row has; remove them, no weighting can reach that share"
        )
    shares = np.array([float(target[region]) for region in present])
    if np.any(shares < 0) or not np.all(np.isfinite(shares)) or shares.sum() <= 0:
        raise ValueError("target shares must be finite, >= 0 and not all zero")
    return shares / shares.sum()


def region_weights(regions, target="uniform") -> np.ndarray:
    """Row weights that give each region a chosen share of the total weight.

    With ``target="uniform"`` every region carries the same total weight; with a
    mapping ``{region: share}`` (shares are normalised to sum to 1) region r
    carries ``share_r`` of it. Weights average 1 over the rows, so a loss keeps
    its scale. Missing regions (None/NaN) raise: fill them with e.g. "unknown".
    """
    values = np.asarray(regions, dtype=object)
    if values.ndim != 1:
        raise ValueError(f"regions must be 1-D, got shape {values.shape}")
    if values.size == 0:
        return np.zeros(0)
    missing = np.array([value is None or (isinstance(value, float) and np.isnan(value)) for value in values])
    if missing.any():
        raise ValueError(
            f"regions has {int(missing.sum())} missing value(s) (first at row {int(np.flatnonzero(missing)[0])}); "
            "fill them, e.g. with 'unknown'"
        )
    try:
        present, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    except TypeError as exc:
        raise ValueError("regions mix value types that cannot be compared (e.g. str and int); make them all strings") from exc
    shares = _target_shares(present.tolist(), target)
    per_row = shares * values.size / counts
    return per_row[inverse]

