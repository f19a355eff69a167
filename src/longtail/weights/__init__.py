"""Class and row weights for imbalanced data: numpy only, no torch.

``class_weights(counts, scheme)`` turns class counts into per-class weights;
``sample_weights``, ``time_decay_weights`` and ``region_weights`` give per-row
weights for models that accept ``sample_weight``.
"""

from longtail.weights.class_weights import DEFAULT_BETA, SCHEMES, class_weights, validate_beta, validate_counts
from longtail.weights.sample_weights import region_weights, sample_weights, time_decay_weights

__all__ = [
    "DEFAULT_BETA",
    "SCHEMES",
    "class_weights",
    "region_weights",
    "sample_weights",
    "time_decay_weights",
    "validate_beta",
    "validate_counts",
]
