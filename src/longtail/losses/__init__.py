"""Losses for imbalanced data, as ``torch.nn.Module`` objects.

This package imports torch; import it only where a torch model is trained.
Every loss takes ``reduction`` in {'mean', 'sum', 'none'} and works on
multi-class ((N, C) logits, (N,) class indices) and, where it applies, binary
((N,) logits, (N,) 0/1 targets) or multi-label ((N, C), (N, C)) inputs.
"""

from longtail.losses.class_balanced import ClassBalancedLoss
from longtail.losses.cross_entropy import BalancedSoftmaxLoss, LogitAdjustedLoss, WeightedCrossEntropy
from longtail.losses.focal import FocalLoss
from longtail.losses.frequency import StreamingFrequencyEstimator
from longtail.losses.ips import IPSLoss
from longtail.losses.ldam import LDAMLoss
from longtail.losses.sampled_softmax import SampledSoftmaxLoss

__all__ = [
    "BalancedSoftmaxLoss",
    "ClassBalancedLoss",
    "FocalLoss",
    "IPSLoss",
    "LDAMLoss",
    "LogitAdjustedLoss",
    "SampledSoftmaxLoss",
    "StreamingFrequencyEstimator",
    "WeightedCrossEntropy",
]
