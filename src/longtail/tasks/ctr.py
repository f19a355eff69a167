"""The ``ctr`` task: will an impression be clicked (or bought)? Judged on accuracy, calibration and the tail.

Impressions: every (user, item, session) with at least one event of the
lowest level (a view) is one impression, placed at its first view; its label
is 1 when the same user reached the target event with the same item in the
same session. ``ctx.params["target"]`` names the target: ``"click"`` (the
default: the event called click, else the level just above the view) or
``"purchase"`` (the event called purchase, else the highest level), or any
event name above the lowest. ``ctx.params["event_order"]`` (a list, the
impression event first) re-orders or picks the events for the task, e.g.
``[purchase, return]`` to predict returns of purchases; rows with other
events are left out and counted. Sessions are the log's ``session_id``, or,
without one (or with ``ctx.params["sessions"] = "gap"``), runs of a user's
events with gaps of at most ``ctx.params["session_gap_minutes"]`` (30).
Target events in sessions where the user never viewed that item are not
impressions; they are counted (``n_target_events_without_view``). Repeated
views in a session count once (``n_repeat_views``).

Split: global temporal split, the last 20% of the interactions are test and
the 10% before them validation (the adjust slot's rows); an impression
belongs to the part of its first view, and its label counts its session's
events even when they fall after the cut. Split options: ``test_size``
(0.2), ``valid_size`` (0.1; 0 for no validation part) and ``cut`` (a date or
datetime where the test part starts, instead of ``test_size``).

Features: user, item, category (leaf), region, hour and day of week of the
first view, as codes learnt on the training impressions (unknown values: 0),
plus the item's text vector (``ctx.embed`` of the title, else TF-IDF) and,
for IPS, each training impression's exposure propensity from the synthetic
truth when there is one (item popularity otherwise).

Metrics: roc_auc, pr_auc, log_loss, ece, precision / recall / f1 at the
model's threshold, positive_rate (test labels) and predicted_positive_rate;
recall and pr_auc per item-popularity group (head / torso / tail: a third
of the training impressions each, items never seen in training being tail),
per region and per top category; ``tail_recall`` is the recall of the
positives on tail items.
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from longtail.data import columns as C
from longtail.data.splits import COLD_ITEM, COLD_USER, Split, temporal_split
from longtail.errors import LongtailError
from longtail.tasks.base import MetricRow, OptionError, TrialContext, check_datetime, check_fraction

MODEL_NAMES = ("deepfm", "fm", "gbm", "deepfm-ensemble")
POPULARITY_GROUPS = ("head", "torso", "tail")
TEST_SIZE, VALID_SIZE = 0.2, 0.1
SESSION_GAP_MINUTES = 30
SESSION_MODES = ("auto", "gap")
#: the TrialContext.params keys the task reads
PARAM_NAMES = ("target", "event_order", "sessions", "session_gap_minutes")
UNKNOWN = "unknown"
PARTS = ("train", "valid", "test")
# each ensemble member trains on a balanced sample, a small share of the rows: more epochs of smaller batches
ENSEMBLE_MEMBER_DEFAULTS = {"epochs": 10, "batch_size": 256}
DEFAULT_ENSEMBLE, DEFAULT_MEMBERS = "easy", 5


# --------------------------------------------------------------- impressions
def target_level(ds: Any, target: str | None) -> int:
    """The event level whose reaching makes an impression positive (see the module docstring)."""
    order = ds.event_order
    target = target or "click"
    if target in order:
        level = order.index(target)
    elif target == "click":
        level = 1
    elif target == "purchase":
        level = len(order) - 1
    else:
        raise LongtailError(
            f"target '{target}' is not an event of dataset {ds.name}; use click, purchase or one of {', '.join(order[1:])}"
        )
    if level == 0:
        raise LongtailError(f"target '{target}' is the impression event of dataset {ds.name}; choose a higher event")
    return level


def reorder_events(ds: Any, parts: pl.Series, order: Any) -> tuple[Any, pl.Series, int]:
    """The log under another event order (lowest = the impression), its parts, and the rows left out.

    Rows whose event is not in ``order`` are dropped and counted.
    """
    if order is None:
        return ds, parts, 0
    if isinstance(order, str) or len(order) < 2 or len(set(order)) != len(order) or not set(order) <= set(ds.event_order):
        raise LongtailError(
            f"event_order {order!r} must list two or more different events of dataset {ds.name} "
            f"({', '.join(ds.event_order)}), the impression event first"
        )
    kept = ds.interactions.get_column(C.EVENT).is_in(list(order))
    dropped = int((~kept).sum())
    return ds.replace(interactions=ds.interactions.filter(kept), event_order=tuple(order)), parts.filter(kept), dropped


def _sessions(inter: pl.DataFrame, gap_minutes: float, mode: str) -> pl.Expr:
    """Session key of each row: its session_id (mode "auto" when the log has one), else its run of events
    without a gap over ``gap_minutes``."""
    if mode not in SESSION_MODES:
        raise LongtailError(f"sessions '{mode}' is unknown; use one of {', '.join(SESSION_MODES)}")
    if mode == "auto" and C.SESSION_ID in inter.columns and inter.get_column(C.SESSION_ID).null_count() == 0:
        return pl.col(C.SESSION_ID).cast(pl.String)
    new_session = (pl.col(C.TIMESTAMP).diff().over(C.USER_ID).dt.total_microseconds() > gap_minutes * 60e6).fill_null(False)
    return new_session.cum_sum().over(C.USER_ID).cast(pl.String)


def build_impressions(
    ds: Any, parts: pl.Series, level: int, gap_minutes: float, sessions: str = "auto"
) -> tuple[pl.DataFrame, dict[str, int]]:
    """One row per impression: user, item, first-view timestamp and region, part, label; plus counts.

    ``parts`` gives the split part (0 train, 1 valid, 2 test) of every interaction.
    """
    keep = [c for c in (C.USER_ID, C.ITEM_ID, C.TIMESTAMP, C.REGION, C.SESSION_ID) if c in ds.interactions.columns]
    inter = (
        ds.interactions.with_columns(ds.event_rank().alias("_rank"), parts.alias("_part"), pl.int_range(pl.len()).alias("_row"))
        .select(*keep, "_rank", "_part", "_row")
        .sort(C.USER_ID, C.TIMESTAMP, "_row")
    )
    inter = inter.with_columns(_sessions(inter, gap_minutes, sessions).alias("_session"))
    region = [pl.col(C.REGION).filter(pl.col("_rank") == 0).first().alias(C.REGION)] if C.REGION in inter.columns else []
    groups = inter.group_by(C.USER_ID, C.ITEM_ID, "_session").agg(
        (pl.col("_rank") == 0).sum().alias("_views"),
        (pl.col("_rank") >= level).sum().alias("_targets"),
        pl.col(C.TIMESTAMP).filter(pl.col("_rank") == 0).first().alias(C.TIMESTAMP),
        pl.col("_part").filter(pl.col("_rank") == 0).first().alias("_part"),
        pl.col("_row").filter(pl.col("_rank") == 0).first().alias("_row"),
        *region,
    )
    viewed = groups.filter(pl.col("_views") > 0)
    counts = {
        "n_repeat_views": int(viewed.get_column("_views").sum() - viewed.height),
        "n_target_events_without_view": int(groups.filter(pl.col("_views") == 0).get_column("_targets").sum()),
    }
    impressions = viewed.sort("_row").select(
        C.USER_ID, C.ITEM_ID, C.TIMESTAMP, *([C.REGION] if region else []), "_part",
        (pl.col("_targets") > 0).cast(pl.Int64).alias("label"),
    )
    return impressions, counts


def _region_column(impressions: pl.DataFrame, ds: Any) -> pl.DataFrame:
    """Impressions with a region: their own, else the user's from the users table (unchanged if neither)."""
    if C.REGION in impressions.columns:
        return impressions
    if ds.users is not None and C.REGION in ds.users.columns:
        return impressions.join(ds.users.select(C.USER_ID, C.REGION), on=C.USER_ID, how="left", maintain_order="left")
    return impressions


