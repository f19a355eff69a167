"""The ``relevance`` task: grade each judged (query, product) pair, e.g. exact / substitute / complement / irrelevant.

Split: the judgments, at random by query (:func:`random_split`, 20 % of the
queries for testing: split option ``test_size``), so that no query is seen
in training and testing. The task reads no ``ctx.params``.
Grades are ordered by ``meta["label_order"]`` (lowest first) when the
dataset has one, by value when the labels are numbers, else alphabetically.
A pair's text is the query and the product title; a judged item missing
from the catalogue (or without a title) gets an empty title and is counted
in ``untitled_pairs``.

Metrics: ``accuracy`` (= micro-F1), ``macro_f1``, ``weighted_f1``,
``balanced_accuracy``; ``recall`` per label (group_dim ``label``);
``rare_label_recall``, the mean recall of the labels holding less than 15 %
of the training pairs (the least frequent label when none does); per region
(group_dim ``region``, when judgments carry a region) ``macro_f1``; and,
when grades are ordered and test queries have several judged items,
``ndcg@10`` of each query's items ranked by expected grade (gain = the
grade's position in the order, I=0 .. E=3 for ESCI), over queries with at
least two judged items and one of positive gain (``ndcg_queries`` counts
them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from longtail.data import columns as C
from longtail.data.splits import Split, random_split
from longtail.errors import InputError, LongtailError
from longtail.tasks.base import MetricRow, TrialContext, check_fraction

K = 10
TEST_SIZE = 0.2
RARE_SHARE = 0.15
MODEL_NAMES = ("biencoder", "crossencoder")
LABEL_ORDER = "label_order"


@dataclass(frozen=True)
class Pairs:
    """Judged pairs as arrays: texts, labels (strings), regions (or None), and how many lacked a title."""

    queries: list[str]
    titles: list[str]
    labels: np.ndarray
    regions: np.ndarray | None
    untitled: int


# ------------------------------------------------------------------ data
def label_order(dataset: Any) -> tuple[list[str], bool]:
    """The grades lowest first, and whether that order is known (meta or numeric labels) rather than alphabetical."""
    column = dataset.judgments.get_column(C.LABEL)
    declared = dataset.meta.get(LABEL_ORDER)
    if declared:
        return [str(label) for label in declared], True
    values = column.unique().sort()
    return [str(value) for value in values.to_list()], values.dtype.is_numeric()


def judged_pairs(dataset: Any, order: list[str]) -> Pairs:
    """The dataset's judgments joined to their product titles, labels checked against ``order``."""
    judgments = dataset.judgments.with_columns(pl.col(C.LABEL).cast(pl.String))
    unknown = judgments.with_row_index("_row").filter(~pl.col(C.LABEL).is_in(order))
    if unknown.height:
        first = unknown.row(0, named=True)
        raise InputError(
            f"judgment label not in the dataset's label order {order}",
            file=dataset.sources.get("judgments"), column=C.LABEL, row=int(first["_row"]), value=first[C.LABEL],
            fix=f"list every label in meta['{LABEL_ORDER}'] (lowest grade first) or fix the label",
        )
    titles = dataset.items.select(C.ITEM_ID, pl.col(C.TITLE).cast(pl.String))
    joined = judgments.join(titles, on=C.ITEM_ID, how="left", maintain_order="left")
    title = joined.get_column(C.TITLE)
    regions = joined.get_column(C.REGION).cast(pl.String).fill_null("unknown") if C.REGION in joined.columns else None
    return Pairs(
        queries=joined.get_column(C.QUERY).cast(pl.String).to_list(),
        titles=title.fill_null("").to_list(),
        labels=joined.get_column(C.LABEL).to_numpy().astype(str),
        regions=None if regions is None else regions.to_numpy().astype(str),
        untitled=int((title.is_null() | (title.str.strip_chars() == "")).sum()),
    )


