"""Layer 0 imbalance profiling: statistics per dimension, drift and advice.

``profile_dataset(ds)`` measures a Dataset; the statistics are plain
functions over a vector of group counts. Rendering (``longtail.profile.report``)
and plots (``longtail.profile.plots``) are imported only when used.
"""

from longtail.profile.advice import Advice, advise
from longtail.profile.dimensions import GroupCounts, dimension_counts
from longtail.profile.drift import Drift, MixDrift, compute_drift
from longtail.profile.profiler import DimensionProfile, Profile, profile_dataset
from longtail.profile.stats import (
    effective_classes,
    gini,
    imbalance_ratio,
    js_divergence,
    normalized_entropy,
    shannon_entropy,
    summarize,
    top20_share,
    top_share,
)

__all__ = [
    "Advice",
    "DimensionProfile",
    "Drift",
    "GroupCounts",
    "MixDrift",
    "Profile",
    "advise",
    "compute_drift",
    "dimension_counts",
    "effective_classes",
    "gini",
    "imbalance_ratio",
    "js_divergence",
    "normalized_entropy",
    "profile_dataset",
    "shannon_entropy",
    "summarize",
    "top20_share",
    "top_share",
]