# ------------------------------------------------------------------ features
@dataclass(frozen=True)
class Encoded:
    """Impressions of every part as model inputs."""

    fields: tuple[str, ...]
    vocabularies: dict[str, list[Any]]  # field -> values; a value's code is its position + 1
    X: dict[str, np.ndarray]  # part -> (n, F) codes
    y: dict[str, np.ndarray]
    item_codes: dict[str, np.ndarray]  # part -> item code of each row (for groups and propensities)
    item_ids: np.ndarray  # item code - 1 -> item id
    n_catalogue: int
    frames: dict[str, pl.DataFrame]  # part -> the impressions (for per-group metrics)


def _codes(values: pl.Series, vocabulary: pl.Series) -> np.ndarray:
    """1-based position of each value in ``vocabulary``; 0 for values outside it (or null)."""
    lookup = pl.DataFrame({"_v": vocabulary, "_code": np.arange(1, vocabulary.len() + 1, dtype=np.int64)})
    joined = pl.DataFrame({"_v": values}).join(lookup, on="_v", how="left", maintain_order="left")
    return joined.get_column("_code").fill_null(0).to_numpy()


def _with_category(impressions: pl.DataFrame, ds: Any) -> pl.DataFrame:
    if C.CATEGORY not in ds.items.columns:
        return impressions
    categories = ds.items.select(C.ITEM_ID, pl.col(C.CATEGORY).alias("_category"), ds.top_category().alias("_category_top"))
    return impressions.join(categories, on=C.ITEM_ID, how="left", maintain_order="left")


