"""The categorize task on the synthetic marketplace: split, labels, models, metrics, saving."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from longtail import strategies
from longtail.data import columns as C
from longtail.data.synthetic import make_marketplace
from longtail.errors import LongtailError
from longtail.metrics import macro_f1, per_class_recall
from longtail.tasks import TrialContext, get
from longtail.tasks.categorize import (
    category_labels,
    evaluate,
    frequency_groups,
    product_texts,
    rare_and_common,
)

FAST_LR = {"C": 2.0, "max_iter": 100}



@pytest.fixture(scope="module")
def dataset():
    ds = make_marketplace(seed=0, n_users=60, n_items=400, n_events=600)
    # a few items without a category: counted, never trained or tested on
    items = ds.items.with_columns(
        pl.when(pl.col(C.ITEM_ID).is_in([1, 2, 3])).then(None).otherwise(pl.col(C.CATEGORY)).alias(C.CATEGORY)
    )
    return ds.replace(items=items)


@pytest.fixture(scope="module")
def split(dataset):
    return get("categorize").split(dataset, seed=0)


def _hashed_embed(texts):
    """A stand-in encoder: bag of hashed words, L2-normalised (deterministic, no model needed)."""
    out = np.zeros((len(texts), 64), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in text.lower().split():
            out[row, sum(map(ord, word)) % 64] += 1.0
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def _metrics(rows, group_dim="all"):
    return {(row.metric, row.group): row.value for row in rows if row.group_dim == group_dim}


def test_task_shape():
    task = get("categorize")
    assert task.kind == "multiclass" and task.models[0] == "embedding-linear"
    assert set(task.models) == {"embedding-linear", "embedding-mlp", "tfidf-logreg", "finetune"}
    assert task.headline == ("macro_f1", "tail_recall")


def test_supports_needs_two_categories(dataset):
    task = get("categorize")
    assert task.supports(dataset)
    one = dataset.items.with_columns(pl.lit("Books > Fiction").alias(C.CATEGORY))
    assert not task.supports(dataset.replace(items=one))
    assert not task.supports(dataset.replace(items=dataset.items.drop(C.CATEGORY)))


def test_split_is_stratified_and_seeded(dataset, split):
    train, test = split.train.items, split.test.items
    assert train.height + test.height == dataset.items.height - 3
    assert train.get_column(C.CATEGORY).null_count() == 0
    assert set(test.get_column(C.CATEGORY)) <= set(train.get_column(C.CATEGORY))
    again = get("categorize").split(dataset, seed=0)
    assert again.test.items.get_column(C.ITEM_ID).to_list() == test.get_column(C.ITEM_ID).to_list()
    other = get("categorize").split(dataset, seed=1)
    assert other.test.items.get_column(C.ITEM_ID).to_list() != test.get_column(C.ITEM_ID).to_list()


def test_labels_and_texts():
    paths = ["A > B > C", "A > D"]
    assert list(category_labels(paths)) == paths
    assert list(category_labels(paths, depth=1)) == ["A", "A"]
    assert list(category_labels(paths, depth=2)) == ["A > B", "A > D"]
    with pytest.raises(LongtailError, match="category_depth"):
        category_labels(paths, depth=0)
    assert product_texts(["Red Mug", "Acme kettle", None], ["Acme", "acme", "Zed"]) == ["Red Mug Acme", "Acme kettle", "Zed"]


def test_rare_and_frequency_groups():
    counts = np.array([50, 1, 20, 3, 9, 2, 30, 5, 4, 6])
    rare, common = rare_and_common(counts)
    assert list(rare) == [1, 5] and list(common) == [0, 6]
    groups = frequency_groups(np.array([60, 30, 20, 10, 5, 5]))
    assert list(groups) == ["head", "torso", "tail", "tail", "tail", "tail"]
    assert list(rare_and_common(np.array([3, 1]))[0]) == [1]  # at least one class


def test_evaluate_against_direct_formulas():
    rng = np.random.default_rng(0)
    classes = np.array(["A > x", "A > y", "B > z", "B > w", "C > v"])
    counts = np.array([40, 20, 10, 5, 1])
    y_true = classes[rng.integers(0, 5, size=60)]
    proba = rng.dirichlet(np.ones(5), size=60)
    rows = evaluate(y_true, proba, classes, counts)
    m = _metrics(rows)
    y_pred = classes[proba.argmax(axis=1)]
    assert m[("macro_f1", "all")] == pytest.approx(macro_f1(y_true, y_pred))
    recall = per_class_recall(y_true, y_pred, labels=classes)
    assert m[("tail_recall", "all")] == pytest.approx(recall["C > v"])  # the rarest 20 % = 1 class of 5
    assert m[("head_recall", "all")] == pytest.approx(recall["A > x"])
    top = _metrics(rows, "category_top")
    assert top[("recall", "A")] == pytest.approx((recall["A > x"] + recall["A > y"]) / 2)
    codes = np.searchsorted(classes, y_true, sorter=np.argsort(classes))
    codes = np.argsort(classes)[codes]
    confidence, correct = proba.max(axis=1), proba.argmax(axis=1) == codes
    ece = sum(abs(correct[b].mean() - confidence[b].mean()) * b.mean()
              for b in [(confidence > lo / 15) & (confidence <= (lo + 1) / 15) for lo in range(15)] if b.any())
    assert m[("ece", "all")] == pytest.approx(ece)
    assert {g for (_, g) in _metrics(rows, "frequency")} <= {"head", "torso", "tail"}


def test_evaluate_counts_unseen_test_labels():
    rows = _metrics(evaluate(np.array(["a", "new"]), np.array([[0.9, 0.1], [0.2, 0.8]]), np.array(["a", "b"]), np.array([3, 1])))
    assert rows[("n_unseen_label_test", "all")] == 1 and rows[("accuracy", "all")] == 0.5


@pytest.mark.slow
@pytest.mark.parametrize("model, params", [("tfidf-logreg", FAST_LR), ("embedding-linear", {"epochs": 20, "lr": 0.02}),
                                           ("embedding-mlp", {"epochs": 20, "lr": 0.01})])
def test_models_beat_the_majority_class(split, model, params):
    ctx = TrialContext(seed=0, embed=_hashed_embed)
    rows = _metrics(get("categorize").run(split, model, strategies.get("baseline"), ctx, model_params=params))
    test_labels = split.test.items.get_column(C.CATEGORY)
    majority = test_labels.value_counts().get_column("count").max() / test_labels.len()
    assert rows[("accuracy", "all")] > majority + 0.2
    assert rows[("n_unlabelled_items", "all")] == 3
    assert rows[("n_test", "all")] == split.test.items.height


@pytest.mark.slow
def test_category_depth_changes_the_labels(split):
    ctx = TrialContext(seed=0, embed=_hashed_embed, params={"category_depth": 1})
    rows = _metrics(get("categorize").run(split, "embedding-linear", strategies.get("baseline"), ctx))
    n_top = split.train.items.select(split.train.top_category()).n_unique()
    assert rows[("n_classes", "all")] == n_top
    by_params = _metrics(get("categorize").run(split, "tfidf-logreg", strategies.get("baseline"),
                                               TrialContext(seed=0), model_params={**FAST_LR, "category_depth": 1}))
    assert by_params[("n_classes", "all")] == n_top


def test_embedding_models_need_the_encoder(split):
    with pytest.raises(LongtailError, match="needs the pretrained text encoder"):
        get("categorize").run(split, "embedding-linear", strategies.get("baseline"), TrialContext(seed=0))


def test_refusals(split):
    task = get("categorize")
    with pytest.raises(LongtailError, match="does not apply"):
        task.run(split, "tfidf-logreg", strategies.get("logq"), TrialContext(seed=0))
    with pytest.raises(LongtailError, match="unknown model"):
        task.run(split, "bert-large", strategies.get("baseline"), TrialContext(seed=0))
    with pytest.raises(LongtailError, match="takes no parameter 'depth'"):
        task.run(split, "tfidf-logreg", strategies.get("baseline"), TrialContext(seed=0), model_params={"depth": 2})


def test_model_dir_holds_a_loadable_model(split, tmp_path):
    from longtail.models.categorize import EmbeddingClassifier

    ctx = TrialContext(seed=0, embed=_hashed_embed, model_dir=tmp_path)
    get("categorize").run(split, "embedding-linear", strategies.get("posthoc-logit-adjust"), ctx, model_params={"epochs": 5})
    model = EmbeddingClassifier.load(tmp_path)
    task_info = json.loads((tmp_path / "task.json").read_text())
    assert task_info["model"] == "embedding-linear" and task_info["category_depth"] is None
    texts = get("categorize").embed_texts(split.test)
    assert model.predict(_hashed_embed(texts)).shape == (len(texts),)
    assert model.adjuster_ is not None


# ------------------------------------------------------------- split options and declared parameters
def test_default_split_is_the_catalogue_split_it_always_was(dataset, split):
    from longtail.data.splits import catalogue_split
    from longtail.tasks.base import split_options

    task = get("categorize")
    assert split_options(task) == {"test_size": 0.2, "stratify_by_category": True}
    direct = catalogue_split(task._labelled(dataset), test_size=0.2, seed=0)
    assert split.test.items.equals(direct.test.items) and split.train.items.equals(direct.train.items)


def test_split_options_set_the_test_share_and_stratification_seeded(dataset):
    task = get("categorize")
    labelled = dataset.items.get_column(C.CATEGORY).drop_nulls().len()
    bigger = task.split(dataset, seed=0, test_size=0.4)
    # categories with a single item keep it in training, so a few test items may be missing
    assert 0.4 * labelled - 5 <= bigger.test.items.height <= round(0.4 * labelled)
    assert task.split(dataset, seed=0).test.items.height <= round(0.2 * labelled)
    assert task.split(dataset, seed=0, test_size=0.4).test.items.equals(bigger.test.items)
    assert not task.split(dataset, seed=1, test_size=0.4).test.items.equals(bigger.test.items)
    loose = task.split(dataset, seed=0, stratify_by_category=False)
    assert loose.test.meta["split"]["stratify_by_category"] is False
    assert loose.test.items.height == round(0.2 * labelled)
    assert not loose.test.items.equals(task.split(dataset, seed=0).test.items)


def test_bad_split_options_are_option_errors_naming_the_key(dataset):
    from longtail.tasks.base import OptionError

    task = get("categorize")
    with pytest.raises(OptionError, match=r"^test_size: 1.0 is outside \(0, 1\)") as info:
        task.split(dataset, seed=0, test_size=1.0)
    assert info.value.key == "test_size"
    with pytest.raises(OptionError, match="^stratify_by_category: 'no' is not true or false"):
        task.split(dataset, seed=0, stratify_by_category="no")


def test_the_task_reads_exactly_its_declared_params(split):
    from task_probes import ReadKeys

    task = get("categorize")
    params = ReadKeys()
    task.run(split, "tfidf-logreg", strategies.get("baseline"), TrialContext(seed=0, params=params), FAST_LR)
    assert params.read == set(task.param_names) == {"category_depth", "use_brand"}
    assert {"C", "max_iter", "seed", "category_depth"} <= task.model_param_names("tfidf-logreg")
    assert "hidden" not in task.model_param_names("embedding-linear")  # fixed by the model name
