"""Group-aware augmentation: grow only the minority classes or tail items.

:class:`TailAugmenter` wraps any augmenter. Every label (class, or item id for
tail items) with fewer than the target number of rows gets new rows made from
its own rows until it reaches the target; the others get none. Source rows are
used evenly: each is used ``floor`` or ``ceil`` of (needed / available) times.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from longtail.augment._checks import as_generator, check_count, check_fraction


class TailAugmentation(NamedTuple):
    """New rows, their labels, and the index of each one's source row in the input."""

    rows: Any
    labels: np.ndarray
    source: np.ndarray


class TailAugmenter:
    """Augment minority labels up to ``target_count`` rows each.

    Give exactly one of ``target_count`` (rows per label) or ``target_ratio``
    (a share of the largest label's count, rounded up). Augmenters that use
    labels (``uses_labels = True``, e.g. mixup, SMOTE) are called once per
    label, so mixing stays within the label. With ``fit_augmenter`` an
    augmenter that has ``fit`` and is not ``fitted`` yet is first fitted on
    the whole batch, so noise scales, region frequencies and SMOTE neighbours
    come from all rows rather than from the repeated source rows.
    """

    def __init__(
        self,
        augmenter: Any,
        *,
        target_count: int | None = None,
        target_ratio: float | None = None,
        fit_augmenter: bool = True,
    ) -> None:
        if not callable(getattr(augmenter, "augment", None)):
            raise ValueError(f"augmenter must have an augment(batch, rng) method, got {augmenter!r}")
        if (target_count is None) == (target_ratio is None):
            raise ValueError("give exactly one of target_count (rows per label) or target_ratio (share of the largest)")
        self.augmenter = augmenter
        self.target_count = None if target_count is None else check_count("target_count", target_count)
        self.target_ratio = (
            None if target_ratio is None else check_fraction("target_ratio", target_ratio, allow_zero=False)
        )
        self.fit_augmenter = bool(fit_augmenter)

    def plan(self, labels: Sequence[Any]) -> dict[Any, int]:
        """How many new rows each label gets (labels at or above the target are left out)."""
        values, counts = np.unique(np.asarray(labels), return_counts=True)
        if values.size == 0:
            return {}
        target = self.target_count if self.target_count is not None else math.ceil(self.target_ratio * counts.max())
        return {v: int(target - c) for v, c in zip(values.tolist(), counts.tolist()) if c < target}

    def augment(self, batch: Any, labels: Sequence[Any], rng: np.random.Generator | int) -> TailAugmentation:
        """New rows for the labels below target, with their labels and source indices."""
        labels = np.asarray(labels)
        if labels.ndim != 1 or labels.shape[0] != len(batch):
            raise ValueError(f"labels must be 1-D with one label per row of batch ({len(batch)}), got {labels.shape}")
        rng = as_generator(rng)
        uses_labels = getattr(self.augmenter, "uses_labels", False)
        needs_fit = callable(getattr(self.augmenter, "fit", None)) and not getattr(self.augmenter, "fitted", False)
        if self.fit_augmenter and needs_fit:
            self.augmenter.fit(*((batch, labels) if uses_labels else (batch,)))
        groups = []
        for label, needed in self.plan(labels).items():
            rows = np.flatnonzero(labels == label)
            cycles = [rng.permutation(rows) for _ in range(math.ceil(needed / rows.size))]
            groups.append(np.concatenate(cycles)[:needed])
        if not groups:
            return TailAugmentation(_take(batch, np.zeros(0, dtype=np.int64)), labels[:0], np.zeros(0, dtype=np.int64))
        source = np.concatenate(groups)
        if uses_labels:
            parts = [self.augmenter.augment((_take(batch, g), labels[g]), rng)[0] for g in groups]
            rows_out = np.concatenate(parts) if isinstance(parts[0], np.ndarray) else [r for p in parts for r in p]
        else:
            rows_out = self.augmenter.augment(_take(batch, source), rng)
        return TailAugmentation(rows_out, labels[source], source)


def _take(batch: Any, index: np.ndarray) -> Any:
    """Rows ``index`` of an array or a list-like batch, in the batch's own kind."""
    if isinstance(batch, np.ndarray):
        return batch[index]
    return [batch[i] for i in index.tolist()]