def encode(impressions: pl.DataFrame, ds: Any) -> Encoded:
    """Codes of every field, learnt on the training impressions (the item field on catalogue + training items)."""
    frame = _with_category(_region_column(impressions, ds), ds).with_columns(
        (pl.col(C.TIMESTAMP).dt.hour().cast(pl.Int64) + 1).alias("_hour"),
        pl.col(C.TIMESTAMP).dt.weekday().cast(pl.Int64).alias("_dow"),
    )
    frames = {name: frame.filter(pl.col("_part") == code) for code, name in enumerate(PARTS)}
    train = frames["train"]
    catalogue = ds.items.get_column(C.ITEM_ID)
    extra = train.get_column(C.ITEM_ID).unique().sort()
    items = pl.concat([catalogue, extra.filter(~extra.is_in(catalogue.implode()))])
    vocabularies = {
        "user": (C.USER_ID, train.get_column(C.USER_ID).unique().sort()),
        "item": (C.ITEM_ID, items),
    }
    if "_category" in frame.columns:
        vocabularies["category"] = ("_category", ds.items.get_column(C.CATEGORY).drop_nulls().unique().sort())
    if C.REGION in frame.columns:
        vocabularies["region"] = (C.REGION, train.get_column(C.REGION).drop_nulls().unique().sort())
    vocabularies["hour"] = ("_hour", pl.Series(np.arange(1, 25, dtype=np.int64)))
    vocabularies["day_of_week"] = ("_dow", pl.Series(np.arange(1, 8, dtype=np.int64)))
    X, y, item_codes = {}, {}, {}
    for name, part in frames.items():
        X[name] = np.column_stack([_codes(part.get_column(column), vocab) for column, vocab in vocabularies.values()])
        y[name] = part.get_column("label").to_numpy()
        item_codes[name] = X[name][:, list(vocabularies).index("item")]
    values = {name: vocab.to_list() for name, (_, vocab) in vocabularies.items()}
    return Encoded(tuple(vocabularies), values, X, y, item_codes, items.to_numpy(), catalogue.len(), frames)


def item_text_table(ds: Any, encoded: Encoded, ctx: TrialContext) -> np.ndarray | None:
    """Text vector per item code (row 0, unknown items: zeros), or None when items have no titles."""
    from longtail.tasks.recommend import item_text_vectors

    titles = ds.items.get_column(C.TITLE).fill_null("").cast(pl.String).to_list()
    texts = titles + [""] * (encoded.item_ids.size - encoded.n_catalogue)
    vectors = item_text_vectors(texts, ctx)
    if vectors is None:
        return None
    return np.vstack([np.zeros((1, vectors.shape[1]), dtype=np.float32), vectors])


def truth_propensity(ds: Any, encoded: Encoded) -> np.ndarray | None:
    """The logging policy's exposure propensity of each training impression's item, relative to the most exposed item."""
    if ds.truth is None or not hasattr(ds.truth, "exposure_propensity"):
        return None
    try:
        catalogue = np.asarray(ds.truth.exposure_propensity(encoded.item_ids[: encoded.n_catalogue]), dtype=np.float64)
    except ValueError:  # no logging policy attached, or items the truth does not know
        return None
    per_code = np.concatenate([[0.0], catalogue / catalogue.max(), np.zeros(encoded.item_ids.size - encoded.n_catalogue)])
    propensity = per_code[encoded.item_codes["train"]]
    return propensity if (propensity > 0).all() else None


