"""GBMClassifier: a LightGBM baseline for impressions, with the strategy as weights or a prior offset."""

from __future__ import annotations

from typing import Any

import numpy as np

from longtail.errors import LongtailError
from longtail.models.ctr.binary import BinaryModel, TrainingRows, check_item_field, check_text, row_propensity
from longtail.models.ctr.fields import FieldCodes
from longtail.models.persist import register_model
from longtail.models.recommend.base import check_count, check_positive


def import_lightgbm() -> Any:
    """The lightgbm module, or a LongtailError saying how to install it."""
    try:
        import lightgbm
    except ImportError as exc:
        raise LongtailError("model gbm needs LightGBM, which is not installed; run pip install longtail[gbm]") from exc
    return lightgbm


def strategy_weights(strategy: Any, rows: TrainingRows, item_field: int | None) -> tuple[np.ndarray | None, float]:
    """Per-row sample weights and a training logit offset standing in for the strategy's loss.

    Class-weighted losses become per-class weights (scaled so a negative row
    weighs 1, which makes them LightGBM's ``scale_pos_weight``); IPS weights
    each row by ``1 / max(propensity, clip)``; the logit-adjusted loss trains
    with ``tau * log(n_pos / n_neg)`` added to every raw score (LightGBM's
    ``init_score``) and predicts without it. LightGBM otherwise starts from
    that same prior log-odds, so the trees come out unchanged and the result
    is exactly the post-hoc shift by ``-tau * log(n_pos / n_neg)``. Other
    losses (focal) have no tree counterpart and are refused.
    """
    if strategy is None or strategy.loss is None:
        return None, 0.0
    name = strategy.loss.name
    params = strategy.effective_params("loss")
    if name == "logit-adjusted":
        return None, float(params["tau"] * np.log(rows.counts[1] / rows.counts[0]))
    if name == "ips":
        return 1.0 / np.maximum(row_propensity(rows, item_field), float(params["clip"])), 0.0
    per_class = strategy.class_weights(rows.counts)
    if per_class is None:
        raise LongtailError(
            f"strategy '{strategy.name}' uses loss {name}, which model 'gbm' cannot train; "
            "use weighted-ce, cb-focal, logit-adjust or ips"
        )
    return (per_class / per_class[0])[rows.y], 0.0


@register_model
class GBMClassifier(BinaryModel):
    """Gradient-boosted trees (LightGBM) on the field codes as categorical features, plus item text columns.

    Codes seen fewer than ``min_count`` times share category 0. The
    strategy's sampler resamples rows, its loss becomes sample weights or a
    prior offset (see :func:`strategy_weights`), its adjuster is fitted on
    validation rows. Saved as LightGBM's text model inside the safetensors
    file (no pickle).
    """

    __module__ = "longtail.models.ctr"
    model_name = "gbm"
    param_names = ("n_estimators", "learning_rate", "num_leaves", "min_child_samples", "min_count", "seed", "n_jobs")

    def __init__(
        self,
        n_estimators: int = 200,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        min_child_samples: int = 20,
        min_count: int = 2,
        seed: int = 0,
        n_jobs: int = 0,
    ) -> None:
        self.n_estimators = check_count(n_estimators, "n_estimators")
        self.learning_rate = check_positive(learning_rate, "learning_rate")
        self.num_leaves = check_count(num_leaves, "num_leaves", minimum=2)
        self.min_child_samples = check_count(min_child_samples, "min_child_samples")
        self.min_count = check_count(min_count, "min_count")
        self.seed = check_count(seed, "seed", minimum=0)
        self.n_jobs = check_count(n_jobs, "n_jobs", minimum=0)
        self.booster_: Any = None
        self.codes_: FieldCodes | None = None
        self.item_field_: int | None = None
        self.text_: np.ndarray | None = None

    def lightgbm_params(self) -> dict[str, Any]:
        """The parameters handed to ``lightgbm.train``."""
        return {
            "objective": "binary",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_child_samples": self.min_child_samples,
            "seed": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": self.n_jobs,
            "verbose": -1,
        }

    def fit(
        self,
        X: Any,
        y: Any,
        *,
        strategy: Any = None,
        item_text: Any = None,
        item_field: int | None = None,
        propensity: Any = None,
        valid: tuple[Any, Any] | None = None,
        progress: bool = False,
    ) -> "GBMClassifier":
        """Train on field codes ``X`` (n, F) and 0/1 labels ``y`` (arguments as :meth:`DeepFM.fit`)."""
        from longtail.models.runtime import training_progress

        lgb = import_lightgbm()
        rows = self._begin_fit(X, y, strategy, propensity, valid)
        self.item_field_ = check_item_field(item_field, rows.X.shape[1])
        self.text_ = check_text(item_text, self.item_field_)
        self.codes_ = FieldCodes.fit(rows.X, self.min_count)
        weight, offset = strategy_weights(strategy, rows, self.item_field_)
        data = lgb.Dataset(
            self._features(rows.X), label=rows.y, weight=weight,
            init_score=None if offset == 0.0 else np.full(rows.y.size, offset),
            categorical_feature=list(range(self.codes_.n_fields)), free_raw_data=True,
        )
        with training_progress(self.n_estimators, self.model_name, progress) as advance:
            self.booster_ = lgb.train(
                self.lightgbm_params(), data, num_boost_round=self.n_estimators, callbacks=[lambda env: advance()]
            )
        self._finish_fit(strategy, rows)
        return self

    def _features(self, X: np.ndarray) -> np.ndarray:
        """Categorical rows, then the item's text vector when the model has text."""
        columns = self.codes_.transform(X).astype(np.float64)
        if self.text_ is None:
            return columns
        n_text = self.text_.shape[0] - 1
        items = X[:, self.item_field_]
        return np.hstack([columns, self.text_[np.where(items < n_text, items, n_text)]])

    def _raw_logits(self, X: np.ndarray) -> np.ndarray:
        if self.booster_ is None:
            raise ValueError("GBMClassifier is not fitted; call fit(X, y) first")
        return np.asarray(self.booster_.predict(self._features(X), raw_score=True), dtype=np.float64)

    # -------------------------------------------------------------- persistence
    def _export(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        config = {
            "params": self.get_params(),
            "n_fields": self.codes_.n_fields,
            "item_field": self.item_field_,
            **self._export_base(),
        }
        booster = np.frombuffer(self.booster_.model_to_string().encode("utf-8"), dtype=np.uint8)
        tensors = {**self.codes_.to_tensors(), "booster": booster}
        if self.text_ is not None:
            tensors["text"] = self.text_
        return config, tensors

    @classmethod
    def _restore(cls, config: dict[str, Any], tensors: dict[str, np.ndarray]) -> "GBMClassifier":
        lgb = import_lightgbm()
        model = cls(**config["params"])
        model.codes_ = FieldCodes.from_tensors(tensors, int(config["n_fields"]))
        model.item_field_ = config["item_field"]
        model.text_ = tensors.get("text")
        model.booster_ = lgb.Booster(model_str=bytes(tensors["booster"]).decode("utf-8"))
        model._restore_base(config)
        return model
