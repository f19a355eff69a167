"""Post-hoc adjusters: change a trained model's scores, not the model.

Each has ``fit(scores, y)`` on validation data and ``transform(scores)``;
the re-ranker has ``fit(item_popularity)`` and ``rerank(scores)``, also
reachable as ``transform``. Using one before ``fit`` raises
:class:`NotFittedError`.
"""

from longtail.adjust._base import NotFittedError
from longtail.adjust.prior import LogitAdjuster
from longtail.adjust.rerank import ExposureReranker
from longtail.adjust.temperature import TemperatureScaler
from longtail.adjust.threshold import ThresholdMover

__all__ = ["ExposureReranker", "LogitAdjuster", "NotFittedError", "TemperatureScaler", "ThresholdMover"]