# ------------------------------------------------------------------- metrics
def popularity_groups(encoded: Encoded) -> np.ndarray:
    """head / torso / tail of every item code by its training impressions (a third each; unseen items are tail)."""
    from longtail.metrics import popularity_buckets

    counts = np.bincount(encoded.item_codes["train"], minlength=encoded.item_ids.size + 1).astype(np.float64)
    counts[0] = 0.0
    return np.asarray(POPULARITY_GROUPS)[popularity_buckets(counts, n_buckets=3)]


def _recall(y: np.ndarray, decided: np.ndarray) -> float:
    return float(decided[y == 1].mean())


def decision_rows(y: np.ndarray, decided: np.ndarray) -> list[MetricRow]:
    """Precision, recall and F1 of the positive class, ``2 TP / (2 TP + FP + FN)``."""
    tp = float(decided[y == 1].sum())
    fp, fn = float(decided.sum()) - tp, float(y.sum()) - tp
    return [
        MetricRow("f1", 2 * tp / (2 * tp + fp + fn)),
        MetricRow("recall", tp / (tp + fn)),
        MetricRow("precision", tp / (tp + fp) if tp + fp else 0.0),
    ]


def overall_rows(y: np.ndarray, proba: np.ndarray, decided: np.ndarray, threshold: float) -> list[MetricRow]:
    """Accuracy, calibration and decision metrics over all test impressions."""
    from longtail import metrics as M

    return [
        MetricRow("roc_auc", M.roc_auc(y, proba)),
        MetricRow("pr_auc", M.pr_auc(y, proba)),
        MetricRow("log_loss", M.log_loss(y, proba)),
        MetricRow("ece", M.expected_calibration_error(y, proba)),
        *decision_rows(y, decided),
        MetricRow("positive_rate", float(y.mean())),
        MetricRow("predicted_positive_rate", float(decided.mean())),
        MetricRow("threshold", float(threshold)),
    ]


def group_rows(y: np.ndarray, proba: np.ndarray, decided: np.ndarray, groups: dict[str, np.ndarray]) -> list[MetricRow]:
    """Recall (groups with positives) and pr_auc (groups with both classes) per group of each dimension."""
    from longtail.metrics import pr_auc

    rows = []
    for dim, labels in groups.items():
        for group in np.unique(labels):
            mask = labels == group
            positives = int(y[mask].sum())
            rows.append(MetricRow("n_positives", float(positives), dim, str(group)))
            if positives:
                rows.append(MetricRow("recall", _recall(y[mask], decided[mask]), dim, str(group)))
            if 0 < positives < mask.sum():
                rows.append(MetricRow("pr_auc", pr_auc(y[mask], proba[mask]), dim, str(group)))
    return rows


def test_groups(encoded: Encoded) -> dict[str, np.ndarray]:
    """Group labels of every test impression: popularity, region and top category where known."""
    test = encoded.frames["test"]
    groups = {"popularity": popularity_groups(encoded)[encoded.item_codes["test"]]}
    if C.REGION in test.columns:
        groups["region"] = test.get_column(C.REGION).cast(pl.String).fill_null(UNKNOWN).to_numpy().astype(str)
    if "_category_top" in test.columns:
        groups["category_top"] = test.get_column("_category_top").cast(pl.String).fill_null(UNKNOWN).to_numpy().astype(str)
    return groups


def evaluate(model: Any, encoded: Encoded) -> list[MetricRow]:
    """Every metric of the task for the fitted ``model`` on the test impressions."""
    X, y = encoded.X["test"], encoded.y["test"]
    proba = model.predict_proba(X)[:, 1]
    decided = model.predict(X)
    groups = test_groups(encoded)
    rows = overall_rows(y, proba, decided, model.threshold_) + group_rows(y, proba, decided, groups)
    tail = (groups["popularity"] == "tail") & (y == 1)
    if tail.any():
        rows.append(MetricRow("tail_recall", float(decided[tail].mean())))
    return rows


