"""Inverse-propensity-scored binary cross-entropy for logged feedback."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from longtail.losses._common import BINARY, ReducedLoss, input_form, reduce


class IPSLoss(ReducedLoss):
    """Binary cross-entropy of each logged example divided by ``max(propensity, clip)``.

    The IPS estimator (Schnabel et al. 2016) makes the loss over logged
    impressions an unbiased estimate of the loss over all user-item pairs when
    ``propensity`` is the probability that the example was logged (e.g. that
    the item was shown). Clipping small propensities from below bounds the
    variance at the cost of some bias. ``weight`` takes (negative, positive)
    class weights; ``reduction='mean'`` is the plain mean (the IPS estimate).
    """

    def __init__(self, clip: float = 0.05, weight=None, reduction: str = "mean") -> None:
        super().__init__(weight=weight, reduction=reduction)
        clip = float(clip)
        if not 0.0 < clip <= 1.0:
            raise ValueError(f"clip must be in (0, 1], got {clip}; it is the smallest propensity used, e.g. 0.05")
        self.clip = clip

    def forward(self, logits: torch.Tensor, target: torch.Tensor, propensity: torch.Tensor) -> torch.Tensor:
        """IPS-weighted loss for (N,) logits, (N,) 0/1 targets and (N,) propensities in [0, 1]."""
        form, target = input_form(logits, target, frozenset({BINARY}))
        if not isinstance(propensity, torch.Tensor) or propensity.shape != logits.shape:
            shape = tuple(propensity.shape) if isinstance(propensity, torch.Tensor) else type(propensity).__name__
            raise ValueError(f"propensity must be a tensor shaped like logits {tuple(logits.shape)}, got {shape}")
        propensity = propensity.to(device=logits.device, dtype=logits.dtype)
        if propensity.numel() and not bool(((propensity >= 0) & (propensity <= 1)).all()):
            raise ValueError("propensity must lie in [0, 1] (no NaN); it is the probability the example was logged")
        loss = F.binary_cross_entropy_with_logits(logits, target, reduction="none") / propensity.clamp(min=self.clip)
        weights = self._weights(form, target, logits)
        if weights is not None:
            loss = loss * weights
        return reduce(loss, self.reduction)

    def extra_repr(self) -> str:
        return f"clip={self.clip}, {super().extra_repr()}"
