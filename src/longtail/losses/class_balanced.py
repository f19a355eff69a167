"""Class-balanced loss (Cui et al. 2019): a base loss weighted by inverse effective numbers."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from longtail.losses._common import BINARY, MULTICLASS, ReducedLoss, input_form, reduce
from longtail.losses.focal import check_gamma, sigmoid_focal
from longtail.weights import DEFAULT_BETA, class_weights

BASES = ("softmax", "sigmoid", "focal")


class ClassBalancedLoss(ReducedLoss):
    """Base loss of each example times ``w_y = (1 - beta) / (1 - beta**n_y)``, weights summing to C.

    ``base`` is ``'softmax'`` (cross-entropy), ``'sigmoid'`` (one-vs-all binary
    cross-entropy summed over classes) or ``'focal'`` (sigmoid focal loss with
    ``gamma``, summed over classes), as in the paper. Multi-class inputs take C
    counts; binary ((N,) logits) take (negative, positive) counts and the
    sigmoid or focal base. ``reduction='mean'`` averages over examples.
    Classes with zero count get weight 0.
    """

    def __init__(
        self,
        class_counts,
        beta: float = DEFAULT_BETA,
        base: str = "focal",
        gamma: float = 2.0,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight=class_weights(class_counts, "effective_number", beta=beta), reduction=reduction)
        if base not in BASES:
            raise ValueError(f"base must be one of {', '.join(BASES)}, got {base!r}")
        self.beta = float(beta)
        self.base = base
        self.gamma = check_gamma(gamma)

    def _elementwise(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.base == "focal":
            return sigmoid_focal(logits, target, self.gamma)
        return F.binary_cross_entropy_with_logits(logits, target, reduction="none")

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Class-balanced loss: (N, C) logits with class indices, or (N,) logits with 0/1 targets."""
        form, target = input_form(logits, target, frozenset({MULTICLASS, BINARY}))
        weights = self._weights(form, target, logits)
        if form == BINARY:
            if self.base == "softmax":
                raise ValueError("base='softmax' needs (N, C) multi-class logits; use base 'sigmoid' or 'focal' for binary")
            loss = self._elementwise(logits, target)
        elif self.base == "softmax":
            loss = F.cross_entropy(logits, target, reduction="none")
        else:
            one_hot = F.one_hot(target, logits.shape[1]).to(logits.dtype)
            loss = self._elementwise(logits, one_hot).sum(dim=1)
        return reduce(loss * weights, self.reduction)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, base={self.base!r}, gamma={self.gamma}, {super().extra_repr()}"