# ---------------------------------------------------------------- models
def _accepted(cls: type) -> set[str]:
    return set(inspect.signature(cls).parameters) - {"device", "seed", "base_factory", "random_state"}


def _check_params(name: str, params: dict[str, Any], accepted: set[str] | frozenset[str]) -> None:
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise LongtailError(f"model '{name}' takes no parameter '{unknown[0]}'; it takes: {', '.join(sorted(accepted))}")


def _ensemble_class(kind: Any) -> type:
    from longtail.models.ensemble import BalancedBagging, EasyEnsemble, SelfPacedEnsemble

    classes = {"easy": EasyEnsemble, "bagging": BalancedBagging, "self-paced": SelfPacedEnsemble}
    if not isinstance(kind, str) or kind not in classes:
        raise OptionError("ensemble", f"{kind!r} is unknown; use one of {', '.join(classes)}")
    return classes[kind]


def model_param_names(name: str, params: dict[str, Any] | None = None) -> frozenset[str]:
    """The parameters model ``name`` takes (for deepfm-ensemble they depend on ``params["ensemble"]``).

    The seed and the device come from the trial, not from the parameters.
    """
    from longtail.models.ctr import DeepFM, GBMClassifier

    if name in ("deepfm", "fm"):
        return frozenset(_accepted(DeepFM) - {"deep"})
    if name == "gbm":
        return frozenset(_accepted(GBMClassifier))
    if name == "deepfm-ensemble":
        kind = (params or {}).get("ensemble", DEFAULT_ENSEMBLE)
        return frozenset(_accepted(DeepFM) | _accepted(_ensemble_class(kind)) | {"ensemble"})
    raise LongtailError(f"unknown model '{name}' for task ctr; choose one of {', '.join(MODEL_NAMES)}")


def build_model(name: str, ctx: TrialContext, model_params: dict[str, Any] | None = None) -> Any:
    """The model ``name`` with ``model_params``, seeded and placed by ``ctx``."""
    from longtail.models.ctr import DeepFM, GBMClassifier

    params = dict(model_params or {})
    if name == "deepfm-ensemble":
        return _build_ensemble(ctx, params)
    _check_params(name, params, model_param_names(name))
    if name in ("deepfm", "fm"):
        return DeepFM(deep=name == "deepfm", seed=ctx.seed, device=ctx.device, **params)
    return GBMClassifier(seed=ctx.seed, **params)


def _build_ensemble(ctx: TrialContext, params: dict[str, Any]) -> Any:
    """An ensemble of DeepFMs: ``ensemble`` picks the kind, its own parameters go to it, the rest to the members."""
    from longtail.models.ctr import DeepFM

    _check_params("deepfm-ensemble", params, model_param_names("deepfm-ensemble", params))
    cls = _ensemble_class(params.pop("ensemble", DEFAULT_ENSEMBLE))
    settings = {"n_estimators": DEFAULT_MEMBERS, **{k: params.pop(k) for k in list(params) if k in _accepted(cls)}}
    member_params = {**ENSEMBLE_MEMBER_DEFAULTS, **params}

    def member(seed: int) -> DeepFM:
        return DeepFM(seed=seed, device=ctx.device, **member_params)

    return cls(member, random_state=ctx.seed, **settings)


# ------------------------------------------------------------------- task
FIELDS_FILE = "fields.json"


def save(estimator: Any, encoded: Encoded, params: dict[str, Any], directory: Any) -> None:
    """The fitted model plus ``fields.json``: each field's values in code order, so raw ids can be encoded."""
    estimator.save(directory)
    fields = {"fields": list(encoded.fields), "vocabularies": encoded.vocabularies, "task_params": params}
    (Path(directory) / FIELDS_FILE).write_text(json.dumps(fields, default=str))


def all_parts(split: Split) -> tuple[Any, pl.Series]:
    """The split's parts as one dataset, and the part of each interaction."""
    frames, parts = [], []
    for code, name in enumerate(PARTS):
        part = split.parts().get(name)
        if part is not None:
            frames.append(part.interactions.drop(COLD_USER, COLD_ITEM, strict=False))
            parts.append(np.full(part.interactions.height, code, dtype=np.int8))
    whole = split.train.replace(interactions=pl.concat(frames, how="vertical_relaxed"))
    return whole, pl.Series("_part", np.concatenate(parts))


