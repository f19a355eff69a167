"""Torch pieces shared by the embedding and fine-tuned categorisers: the head, the loss, the epoch loop."""

from __future__ import annotations

import math
from contextlib import nullcontext
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from longtail.models.runtime import minibatches, training_progress


class NormedLinear(nn.Module):
    """Cosine logits ``<x / |x|, w_c / |w_c|>`` in [-1, 1]: the layer LDAM's margins are defined for (Cao et al.)."""

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(in_features, out_features).uniform_(-1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Cosine of each row with each class vector."""
        return F.normalize(x, dim=1) @ F.normalize(self.weight, dim=0)


def make_head(dim: int, n_classes: int, hidden: int = 0, dropout: float = 0.0, cosine: bool = False) -> nn.Module:
    """A linear (``hidden=0``) or one-hidden-layer MLP head; cosine output layer for LDAM."""
    last = NormedLinear if cosine else nn.Linear
    if hidden == 0:
        return nn.Sequential(nn.Dropout(dropout), last(dim, n_classes))
    return nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Dropout(dropout), last(hidden, n_classes))


def make_loss(strategy: Any, class_counts: np.ndarray) -> tuple[nn.Module, float]:
    """The strategy's multiclass loss (plain cross-entropy without one) and the scale to put on cosine logits.

    LDAM is trained on cosine logits it scales by its own ``s``; scores are
    then ``s * cosine`` so that their softmax is the model's probability.
    """
    from longtail.losses import LDAMLoss, WeightedCrossEntropy

    counts = np.maximum(np.asarray(class_counts, dtype=np.float64), 1.0)
    loss = WeightedCrossEntropy() if strategy is None else strategy.make_loss("multiclass", class_counts=counts)
    return loss, (float(loss.s) if isinstance(loss, LDAMLoss) else 1.0)


def autocast(device: str, enabled: bool) -> Any:
    """bf16 autocast on CUDA when ``enabled`` (no loss scaling needed), nothing elsewhere."""
    if enabled and device.startswith("cuda"):
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return nullcontext()


def run_epochs(
    batch_loss: Callable[[np.ndarray], torch.Tensor],
    n_rows: int,
    *,
    epochs: int,
    batch_size: int,
    optimizer: torch.optim.Optimizer,
    loss_fn: nn.Module,
    generator: torch.Generator,
    progress: bool,
    description: str,
    scheduler: Any = None,
    clip_norm: float | None = None,
) -> list[float]:
    """``epochs`` passes over shuffled minibatches; ``batch_loss(rows)`` gives a batch's loss.

    Tells the loss the epoch first (LDAM's deferred re-weighting switches on
    there). Returns the mean loss of each epoch.
    """
    n_batches = math.ceil(n_rows / batch_size)
    params = [p for group in optimizer.param_groups for p in group["params"]]
    history = []
    with training_progress(epochs * n_batches, description, progress) as advance:
        for epoch in range(epochs):
            if hasattr(loss_fn, "set_epoch"):
                loss_fn.set_epoch(epoch, epochs)
            total = None
            for rows in minibatches(n_rows, batch_size, generator):
                loss = batch_loss(rows)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if clip_norm is not None:
                    nn.utils.clip_grad_norm_(params, clip_norm)
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                total = loss.detach() if total is None else total + loss.detach()
                advance()
            history.append(float(total) / n_batches)
    return history


def warmup_linear_schedule(optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int) -> Any:
    """Learning rate rising linearly over ``warmup_steps``, then falling linearly to 0 at ``total_steps``."""

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
