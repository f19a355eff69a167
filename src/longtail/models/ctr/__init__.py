"""Click / purchase models for impressions: DeepFM (and its plain-FM form) and a LightGBM baseline.

Every model takes ``X``, an (n, F) int64 matrix of field codes (0 = unknown),
and 0/1 labels, ``fit(X, y, strategy=..., item_text=..., item_field=...,
propensity=..., valid=...)``, and gives ``predict_proba(X) -> (n, 2)``,
``decision_function(X)`` (logits) and ``predict(X)`` at the fitted threshold.
Importing this package imports neither torch nor lightgbm.
"""

from longtail.models.ctr.binary import BinaryModel, PostHoc
from longtail.models.ctr.deepfm import DeepFM
from longtail.models.ctr.fields import FieldCodes
from longtail.models.ctr.gbm import GBMClassifier

__all__ = ["BinaryModel", "DeepFM", "FieldCodes", "GBMClassifier", "PostHoc"]
