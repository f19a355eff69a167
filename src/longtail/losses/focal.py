"""Focal loss (Lin et al. 2017) in its sigmoid and softmax forms."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from longtail.losses._common import MULTICLASS, ReducedLoss, as_tensor, input_form, reduce


def check_gamma(gamma: float) -> float:
    """Return ``gamma`` as a float if it is >= 0."""
    gamma = float(gamma)
    if not gamma >= 0:
        raise ValueError(f"gamma must be >= 0, got {gamma}; 0 gives cross-entropy, 2 is the usual choice")
    return gamma


def _modulate(loss: torch.Tensor, log_one_minus_pt: torch.Tensor, gamma: float) -> torch.Tensor:
    # (1 - p_t)**gamma computed as exp(gamma * log(1 - p_t)): finite gradients even when
    # p_t rounds to 1 and gamma < 1, where the power form gives 0 * inf.
    if gamma == 0:
        return loss
    return loss * torch.exp(gamma * log_one_minus_pt)


def sigmoid_focal(logits: torch.Tensor, target: torch.Tensor, gamma: float) -> torch.Tensor:
    """Element-wise sigmoid focal loss ``-(1 - p_t)**gamma log p_t`` for targets in [0, 1]."""
    loss = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    # 1 - p_t = p (1 - t) + (1 - p) t, in log space; log(0) = -inf drops the term for hard targets.
    log_one_minus_pt = torch.logaddexp(
        F.logsigmoid(logits) + torch.log1p(-target), F.logsigmoid(-logits) + torch.log(target)
    )
    return _modulate(loss, log_one_minus_pt, gamma)


def softmax_focal(logits: torch.Tensor, target: torch.Tensor, gamma: float) -> torch.Tensor:
    """Per-row softmax focal loss ``-(1 - p_y)**gamma log p_y`` for class indices ``target``."""
    log_normaliser = torch.logsumexp(logits, dim=1)
    log_py = logits.gather(1, target[:, None]).squeeze(1) - log_normaliser
    others = logits.masked_fill(F.one_hot(target, logits.shape[1]).bool(), float("-inf"))
    log_one_minus_py = torch.logsumexp(others, dim=1) - log_normaliser
    return _modulate(-log_py, log_one_minus_py, gamma)


class FocalLoss(ReducedLoss):
    """Focal loss: cross-entropy scaled by ``(1 - p_t)**gamma`` to focus on hard examples.

    * Binary ((N,) logits, float targets) and multi-label ((N, C), float targets):
      the sigmoid form, equal to ``torchvision.ops.sigmoid_focal_loss``; ``alpha``
      is a float in [0, 1] weighting positives by ``alpha`` and negatives by
      ``1 - alpha`` (None: no alpha weighting, torchvision's ``alpha=-1``).
    * Multi-class ((N, C) logits, long targets): the softmax form
      ``-alpha_y (1 - p_y)**gamma log p_y``; ``alpha`` is None or one value per class.

    ``weight`` holds class weights as in :class:`WeightedCrossEntropy`;
    ``reduction='mean'`` is the plain mean over elements, as in torchvision.
    """

    def __init__(self, gamma: float = 2.0, alpha=None, weight=None, reduction: str = "mean") -> None:
        super().__init__(weight=weight, reduction=reduction)
        self.gamma = check_gamma(gamma)
        if alpha is None or isinstance(alpha, int | float):
            if alpha is not None and not 0.0 <= alpha <= 1.0:
                raise ValueError(f"alpha must be in [0, 1], got {alpha}; 0.25 is the paper's choice")
            self.alpha = None if alpha is None else float(alpha)
            self.register_buffer("class_alpha", None)
        else:
            self.alpha = None
            self.register_buffer("class_alpha", as_tensor(alpha, "alpha"))

    def _alpha(self, form: str, logits: torch.Tensor, target: torch.Tensor):
        if form == MULTICLASS:
            if self.alpha is not None:
                raise ValueError("for multi-class logits alpha must be one value per class (or None), not a float")
            if self.class_alpha is None:
                return None
            if self.class_alpha.numel() != logits.shape[1]:
                raise ValueError(f"alpha has {self.class_alpha.numel()} values but logits have {logits.shape[1]} columns")
            return self.class_alpha.to(device=logits.device, dtype=logits.dtype)[target]
        if self.class_alpha is not None:
            raise ValueError("for binary or multi-label logits alpha must be a float in [0, 1] (or None)")
        if self.alpha is None:
            return None
        return self.alpha * target + (1 - self.alpha) * (1 - target)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Focal loss of ``logits`` against ``target`` (see the class docstring for shapes)."""
        form, target = input_form(logits, target)
        if form == MULTICLASS:
            loss = softmax_focal(logits, target, self.gamma)
        else:
            loss = sigmoid_focal(logits, target, self.gamma)
        for factor in (self._alpha(form, logits, target), self._weights(form, target, logits)):
            if factor is not None:
                loss = loss * factor
        return reduce(loss, self.reduction)

    def extra_repr(self) -> str:
        alpha = self.alpha if self.class_alpha is None else self.class_alpha.tolist()
        return f"gamma={self.gamma}, alpha={alpha}, {super().extra_repr()}"