def pair_vectors(train: Pairs, test: Pairs, ctx: TrialContext) -> dict[str, np.ndarray]:
    """Query and title vectors of both parts: ``ctx.embed``, else TF-IDF + SVD fitted on all their texts."""
    texts = list(dict.fromkeys(train.queries + train.titles + test.queries + test.titles))
    if ctx.embed is not None:
        vectors = np.asarray(ctx.embed(texts), dtype=np.float32)
    else:
        from longtail.tasks.recommend import item_text_vectors

        vectors = item_text_vectors(texts, ctx)
        if vectors is None:
            raise LongtailError("task relevance: the pairs have too little text for TF-IDF; enable the text encoder")
    index = {text: row for row, text in enumerate(texts)}

    def rows(values: list[str]) -> np.ndarray:
        return vectors[[index[text] for text in values]]

    return {"train_q": rows(train.queries), "train_t": rows(train.titles),
            "test_q": rows(test.queries), "test_t": rows(test.titles)}


# ---------------------------------------------------------------- metrics
def rare_labels(train_labels: np.ndarray, share: float = RARE_SHARE) -> list[str]:
    """Labels with less than ``share`` of the training pairs; the least frequent one if none is that rare."""
    values, counts = np.unique(train_labels, return_counts=True)
    rare = values[counts < share * counts.sum()]
    return [str(label) for label in (rare if rare.size else values[[np.argmin(counts)]])]


