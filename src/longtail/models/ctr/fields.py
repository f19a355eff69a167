"""Field codes to model rows: rare and unseen ids share one out-of-vocabulary row per field.

An id seen fewer than ``min_count`` times in training has no reliable row of
its own; giving all of them the field's OOV row (row 0) trains that row on
the tail, so an id first met at prediction time gets a learned vector
instead of a random one.
"""

from __future__ import annotations

import numpy as np


class FieldCodes:
    """Per-field map from raw codes (0 = unknown) to rows, row 0 being the field's OOV row."""

    def __init__(self, remaps: list[np.ndarray]) -> None:
        self.remaps = [np.asarray(r, dtype=np.int64) for r in remaps]

    @classmethod
    def fit(cls, X: np.ndarray, min_count: int) -> "FieldCodes":
        """Give every code seen at least ``min_count`` times in column j of ``X`` its own row (code 0 never)."""
        remaps = []
        for column in X.T:
            counts = np.bincount(column)
            kept = counts >= min_count
            kept[0] = False
            remap = np.zeros(counts.size, dtype=np.int64)
            remap[kept] = np.arange(1, int(kept.sum()) + 1)
            remaps.append(remap)
        return cls(remaps)

    @property
    def sizes(self) -> list[int]:
        """Rows per field, the OOV row included."""
        return [int(r.max()) + 1 for r in self.remaps]

    @property
    def n_fields(self) -> int:
        """Number of fields."""
        return len(self.remaps)

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Row of each code, per field (codes never seen in training map to 0)."""
        if X.shape[1] != self.n_fields:
            raise ValueError(f"X has {X.shape[1]} fields but the model was fitted on {self.n_fields}; use the same fields")
        out = np.zeros(X.shape, dtype=np.int64)
        for j, remap in enumerate(self.remaps):
            column = X[:, j]
            known = column < remap.size
            out[known, j] = remap[column[known]]
        return out

    def to_tensors(self) -> dict[str, np.ndarray]:
        """The maps as arrays, for safetensors."""
        return {f"remap.{j}": r for j, r in enumerate(self.remaps)}

    @classmethod
    def from_tensors(cls, tensors: dict[str, np.ndarray], n_fields: int) -> "FieldCodes":
        """Inverse of :meth:`to_tensors`."""
        return cls([tensors[f"remap.{j}"] for j in range(n_fields)])