class CTRTask:
    """Click / purchase prediction for impressions (see the module docstring)."""

    name = "ctr"
    kind = "binary"
    models = MODEL_NAMES
    headline = ("pr_auc", "tail_recall")
    lower_is_better = frozenset({"log_loss", "ece"})
    param_names = PARAM_NAMES

    def model_param_names(self, model: str, params: dict[str, Any] | None = None) -> frozenset[str]:
        """The parameters ``model`` takes (see :func:`model_param_names`)."""
        return model_param_names(model, params)

    def supports(self, dataset: Any) -> bool:
        """Interactions holding at least two event levels (views and something above them)."""
        events = dataset.interactions.get_column(C.EVENT)
        return dataset.interactions.height > 0 and events.n_unique() >= 2 and (events == dataset.event_order[0]).any()

    def check_split(self, options: dict[str, Any]) -> None:
        """Raise :class:`~longtail.tasks.base.OptionError` for a split option with a bad value."""
        if options.get("test_size") is not None and options.get("cut") is not None:
            raise OptionError("cut", "give test_size or cut, not both: the cut decides where the test part starts")
        test_size = options.get("test_size")
        test_size = TEST_SIZE if test_size is None else check_fraction("test_size", test_size)
        valid_size = check_fraction("valid_size", options.get("valid_size", VALID_SIZE), zero_ok=True)
        if options.get("cut") is not None:
            check_datetime("cut", options["cut"])
        elif test_size + valid_size >= 1.0:
            raise OptionError("valid_size", f"test_size + valid_size is {test_size + valid_size:g}; keep it below 1 "
                                            "to leave training data")

    def split(
        self, dataset: Any, seed: int, *, test_size: float | None = None, valid_size: float = VALID_SIZE,
        cut: Any = None,
    ) -> Split:
        """Temporal: the last ``test_size`` (0.2) of the interactions test, or those from ``cut`` on, and the
        ``valid_size`` (0.1) before them validation (``seed`` is not needed)."""
        self.check_split({"test_size": test_size, "valid_size": valid_size, "cut": cut})
        if cut is not None:
            return temporal_split(dataset, valid_size=valid_size, cut=check_datetime("cut", cut))
        return temporal_split(dataset, test_size=TEST_SIZE if test_size is None else test_size, valid_size=valid_size)

    def run(
        self,
        split: Split,
        model: str,
        strategy: Any,
        ctx: TrialContext,
        model_params: dict[str, Any] | None = None,
    ) -> list[MetricRow]:
        """Fit ``model`` with ``strategy`` on the training impressions and score the test impressions."""
        if not strategy.applies_to(self.kind):
            raise LongtailError(f"strategy {strategy.name} does not apply to task {self.name}")
        estimator = build_model(model, ctx, model_params)
        params = ctx.params
        whole, parts = all_parts(split)
        whole, parts, outside = reorder_events(whole, parts, params.get("event_order"))
        level = target_level(whole, params.get("target"))
        gap = float(params.get("session_gap_minutes", SESSION_GAP_MINUTES))
        impressions, counts = build_impressions(whole, parts, level, gap, params.get("sessions", "auto"))
        counts["n_rows_outside_event_order"] = outside
        encoded = encode(impressions, whole)
        for part in ("train", "test"):
            if np.unique(encoded.y[part]).size < 2:
                raise LongtailError(
                    f"dataset {whole.name}: the {part} impressions have a single label; "
                    "choose another target or a dataset with both outcomes in every part"
                )
        valid = (encoded.X["valid"], encoded.y["valid"]) if np.unique(encoded.y["valid"]).size == 2 else None
        estimator.fit(
            encoded.X["train"], encoded.y["train"], strategy=strategy, item_text=item_text_table(whole, encoded, ctx),
            item_field=encoded.fields.index("item"), propensity=truth_propensity(whole, encoded), valid=valid,
            progress=ctx.progress,
        )
        if ctx.model_dir is not None:
            save(estimator, encoded, params, ctx.model_dir)
        sizes = [MetricRow(f"n_{part}_impressions", float(encoded.y[part].size)) for part in PARTS]
        sizes += [MetricRow(name, float(value)) for name, value in counts.items()]
        return evaluate(estimator, encoded) + sizes


TASK = CTRTask()
