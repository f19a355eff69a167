"""The relevance task: support, the query-grouped split, label order, metrics against references, whole trials."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn import metrics as skm
from torch_samples import TINY_BERT, one_thread  # noqa: F401 (autouse fixture)

from longtail import strategies
from longtail.data import Dataset
from longtail.data import columns as C
from longtail.data.synthetic import make_marketplace
from longtail.errors import InputError, LongtailError
from longtail.tasks import TrialContext, get
from longtail.tasks.relevance import TASK, Pairs, evaluate, graded_ndcg, judged_pairs, label_order, rare_labels


@pytest.fixture(scope="module")
def shop():
    return make_marketplace(seed=0, n_users=200, n_items=300, n_events=3000, n_queries=400)


def judged(labels, queries=None, items=None, region=None, meta=None):
    """A dataset with only judgments (and a catalogue of titled items 0..9)."""
    n = len(labels)
    judgments = {C.QUERY: queries or [f"q{i}" for i in range(n)], C.ITEM_ID: items or [i % 10 for i in range(n)],
                 C.LABEL: labels}
    if region is not None:
        judgments[C.REGION] = region
    empty = pl.DataFrame(schema={C.USER_ID: pl.Int64, C.ITEM_ID: pl.Int64,
                                 C.TIMESTAMP: pl.Datetime("us", "UTC"), C.EVENT: pl.String})
    items_table = pl.DataFrame({C.ITEM_ID: list(range(10)), C.TITLE: [f"title {i}" for i in range(10)]})
    return Dataset(empty, items_table, judgments=pl.DataFrame(judgments), name="judged", meta=meta or {})


# ------------------------------------------------------------------ basics
def test_registered_with_its_interface():
    assert get("relevance") is TASK
    assert (TASK.kind, TASK.models[0], TASK.headline) == ("multiclass", "biencoder", ("macro_f1", "rare_label_recall"))


def test_supports_needs_two_labels(shop):
    assert TASK.supports(shop)
    assert not TASK.supports(shop.replace(judgments=None))
    assert not TASK.supports(judged(["E"] * 5))


def test_split_is_seeded_and_keeps_each_query_in_one_part(shop):
    split = TASK.split(shop, seed=3)
    train_q = set(split.train.judgments[C.QUERY])
    test_q = set(split.test.judgments[C.QUERY])
    assert train_q and test_q and not train_q & test_q
    assert split.train.judgments.height + split.test.judgments.height == shop.judgments.height
    assert split.train.interactions.height == 0
    assert abs(len(test_q) / (len(train_q) + len(test_q)) - 0.2) < 0.02
    again, other = TASK.split(shop, seed=3), TASK.split(shop, seed=4)
    assert again.test.judgments.equals(split.test.judgments)
    assert not other.test.judgments.equals(split.test.judgments)


def test_label_order_from_meta_numbers_or_names():
    assert label_order(judged(["E", "I"], meta={"label_order": ["I", "C", "S", "E"]})) == (["I", "C", "S", "E"], True)
    assert label_order(judged([3, 10, 2])) == (["2", "3", "10"], True)
    assert label_order(judged(["b", "a"])) == (["a", "b"], False)


def test_judged_pairs_keeps_and_counts_untitled_items():
    ds = judged(["E", "I", "S"], items=[1, 2, 99])
    pairs = judged_pairs(ds, ["I", "S", "E"])
    assert pairs.titles == ["title 1", "title 2", ""]
    assert pairs.untitled == 1 and pairs.labels.tolist() == ["E", "I", "S"]


def test_unknown_label_is_a_clear_input_error():
    ds = judged(["E", "X"], meta={"label_order": ["I", "E"]})
    with pytest.raises(InputError, match="label") as info:
        judged_pairs(ds, label_order(ds)[0])
    assert "X" in str(info.value)


# ----------------------------------------------------------------- metrics
def test_rare_labels_by_training_share():
    labels = np.array(["E"] * 70 + ["S"] * 16 + ["I"] * 10 + ["C"] * 4)
    assert sorted(rare_labels(labels)) == ["C", "I"]
    assert rare_labels(np.array(["a"] * 5 + ["b"] * 4)) == ["b"]


def test_graded_ndcg_matches_scikit_learn_per_query():
    rng = np.random.default_rng(0)
    queries = [f"q{i}" for i in rng.integers(0, 12, size=150)] + ["single"]
    gain = rng.integers(0, 4, size=151).astype(float)
    score = rng.random(151)
    value, counted = graded_ndcg(queries, gain, score, k=10)
    expected = []
    for query in sorted(set(queries)):
        rows = [i for i, q in enumerate(queries) if q == query]
        if len(rows) >= 2 and gain[rows].max() > 0:
            expected.append(skm.ndcg_score([gain[rows]], [score[rows]], k=10))
    assert counted == len(expected)
    assert value == pytest.approx(np.mean(expected), abs=1e-12)
    assert graded_ndcg(["a", "b"], np.array([1.0, 2.0]), np.array([0.1, 0.2])) is None


def test_evaluate_matches_scikit_learn():
    rng = np.random.default_rng(1)
    order = ["I", "C", "S", "E"]
    classes = np.array(["C", "E", "I", "S"])
    y_true = rng.choice(order, size=300, p=[0.15, 0.05, 0.25, 0.55])
    proba = rng.dirichlet(np.ones(4), size=300)
    regions = rng.choice(["us", "es"], size=300)
    queries = [f"q{i}" for i in rng.integers(0, 40, size=300)]
    test = Pairs(queries, [""] * 300, y_true, regions, 0)
    train_labels = np.array(["E"] * 60 + ["S"] * 25 + ["I"] * 11 + ["C"] * 4)
    rows = {(r.metric, r.group_dim, r.group): r.value for r in evaluate(test, proba, classes, order, True, train_labels)}
    y_pred = classes[proba.argmax(axis=1)]
    assert rows[("accuracy", "all", "all")] == pytest.approx(skm.accuracy_score(y_true, y_pred))
    assert rows[("macro_f1", "all", "all")] == pytest.approx(skm.f1_score(y_true, y_pred, average="macro"))
    assert rows[("weighted_f1", "all", "all")] == pytest.approx(skm.f1_score(y_true, y_pred, average="weighted"))
    assert rows[("balanced_accuracy", "all", "all")] == pytest.approx(skm.balanced_accuracy_score(y_true, y_pred))
    recall = skm.recall_score(y_true, y_pred, average=None, labels=order)
    for label, value in zip(order, recall):
        assert rows[("recall", "label", label)] == pytest.approx(value)
    assert rows[("rare_label_recall", "all", "all")] == pytest.approx((recall[0] + recall[1]) / 2)
    for region in ("us", "es"):
        mask = regions == region
        assert rows[("macro_f1", "region", region)] == pytest.approx(
            skm.f1_score(y_true[mask], y_pred[mask], average="macro"))
    gains = np.array([order.index(label) for label in y_true], dtype=float)
    expected_grade = proba @ np.array([order.index(c) for c in classes], dtype=float)
    assert rows[("ndcg@10", "all", "all")] == pytest.approx(graded_ndcg(queries, gains, expected_grade)[0])
    unordered = {r.metric for r in evaluate(test, proba, classes, order, False, train_labels)}
    assert "ndcg@10" not in unordered


# ------------------------------------------------------------------ trials
@pytest.fixture(scope="module")
def shop_split(shop):
    return TASK.split(shop, seed=0)


def headline(rows):
    return {r.metric: r.value for r in rows if r.group_dim == "all"}


def test_biencoder_beats_the_majority_grade_on_the_marketplace(shop_split, tmp_path):
    ctx = TrialContext(seed=0, model_dir=tmp_path)
    rows = headline(TASK.run(shop_split, "biencoder", strategies.get("baseline"), ctx))
    y_test = shop_split.test.judgments[C.LABEL].to_numpy()
    majority = (y_test == "exact").mean()
    majority_macro_f1 = skm.f1_score(y_test, np.full(y_test.size, "exact"), average="macro")
    assert rows["accuracy"] > majority
    assert rows["macro_f1"] > majority_macro_f1 + 0.15
    assert 0.0 <= rows["rare_label_recall"] <= 1.0 and 0.0 < rows["ndcg@10"] <= 1.0
    assert (tmp_path / "model.safetensors").is_file()


def test_remedy_raises_rare_label_recall_on_the_marketplace(shop_split):
    ctx = TrialContext(seed=0)
    plain = headline(TASK.run(shop_split, "biencoder", strategies.get("baseline"), ctx))
    remedied = headline(TASK.run(shop_split, "biencoder", strategies.get("logit-adjust"), ctx))
    assert remedied["rare_label_recall"] > plain["rare_label_recall"]


@pytest.mark.slow
def test_crossencoder_trial_runs_and_saves(shop_split, tmp_path):
    params = {"encoder_config": TINY_BERT, "epochs": 1, "max_length": 16, "batch_size": 32}
    rows = TASK.run(shop_split, "crossencoder", strategies.get("threshold"), TrialContext(seed=1, model_dir=tmp_path),
                    model_params=params)
    from longtail.models.relevance import CrossEncoder

    loaded = CrossEncoder.load(tmp_path)
    assert loaded.adjuster_ is not None and loaded.max_length == 16
    assert {"accuracy", "macro_f1", "rare_label_recall"} <= set(headline(rows))


def test_refusals_are_clear(shop_split):
    ctx = TrialContext(seed=0)
    with pytest.raises(LongtailError, match="does not apply to task relevance"):
        TASK.run(shop_split, "biencoder", strategies.get("logq"), ctx)
    with pytest.raises(LongtailError, match="unknown model 'bm25'"):
        TASK.run(shop_split, "bm25", strategies.get("baseline"), ctx)
    with pytest.raises(LongtailError, match="takes no parameter 'depth'"):
        TASK.run(shop_split, "biencoder", strategies.get("baseline"), ctx, model_params={"depth": 3})


def test_region_metrics_when_judgments_have_regions():
    rng = np.random.default_rng(0)
    n = 200
    queries = [f"query {i % 60}" for i in range(n)]
    labels = rng.choice(["E", "S", "I"], size=n, p=[0.6, 0.3, 0.1]).tolist()
    ds = judged(labels, queries=queries, region=rng.choice(["us", "jp"], size=n).tolist(),
                meta={"label_order": ["I", "S", "E"]})
    rows = TASK.run(TASK.split(ds, 0), "biencoder", strategies.get("baseline"), TrialContext(seed=0),
                    model_params={"epochs": 2})
    assert {r.group for r in rows if r.group_dim == "region"} == {"us", "jp"}


# ------------------------------------------------------------- split options and declared parameters
def test_default_split_is_the_query_split_it_always_was(shop, shop_split):
    from longtail.data.splits import random_split
    from longtail.tasks.base import split_options

    assert split_options(TASK) == {"test_size": 0.2}
    direct = random_split(shop.replace(interactions=shop.interactions.clear()), test_size=0.2, seed=0)
    assert shop_split.test.judgments.equals(direct.test.judgments)


def test_test_size_sets_the_share_of_test_queries_seeded(shop):
    split = TASK.split(shop, seed=2, test_size=0.4)
    train_q, test_q = set(split.train.judgments[C.QUERY]), set(split.test.judgments[C.QUERY])
    assert not train_q & test_q
    assert abs(len(test_q) / (len(train_q) + len(test_q)) - 0.4) < 0.02
    assert TASK.split(shop, seed=2, test_size=0.4).test.judgments.equals(split.test.judgments)
    assert not TASK.split(shop, seed=3, test_size=0.4).test.judgments.equals(split.test.judgments)


def test_bad_test_size_is_an_option_error_naming_the_key(shop):
    from longtail.tasks.base import OptionError

    with pytest.raises(OptionError, match="^test_size: True is not a number"):
        TASK.split(shop, seed=0, test_size=True)


def test_the_task_reads_no_params_and_declares_none(shop_split):
    from task_probes import ReadKeys

    params = ReadKeys()
    TASK.run(shop_split, "biencoder", strategies.get("baseline"), TrialContext(seed=0, params=params),
             model_params={"epochs": 1})
    assert params.read == set(TASK.param_names) == set()
    assert "pooling" in TASK.model_param_names("crossencoder") and "device" in TASK.model_param_names("biencoder")