def graded_ndcg(queries: list[str], true_gain: np.ndarray, score: np.ndarray, k: int = K) -> tuple[float, int] | None:
    """NDCG@k of each query's judged items ranked by ``score``, over queries with >= 2 items and a positive gain.

    Returns (mean NDCG, number of queries counted), or None when no query qualifies.
    """
    from longtail.metrics import ndcg_at_k

    _, codes = np.unique(np.asarray(queries, dtype=object).astype(str), return_inverse=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    ranked, relevant, gains = [], [], []
    for rows in np.split(order, bounds):
        if rows.size < 2 or true_gain[rows].max() <= 0:
            continue
        best = rows[np.argsort(-score[rows], kind="stable")][:k]
        ranked.append(np.pad(best, (0, k - best.size), constant_values=-1))
        relevant.append(rows)
        gains.append(true_gain[rows])
    if not ranked:
        return None
    return ndcg_at_k(np.vstack(ranked), relevant, k=k, gains=gains), len(ranked)


def evaluate(test: Pairs, proba: np.ndarray, classes: np.ndarray, order: list[str], ordered: bool,
             train_labels: np.ndarray) -> list[MetricRow]:
    """Every metric of the task for predicted grade probabilities (columns in ``classes`` order)."""
    from longtail import metrics as M

    y_true, y_pred = test.labels, classes[np.argmax(proba, axis=1)].astype(str)
    rows = [
        MetricRow("accuracy", M.accuracy(y_true, y_pred)),
        MetricRow("macro_f1", M.macro_f1(y_true, y_pred)),
        MetricRow("weighted_f1", M.weighted_f1(y_true, y_pred)),
        MetricRow("balanced_accuracy", M.balanced_accuracy(y_true, y_pred)),
    ]
    recall = {label: value for label, value in M.per_class_recall(y_true, y_pred, labels=order).items()
              if not np.isnan(value)}
    rows += [MetricRow("recall", value, "label", str(label)) for label, value in recall.items()]
    rare = [recall[label] for label in rare_labels(train_labels) if label in recall]
    if rare:
        rows.append(MetricRow("rare_label_recall", float(np.mean(rare))))
    if test.regions is not None:
        per_region = M.by_group(M.macro_f1, test.regions, y_true, y_pred)
        rows += [MetricRow("macro_f1", value, "region", str(region)) for region, value in per_region.items()]
    if ordered:
        gain = {label: float(position) for position, label in enumerate(order)}
        expected = proba @ np.array([gain[str(c)] for c in classes])
        ndcg = graded_ndcg(test.queries, np.array([gain[label] for label in y_true]), expected)
        if ndcg is not None:
            rows += [MetricRow(f"ndcg@{K}", ndcg[0]), MetricRow("ndcg_queries", float(ndcg[1]))]
    return rows


# ------------------------------------------------------------------- task
def _model_class(name: str) -> type:
    from longtail.models.relevance import BiEncoderClassifier, CrossEncoder

    classes = {"biencoder": BiEncoderClassifier, "crossencoder": CrossEncoder}
    if name not in classes:
        raise LongtailError(f"unknown model '{name}' for task relevance; choose one of {', '.join(MODEL_NAMES)}")
    return classes[name]


def model_param_names(name: str) -> frozenset[str]:
    """The parameters the relevance model ``name`` takes (its ``param_names`` and the device)."""
    return frozenset({*_model_class(name).param_names, "device"})


def build_model(name: str, ctx: TrialContext, model_params: dict[str, Any] | None = None) -> Any:
    """The relevance model ``name`` with ``model_params``, seeded and placed on ``ctx.device``."""
    cls = _model_class(name)
    accepted = model_param_names(name)
    params = {"seed": ctx.seed, "device": ctx.device, **(model_params or {})}
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise LongtailError(f"model '{name}' takes no parameter '{unknown[0]}'; it takes: {', '.join(sorted(accepted))}")
    return cls(**params)


class RelevanceTask:
    """Graded query-product relevance (see the module docstring)."""

    name = "relevance"
    kind = "multiclass"
    models = MODEL_NAMES
    headline = ("macro_f1", "rare_label_recall")
    lower_is_better: frozenset[str] = frozenset()
    param_names: tuple[str, ...] = ()

    def model_param_names(self, model: str, params: dict[str, Any] | None = None) -> frozenset[str]:
        """The parameters ``model`` takes (see :func:`model_param_names`)."""
        return model_param_names(model)

    def supports(self, dataset: Any) -> bool:
        """Judgments with at least two distinct labels."""
        judgments = dataset.judgments
        return judgments is not None and judgments.height > 0 and judgments.get_column(C.LABEL).n_unique() >= 2

    def check_split(self, options: dict[str, Any]) -> None:
        """Raise :class:`~longtail.tasks.base.OptionError` for a split option with a bad value."""
        if "test_size" in options:
            check_fraction("test_size", options["test_size"])

    def split(self, dataset: Any, seed: int, *, test_size: float = TEST_SIZE) -> Split:
        """``test_size`` (0.2) of the queries, with all their judgments, for testing (seeded); interactions are not used."""
        self.check_split({"test_size": test_size})
        if dataset.judgments is None:
            raise LongtailError(f"dataset {dataset.name} has no judgments; task relevance needs query-product labels")
        return random_split(dataset.replace(interactions=dataset.interactions.clear()), test_size=test_size, seed=seed)

    def run(
        self,
        split: Split,
        model: str,
        strategy: Any,
        ctx: TrialContext,
        model_params: dict[str, Any] | None = None,
    ) -> list[MetricRow]:
        """Fit ``model`` with ``strategy`` on the training pairs and grade the test pairs."""
        if not strategy.applies_to(self.kind):
            raise LongtailError(f"strategy {strategy.name} does not apply to task {self.name}")
        grader = build_model(model, ctx, model_params)
        order, ordered = label_order(split.train)
        train, test = judged_pairs(split.train, order), judged_pairs(split.test, order)
        if np.unique(train.labels).size < 2 or test.labels.size == 0:
            raise LongtailError(
                f"dataset {split.train.name}: the split leaves {np.unique(train.labels).size} label(s) in training and "
                f"{test.labels.size} test pairs; task relevance needs 2+ labels and test pairs"
            )
        if model == "crossencoder":
            grader.fit(train.queries, train.titles, train.labels, strategy, progress=ctx.progress)
            proba = grader.predict_proba(test.queries, test.titles)
        else:
            vectors = pair_vectors(train, test, ctx)
            grader.fit(vectors["train_q"], vectors["train_t"], train.labels, strategy,
                       title_texts=train.titles, embed=ctx.embed, progress=ctx.progress)
            proba = grader.predict_proba(vectors["test_q"], vectors["test_t"])
        if ctx.model_dir is not None:
            grader.save(ctx.model_dir)
        rows = evaluate(test, proba, grader.classes_, order, ordered, train.labels)
        untitled = train.untitled + test.untitled
        return rows + ([MetricRow("untitled_pairs", float(untitled))] if untitled else [])


TASK = RelevanceTask()
