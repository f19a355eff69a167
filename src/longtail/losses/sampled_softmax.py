"""In-batch sampled softmax for retrieval, with logQ correction (Yi et al. 2019)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from longtail.losses._common import ReducedLoss, reduce
from longtail.losses.frequency import StreamingFrequencyEstimator
from longtail.weights import validate_counts


class SampledSoftmaxLoss(ReducedLoss):
    """Softmax over in-batch candidates: row i's positive competes with the other rows' items.

    ``forward(logits (B, M), target (B,), item_ids (M,))``: ``logits[i, j]`` scores
    query i against in-batch item ``item_ids[j]`` (usually M = B and
    ``target = arange(B)``); ``target[i]`` is the column of row i's positive.

    In-batch negatives are drawn in proportion to popularity, which over-penalises
    popular items. The logQ correction subtracts ``log q(item_ids[j])`` from column j
    (after dividing by ``temperature``), where ``q`` comes from ``item_counts``
    (indexed by item id) or, without counts, from a
    :class:`StreamingFrequencyEstimator` updated on every training-mode call.

    Columns holding the same item as row i's positive (other than the positive
    itself) are masked out: that item is not a negative of itself, and keeping
    the copies would push its score down. ``mask_duplicates=False`` keeps them.
    """

    def __init__(
        self,
        item_counts=None,
        *,
        logq_correction: bool = True,
        temperature: float = 1.0,
        estimator: StreamingFrequencyEstimator | None = None,
        mask_duplicates: bool = True,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction=reduction)
        if not float(temperature) > 0:
            raise ValueError(f"temperature must be > 0, got {temperature}; 1.0 leaves the logits as they are")
        if item_counts is not None and estimator is not None:
            raise ValueError("pass item_counts or estimator, not both; counts give fixed probabilities")
        self.temperature = float(temperature)
        self.logq_correction = bool(logq_correction)
        self.mask_duplicates = bool(mask_duplicates)
        log_q = None
        if item_counts is not None:
            counts = validate_counts(item_counts, "item_counts")
            with np.errstate(divide="ignore"):
                log_q = torch.from_numpy(np.log(counts / counts.sum()))
        self.register_buffer("log_q", log_q)
        needs_estimator = self.logq_correction and item_counts is None
        self.estimator = (estimator or StreamingFrequencyEstimator()) if needs_estimator else estimator
        self.step = 0

    def _log_q(self, item_ids: torch.Tensor) -> torch.Tensor:
        if self.log_q is None:
            if self.training:
                self.estimator.update(item_ids, self.step)
                self.step += 1
            return torch.from_numpy(np.log(self.estimator.probability(item_ids)))
        ids = item_ids.detach().cpu()
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= self.log_q.numel()):
            raise ValueError(
                f"item_ids range [{int(ids.min())}, {int(ids.max())}] exceeds item_counts (length {self.log_q.numel()}); "
                "index items 0..n_items-1 and pass one count per item"
            )
        log_q = self.log_q.cpu()[ids]
        if bool(torch.isinf(log_q).any()):
            bad = int(ids[torch.isinf(log_q)][0])
            raise ValueError(f"item_counts is 0 for in-batch item {bad}; count items over the data the batches come from")
        return log_q

    def forward(self, logits: torch.Tensor, target: torch.Tensor, item_ids: torch.Tensor) -> torch.Tensor:
        """Sampled softmax loss of each row's positive against the in-batch items."""
        if logits.ndim != 2 or target.shape != (logits.shape[0],) or item_ids.shape != (logits.shape[1],):
            raise ValueError(
                f"expected logits (B, M), target (B,), item_ids (M,); got {tuple(logits.shape)}, "
                f"{tuple(target.shape)}, {tuple(item_ids.shape)}"
            )
        if target.is_floating_point() or (target.numel() and (int(target.min()) < 0 or int(target.max()) >= logits.shape[1])):
            raise ValueError(f"target must hold integer column indices in [0, {logits.shape[1]})")
        target = target.long()
        scores = logits / self.temperature
        if self.logq_correction:
            scores = scores - self._log_q(item_ids).to(device=logits.device, dtype=logits.dtype)[None, :]
        if self.mask_duplicates:
            item_ids = item_ids.to(logits.device)
            same_item = item_ids[None, :] == item_ids[target][:, None]
            not_positive = torch.arange(logits.shape[1], device=logits.device)[None, :] != target[:, None]
            scores = scores.masked_fill(same_item & not_positive, float("-inf"))
        return reduce(F.cross_entropy(scores, target, reduction="none"), self.reduction)

    def extra_repr(self) -> str:
        source = "counts" if self.log_q is not None else ("streaming" if self.estimator is not None else "none")
        return (
            f"logq_correction={self.logq_correction} ({source}), temperature={self.temperature}, "
            f"mask_duplicates={self.mask_duplicates}, {super().extra_repr()}"
        )
