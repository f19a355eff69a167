"""The ``categorize`` task: product text -> category, judged overall and on the rare categories.

Split: the catalogue (items with a category), stratified by leaf category
(:func:`~longtail.data.splits.catalogue_split`, 20 % test); every category
keeps at least one item in training, so a category with a single item is
never tested. Items without a category are left out before splitting and
counted (``n_unlabelled_items``). Split options: ``test_size`` (0.2) and
``stratify_by_category`` (true; false draws the test items at random, and a
category may then lose all its training items).

Labels: the category path (the leaf), or its first ``category_depth``
levels (``ctx.params`` or ``model_params``). Inputs: the title, followed by
the brand when the title does not already name it (``use_brand``, default
true).

Metrics: accuracy, macro / micro / weighted F1, balanced accuracy, G-mean,
top-label ECE and log-loss; ``tail_recall`` is the mean recall of the
rarest 20 % of categories by training count (at least one category),
``head_recall`` that of the most common 20 %. Per-group recall (mean recall
of the group's categories) by ``category_top`` (first level of the label)
and by ``frequency``: ``head`` / ``torso`` / ``tail`` categories, a third of
the training items each.

The helpers above :class:`CategorizeTask` work on plain lists and arrays
(no polars), so scripts can label, prepare and score data the same way.
"""

from __future__ import annotations

import inspect
import json
import math
from typing import Any, Sequence

import numpy as np

from longtail.errors import LongtailError
from longtail.strategies import StrategyError
from longtail.tasks.base import MetricRow, TrialContext, check_bool, check_fraction

TEST_SIZE = 0.2
TAIL_SHARE = 0.2
FREQUENCY_GROUPS = ("head", "torso", "tail")
DEFAULT_SEP = " > "
# model name -> (class name in longtail.models.categorize, fixed constructor arguments)
MODELS: dict[str, tuple[str, dict[str, Any]]] = {
    "embedding-linear": ("EmbeddingClassifier", {"hidden": 0}),
    "embedding-mlp": ("EmbeddingClassifier", {"hidden": 256}),
    "tfidf-logreg": ("TfidfLogReg", {}),
    "finetune": ("FineTunedClassifier", {}),
}
EMBEDDING_MODELS = frozenset({"embedding-linear", "embedding-mlp"})
#: the TrialContext.params keys the task reads
PARAM_NAMES = ("category_depth", "use_brand")
#: model_params keys the task reads itself (they do not reach the model)
TASK_MODEL_PARAMS = frozenset({"category_depth"})


# ------------------------------------------------------------------ inputs and labels
def product_texts(titles: Sequence[str | None], brands: Sequence[str | None] | None = None) -> list[str]:
    """Model input per product: the title, then the brand unless the title already contains it."""
    out = []
    for i, title in enumerate(titles):
        text = (title or "").strip()
        brand = (brands[i] or "").strip() if brands is not None else ""
        if brand and brand.lower() not in text.lower():
            text = f"{text} {brand}".strip()
        out.append(text)
    return out


def check_depth(depth: Any) -> int | None:
    """``category_depth`` as None (the leaf) or an integer >= 1."""
    if depth is None:
        return None
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
        raise LongtailError(f"category_depth must be an integer >= 1 (or absent for the leaf), got {depth!r}")
    return int(depth)


def category_labels(paths: Sequence[str], sep: str = DEFAULT_SEP, depth: int | None = None) -> np.ndarray:
    """Each path cut to its first ``depth`` levels (None: the whole path, the leaf)."""
    depth = check_depth(depth)
    if depth is None:
        return np.asarray(list(paths), dtype=object).astype(str)
    return np.asarray([sep.join(path.split(sep)[:depth]) for path in paths], dtype=object).astype(str)


# ----------------------------------------------------------------------- metrics
def rare_and_common(class_counts: np.ndarray, share: float = TAIL_SHARE) -> tuple[np.ndarray, np.ndarray]:
    """(rarest, most common) ``share`` of the classes by training count, at least one each; ties by class order."""
    counts = np.asarray(class_counts)
    n = max(1, math.floor(share * counts.size + 0.5))
    order = np.argsort(counts, kind="stable")
    return np.sort(order[:n]), np.sort(order[::-1][:n])


def frequency_groups(class_counts: np.ndarray) -> np.ndarray:
    """``head`` / ``torso`` / ``tail`` per class: classes sorted by count, a third of the training rows each."""
    from longtail.metrics import popularity_buckets

    return np.asarray(FREQUENCY_GROUPS)[popularity_buckets(np.asarray(class_counts, dtype=np.float64), n_buckets=3)]


def _mean_recall(recall: np.ndarray, members: np.ndarray) -> float:
    """Mean recall over the member classes that occur in the test set (NaN if none does)."""
    values = recall[members]
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else float("nan")


