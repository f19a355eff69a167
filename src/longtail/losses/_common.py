"""Input checks and reductions shared by the losses.

Logit shapes decide the form of a loss:

* ``multiclass``: logits (N, C), target (N,) integer class indices;
* ``binary``: logits (N,), target (N,) in [0, 1];
* ``multilabel``: logits (N, C), target (N, C) in [0, 1].
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from longtail.weights import validate_counts

REDUCTIONS = ("mean", "sum", "none")
MULTICLASS, BINARY, MULTILABEL = "multiclass", "binary", "multilabel"
ALL_FORMS = frozenset({MULTICLASS, BINARY, MULTILABEL})


def check_reduction(reduction: str) -> str:
    """Return ``reduction`` if it is one of 'mean', 'sum', 'none'."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")
    return reduction


def as_tensor(values, name: str, *, length: int | None = None) -> torch.Tensor:
    """A finite, non-negative float64 1-D tensor (e.g. class weights)."""
    array = np.asarray(values.detach().cpu() if isinstance(values, torch.Tensor) else values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence, got shape {array.shape}")
    if length is not None and array.size != length:
        raise ValueError(f"{name} has {array.size} entries but {length} are needed")
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{name} must hold finite values >= 0")
    return torch.from_numpy(array)


def log_prior(class_counts, name: str = "class_counts") -> torch.Tensor:
    """log(n_c / N) as a float64 tensor; zero counts raise (log 0 breaks the formula)."""
    counts = validate_counts(class_counts, name, allow_zero=False)
    return torch.from_numpy(np.log(counts / counts.sum()))


def input_form(logits: torch.Tensor, target: torch.Tensor, allowed=ALL_FORMS) -> tuple[str, torch.Tensor]:
    """Work out the form from the shapes, check the target, and return it ready for use.

    Multi-class targets come back as int64 indices, the others as floats of the
    logits' dtype.
    """
    if not isinstance(logits, torch.Tensor) or not isinstance(target, torch.Tensor):
        raise ValueError("logits and target must be torch tensors")
    if not logits.is_floating_point():
        raise ValueError(f"logits must be a floating-point tensor, got {logits.dtype}")
    if logits.ndim == 2 and target.ndim == 1:
        form = MULTICLASS
    elif logits.ndim == 1 and target.ndim == 1:
        form = BINARY
    elif logits.ndim == 2 and target.ndim == 2:
        form = MULTILABEL
    else:
        raise ValueError(
            f"logits of shape {tuple(logits.shape)} and target of shape {tuple(target.shape)} fit no form; use "
            "(N, C) logits with (N,) class indices, (N,) logits with (N,) 0/1 targets, or (N, C) with (N, C)"
        )
    if form not in allowed:
        raise ValueError(f"this loss does not take {form} inputs; it takes {', '.join(sorted(allowed))}")
    if target.shape[0] != logits.shape[0]:
        raise ValueError(f"target has {target.shape[0]} rows but logits have {logits.shape[0]}; pass one target per row")
    if form == MULTICLASS:
        return form, _class_indices(logits, target)
    if target.shape != logits.shape:
        raise ValueError(f"target shape {tuple(target.shape)} differs from logits shape {tuple(logits.shape)}")
    target = target.to(logits.dtype)
    if target.numel() and (bool((target < 0).any()) or bool((target > 1).any()) or bool(target.isnan().any())):
        raise ValueError("binary targets must lie in [0, 1]; pass 0/1 labels (or probabilities)")
    return form, target


def _class_indices(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    if target.is_floating_point() or target.dtype == torch.bool:
        raise ValueError(f"multi-class target must hold integer class indices, got {target.dtype}; use target.long()")
    n_classes = logits.shape[1]
    if n_classes < 2:
        raise ValueError("multi-class logits need at least 2 columns; use (N,) logits for a binary problem")
    if target.numel() and (int(target.min()) < 0 or int(target.max()) >= n_classes):
        raise ValueError(
            f"target holds class indices in [{int(target.min())}, {int(target.max())}] "
            f"but logits have {n_classes} columns"
        )
    return target.long()


def element_weights(weight: torch.Tensor | None, form: str, target: torch.Tensor, n_columns: int | None = None):
    """Per-element weights from class weights, or None.

    multiclass: ``weight[target]``; binary: ``weight`` holds (negative,
    positive) and soft targets interpolate; multilabel: one weight per column.
    """
    if weight is None:
        return None
    if form == BINARY:
        if weight.numel() != 2:
            raise ValueError(f"binary inputs need 2 class weights (negative, positive), got {weight.numel()}")
        weight = weight.to(target.dtype)
        return weight[0] + (weight[1] - weight[0]) * target
    if weight.numel() != n_columns:
        raise ValueError(f"{weight.numel()} class weights given but logits have {n_columns} columns; pass one per class")
    if form == MULTICLASS:
        return weight[target]
    return weight.to(target.dtype).expand_as(target)


def reduce(loss: torch.Tensor, reduction: str, normaliser: torch.Tensor | None = None) -> torch.Tensor:
    """Apply the reduction; with ``normaliser`` the mean divides by its sum (a weighted mean)."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if normaliser is None:
        return loss.mean()
    return loss.sum() / normaliser.sum()


class ReducedLoss(nn.Module):
    """Base of the losses: holds the reduction and optional class weights."""

    def __init__(self, weight=None, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = check_reduction(reduction)
        self.register_buffer("weight", None if weight is None else as_tensor(weight, "weight"))

    def _weights(self, form: str, target: torch.Tensor, logits: torch.Tensor):
        weight = None if self.weight is None else self.weight.to(device=logits.device)
        columns = logits.shape[1] if logits.ndim == 2 else None
        found = element_weights(weight, form, target, columns)
        return None if found is None else found.to(logits.dtype)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"
