"""Label-distribution-aware margin loss with deferred re-weighting (Cao et al. 2019)."""

from __future__ import annotations

import math

import torch

from longtail.losses._common import MULTICLASS, as_tensor
from longtail.losses.cross_entropy import WeightedCrossEntropy
from longtail.weights import class_weights, validate_beta, validate_counts


class LDAMLoss(WeightedCrossEntropy):
    """LDAM: cross-entropy of ``s * (logits - m_y e_y)`` with class margins ``m_c ∝ n_c^(-1/4)``.

    Margins are scaled so the rarest class gets ``max_margin``. The paper feeds
    cosine logits (normalised features and weights, in [-1, 1]) and ``s=30``;
    with raw logits use a smaller ``s`` such as 1.

    Deferred re-weighting (DRW): call :meth:`set_epoch` at the start of every
    epoch; from ``drw_start_epoch`` on, or from ``drw_start_fraction`` of
    ``num_epochs`` on (the paper: 160 of 200 epochs, 0.8), the class weights
    become the effective-number weights with ``beta`` (normalised to sum to C).
    Before that, ``weight`` (default none) applies.
    """

    forms = frozenset({MULTICLASS})

    def __init__(
        self,
        class_counts,
        max_margin: float = 0.5,
        s: float = 30.0,
        *,
        drw_start_epoch: int | None = None,
        drw_start_fraction: float | None = None,
        beta: float = 0.9999,
        weight=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight=weight, reduction=reduction)
        counts = validate_counts(class_counts, "class_counts", allow_zero=False)
        if not float(max_margin) >= 0:
            raise ValueError(f"max_margin must be >= 0, got {max_margin}; the paper uses 0.5")
        if not float(s) > 0:
            raise ValueError(f"s (logit scale) must be > 0, got {s}; use 30 for cosine logits, 1 for raw logits")
        if drw_start_epoch is not None and (int(drw_start_epoch) != drw_start_epoch or drw_start_epoch < 0):
            raise ValueError(f"drw_start_epoch must be an epoch number >= 0 or None, got {drw_start_epoch}")
        if drw_start_fraction is not None and not 0.0 <= float(drw_start_fraction) <= 1.0:
            raise ValueError(f"drw_start_fraction must be in [0, 1] or None, got {drw_start_fraction}; the paper uses 0.8")
        if drw_start_epoch is not None and drw_start_fraction is not None:
            raise ValueError("give drw_start_epoch or drw_start_fraction, not both")
        self.max_margin = float(max_margin)
        self.s = float(s)
        self.beta = validate_beta(beta)
        self.drw_start_epoch = drw_start_epoch
        self.drw_start_fraction = None if drw_start_fraction is None else float(drw_start_fraction)
        margins = counts**-0.25
        self.register_buffer("margins", torch.from_numpy(margins * (self.max_margin / margins.max())))
        self.register_buffer("drw_weight", as_tensor(class_weights(counts, "effective_number", beta=self.beta), "drw"))
        self.register_buffer("base_weight", None if self.weight is None else self.weight.clone())
        self.drw_active = False

    def set_epoch(self, epoch: int, num_epochs: int | None = None) -> None:
        """Tell the loss the current (0-based) epoch of ``num_epochs``; switches DRW weights on or off.

        ``num_epochs`` is needed with ``drw_start_fraction``.
        """
        if int(epoch) != epoch or epoch < 0:
            raise ValueError(f"epoch must be an integer >= 0, got {epoch}")
        start = self.drw_start_epoch
        if self.drw_start_fraction is not None:
            if num_epochs is None or int(num_epochs) != num_epochs or num_epochs < 1:
                raise ValueError(
                    f"num_epochs must be a positive integer with drw_start_fraction, got {num_epochs}; "
                    "call set_epoch(epoch, num_epochs)"
                )
            start = math.ceil(self.drw_start_fraction * num_epochs)
        self.drw_active = start is not None and epoch >= start
        self.weight = self.drw_weight if self.drw_active else self.base_weight

    def adjust_logits(self, logits, target, form):
        """``s * (logits - m_y)`` at each row's target column."""
        margins = self.margins.to(device=logits.device, dtype=logits.dtype)
        if margins.numel() != logits.shape[1]:
            raise ValueError(f"class_counts has {margins.numel()} entries but logits have {logits.shape[1]} columns")
        shifted = logits - torch.nn.functional.one_hot(target, logits.shape[1]).to(logits.dtype) * margins[target, None]
        return self.s * shifted

    def extra_repr(self) -> str:
        return (
            f"max_margin={self.max_margin}, s={self.s}, drw_start_epoch={self.drw_start_epoch}, "
            f"drw_start_fraction={self.drw_start_fraction}, "
            f"beta={self.beta}, {super().extra_repr()}"
        )