def evaluate(
    y_true: Sequence[str],
    proba: np.ndarray,
    classes: np.ndarray,
    class_counts: np.ndarray,
    sep: str = DEFAULT_SEP,
) -> list[MetricRow]:
    """Every metric of the task for test labels ``y_true`` and probabilities ``proba`` over ``classes``.

    ``class_counts`` are the training rows per class. Test rows whose label
    was never seen in training count as errors in the label metrics and are
    left out of ECE and log-loss (``n_unseen_label_test``).
    """
    from longtail import metrics as M

    y_true = np.asarray(y_true).astype(str)
    classes = np.asarray(classes).astype(str)
    proba = np.asarray(proba, dtype=np.float64)
    y_pred = classes[np.argmax(proba, axis=1)]
    rows = [
        MetricRow("accuracy", M.accuracy(y_true, y_pred)),
        MetricRow("macro_f1", M.macro_f1(y_true, y_pred)),
        MetricRow("micro_f1", M.micro_f1(y_true, y_pred)),
        MetricRow("weighted_f1", M.weighted_f1(y_true, y_pred)),
        MetricRow("balanced_accuracy", M.balanced_accuracy(y_true, y_pred)),
        MetricRow("g_mean", M.g_mean(y_true, y_pred)),
    ]
    position = {label: i for i, label in enumerate(classes)}
    codes = np.asarray([position.get(label, -1) for label in y_true])
    seen = codes >= 0
    if seen.any():
        rows += [
            MetricRow("ece", M.expected_calibration_error(codes[seen], proba[seen])),
            MetricRow("log_loss", M.log_loss(codes[seen], proba[seen])),
        ]
    labels = np.union1d(classes, y_true)
    recall_of = M.per_class_recall(y_true, y_pred, labels=labels)
    recall = np.asarray([recall_of[label] for label in classes], dtype=np.float64)
    rare, common = rare_and_common(class_counts)
    rows += [MetricRow("tail_recall", _mean_recall(recall, rare)), MetricRow("head_recall", _mean_recall(recall, common))]
    group_dims = {
        "frequency": frequency_groups(class_counts),
        "category_top": np.asarray([label.split(sep)[0] for label in classes]),
    }
    for dim, groups in group_dims.items():
        for group in np.unique(groups):
            value = _mean_recall(recall, np.flatnonzero(groups == group))
            if not math.isnan(value):
                rows.append(MetricRow("recall", value, dim, str(group)))
    rows += [
        MetricRow("n_test", float(y_true.size)),
        MetricRow("n_classes", float(classes.size)),
        MetricRow("n_tail_classes", float(rare.size)),
        MetricRow("n_unseen_label_test", float((~seen).sum())),
    ]
    return rows


# ------------------------------------------------------------------------ models
def _model_class(name: str) -> tuple[type, dict[str, Any]]:
    if name not in MODELS:
        raise LongtailError(f"unknown model '{name}' for task categorize; choose one of {', '.join(MODELS)}")
    from longtail.models import categorize as models

    class_name, fixed = MODELS[name]
    return getattr(models, class_name), fixed


def model_param_names(name: str) -> frozenset[str]:
    """The parameters the categoriser ``name`` takes: its constructor's, less those the model name fixes."""
    cls, fixed = _model_class(name)
    return frozenset(set(inspect.signature(cls).parameters) - set(fixed))


def build_model(name: str, ctx: TrialContext, model_params: dict[str, Any] | None = None) -> Any:
    """The categoriser ``name`` with ``model_params``, seeded and placed by ``ctx`` where it takes them."""
    cls, fixed = _model_class(name)
    accepted = model_param_names(name)
    params = dict(model_params or {})
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise LongtailError(f"model '{name}' takes no parameter '{unknown[0]}'; it takes: {', '.join(sorted(accepted))}")
    defaults = {"seed": ctx.seed, "device": ctx.device}
    params.update({key: value for key, value in defaults.items() if key in accepted and key not in params})
    return cls(**fixed, **params)


def _inputs(name: str, texts: list[str], ctx: TrialContext) -> Any:
    """What the model reads: embeddings for the embedding models, texts for the others."""
    if name not in EMBEDDING_MODELS:
        return texts
    if ctx.embed is None:
        raise LongtailError(
            f"model '{name}' needs the pretrained text encoder (TrialContext.embed), but none was given; "
            "enable the encoder (spec: encoder.enabled: true) or use model tfidf-logreg"
        )
    return np.asarray(ctx.embed(texts), dtype=np.float32)


def fit_model(name: str, model: Any, texts: list[str], labels: np.ndarray, strategy: Any, ctx: TrialContext) -> Any:
    """Fit ``model`` on the training texts (embedded first for the embedding models)."""
    inputs = _inputs(name, texts, ctx)
    if name in EMBEDDING_MODELS:
        return model.fit(inputs, labels, strategy, texts=texts, embed=ctx.embed, progress=ctx.progress)
    return model.fit(inputs, labels, strategy, progress=ctx.progress)


