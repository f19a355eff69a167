"""Cross-entropy with optional class weights, and the logit-adjusted losses built on it."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from longtail.losses._common import ALL_FORMS, BINARY, MULTICLASS, ReducedLoss, input_form, log_prior, reduce
from longtail.weights import class_weights


class WeightedCrossEntropy(ReducedLoss):
    """Cross-entropy (softmax for (N, C) logits, sigmoid for (N,) or multi-label) with class weights.

    ``weight`` is one weight per class; binary inputs take (negative, positive).
    With weights, ``reduction='mean'`` is the weighted mean ``sum w_i l_i / sum w_i``,
    as in ``torch.nn.CrossEntropyLoss``, so the loss scale does not depend on
    the weights' scale.
    """

    forms = ALL_FORMS

    @classmethod
    def from_counts(cls, class_counts, scheme: str = "balanced", reduction: str = "mean", **params):
        """Weighted cross-entropy with ``longtail.weights.class_weights(class_counts, scheme, **params)``."""
        return cls(weight=class_weights(class_counts, scheme, **params), reduction=reduction)

    def adjust_logits(self, logits: torch.Tensor, target: torch.Tensor, form: str) -> torch.Tensor:
        """Hook for the margin and prior corrections of subclasses; identity here."""
        return logits

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Loss of ``logits`` against ``target`` (see the class docstring for shapes)."""
        form, target = input_form(logits, target, self.forms)
        logits = self.adjust_logits(logits, target, form)
        if form == MULTICLASS:
            loss = F.cross_entropy(logits, target, reduction="none")
        else:
            loss = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
        weights = self._weights(form, target, logits)
        if weights is not None:
            loss = loss * weights
        return reduce(loss, self.reduction, weights)


class LogitAdjustedLoss(WeightedCrossEntropy):
    """Logit-adjusted cross-entropy (Menon et al. 2021): softmax of ``logits + tau * log prior``.

    The prior is ``class_counts / sum``; binary inputs take counts (negative,
    positive) and add ``tau * log(n_pos / n_neg)`` to the logit. Training with
    the shifted logits makes the raw logits estimate the class-balanced
    posterior, so predict with the raw logits.
    """

    forms = frozenset({MULTICLASS, BINARY})

    def __init__(self, class_counts, tau: float = 1.0, weight=None, reduction: str = "mean") -> None:
        super().__init__(weight=weight, reduction=reduction)
        tau = float(tau)
        if not tau >= 0:
            raise ValueError(f"tau must be >= 0, got {tau}; 1.0 is the Bayes-consistent choice")
        self.tau = tau
        self.register_buffer("log_prior", log_prior(class_counts))

    def adjust_logits(self, logits, target, form):
        """``logits + tau * log prior`` (the prior log-odds for binary logits)."""
        prior = self.log_prior.to(device=logits.device, dtype=logits.dtype)
        if form == BINARY:
            if prior.numel() != 2:
                raise ValueError(f"binary inputs need 2 class_counts (negative, positive), got {prior.numel()}")
            return logits + self.tau * (prior[1] - prior[0])
        if prior.numel() != logits.shape[1]:
            raise ValueError(f"class_counts has {prior.numel()} entries but logits have {logits.shape[1]} columns")
        return logits + self.tau * prior

    def extra_repr(self) -> str:
        return f"tau={self.tau}, {super().extra_repr()}"


class BalancedSoftmaxLoss(LogitAdjustedLoss):
    """Balanced softmax (Ren et al. 2020): cross-entropy of ``logits + log n_c``.

    The same as :class:`LogitAdjustedLoss` with ``tau=1``; multi-class only.
    """

    forms = frozenset({MULTICLASS})

    def __init__(self, class_counts, weight=None, reduction: str = "mean") -> None:
        super().__init__(class_counts, tau=1.0, weight=weight, reduction=reduction)