# -------------------------------------------------------------------------- task
class CategorizeTask:
    """Product categorisation (see the module docstring)."""

    name = "categorize"
    kind = "multiclass"
    models = tuple(MODELS)
    headline = ("macro_f1", "tail_recall")
    lower_is_better = frozenset({"ece", "log_loss"})
    param_names = PARAM_NAMES

    def model_param_names(self, model: str, params: dict[str, Any] | None = None) -> frozenset[str]:
        """What ``model_params`` of ``model`` may hold: the model's parameters, and ``category_depth``."""
        return model_param_names(model) | TASK_MODEL_PARAMS

    def supports(self, dataset: Any) -> bool:
        """Items with a category column holding at least two categories."""
        from longtail.data import columns as C

        items = dataset.items
        return C.CATEGORY in items.columns and items.get_column(C.CATEGORY).drop_nulls().n_unique() >= 2

    def _labelled(self, dataset: Any) -> Any:
        import polars as pl

        from longtail.data import columns as C

        if C.CATEGORY not in dataset.items.columns:
            raise LongtailError(f"dataset {dataset.name}: the items table has no '{C.CATEGORY}' column; task categorize needs one")
        has_label = pl.col(C.CATEGORY).is_not_null() & (pl.col(C.CATEGORY).str.strip_chars() != "")
        items = dataset.items.filter(has_label)
        meta = {**dataset.meta, "categorize": {"unlabelled_items": dataset.items.height - items.height}}
        return dataset.replace(items=items, meta=meta)

    def embed_texts(self, dataset: Any) -> list[str]:
        """The texts the task embeds: one model input per labelled item."""
        return self._texts(self._labelled(dataset).items)

    @staticmethod
    def _texts(items: Any) -> list[str]:
        from longtail.data import columns as C

        brands = items.get_column(C.BRAND).to_list() if C.BRAND in items.columns else None
        return product_texts(items.get_column(C.TITLE).to_list(), brands)

    def check_split(self, options: dict[str, Any]) -> None:
        """Raise :class:`~longtail.tasks.base.OptionError` for a split option with a bad value."""
        if "test_size" in options:
            check_fraction("test_size", options["test_size"])
        if "stratify_by_category" in options:
            check_bool("stratify_by_category", options["stratify_by_category"])

    def split(self, dataset: Any, seed: int, *, test_size: float = TEST_SIZE, stratify_by_category: bool = True) -> Any:
        """The labelled catalogue split (``test_size`` for testing), stratified by leaf category unless told not (seeded)."""
        from longtail.data.splits import catalogue_split

        self.check_split({"test_size": test_size, "stratify_by_category": stratify_by_category})
        return catalogue_split(self._labelled(dataset), test_size=test_size, seed=seed,
                               stratify_by_category=stratify_by_category)

    def run(
        self,
        split: Any,
        model: str,
        strategy: Any,
        ctx: TrialContext,
        model_params: dict[str, Any] | None = None,
    ) -> list[MetricRow]:
        """Fit ``model`` with ``strategy`` on the training items, score the test items."""
        from longtail.data import columns as C

        if not strategy.applies_to(self.kind):
            raise StrategyError(f"strategy {strategy.name} does not apply to task {self.name}")
        params = dict(model_params or {})
        depth = check_depth(params.pop("category_depth", ctx.params.get("category_depth")))
        use_brand = bool(ctx.params.get("use_brand", True))
        sep = split.train.category_sep
        train, test = (self._labelled(part).items for part in (split.train, split.test))
        if test.height == 0:
            raise LongtailError(f"dataset {split.train.name}: the test part has no labelled item; check the split")
        texts = {name: (self._texts(items) if use_brand else product_texts(items.get_column(C.TITLE).to_list()))
                 for name, items in (("train", train), ("test", test))}
        y_train = category_labels(train.get_column(C.CATEGORY).to_list(), sep, depth)
        y_test = category_labels(test.get_column(C.CATEGORY).to_list(), sep, depth)
        classifier = fit_model(model, build_model(model, ctx, params), texts["train"], y_train, strategy, ctx)
        proba = classifier.predict_proba(_inputs(model, texts["test"], ctx))
        counts = np.asarray([np.count_nonzero(y_train == label) for label in classifier.classes_])
        if ctx.model_dir is not None:
            classifier.save(ctx.model_dir)
            task = {"task": self.name, "model": model, "category_depth": depth, "use_brand": use_brand, "category_sep": sep}
            (ctx.model_dir / "task.json").write_text(json.dumps(task, indent=2))
        unlabelled = split.train.meta.get("categorize", {}).get("unlabelled_items", 0)
        extra = [MetricRow("n_train", float(len(y_train))), MetricRow("n_unlabelled_items", float(unlabelled))]
        return evaluate(y_test, proba, classifier.classes_, counts, sep) + extra


TASK = CategorizeTask()
