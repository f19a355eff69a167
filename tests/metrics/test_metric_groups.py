"""by_group equals the metric on each subset; group_summary by hand."""

import numpy as np
import pytest
import scipy.sparse as sp

from longtail import metrics as M


def test_classification_by_group_equals_subsets():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, size=200)
    y_pred = np.where(rng.random(200) < 0.5, y_true, rng.integers(0, 4, size=200))
    region = rng.choice(["north", "south", "east"], size=200)
    per_group = M.by_group(M.macro_f1, region, y_true, y_pred)
    assert list(per_group) == ["east", "north", "south"]
    for name, value in per_group.items():
        subset = region == name
        assert value == M.macro_f1(y_true[subset], y_pred[subset])
    # Keyword arguments pass through unchanged.
    labelled = M.by_group(M.macro_f1, region, y_true, y_pred, labels=[0, 1, 2, 3])
    assert labelled["east"] == M.macro_f1(y_true[region == "east"], y_pred[region == "east"], labels=[0, 1, 2, 3])


def test_ranking_by_group_equals_subsets():
    rng = np.random.default_rng(1)
    ranked = np.array([rng.permutation(30)[:10] for _ in range(50)])
    relevant = [rng.choice(30, size=rng.integers(0, 5), replace=False) for _ in range(50)]
    group = rng.integers(0, 3, size=50)
    per_group = M.by_group(M.ndcg_at_k, group, ranked, relevant, k=5)
    for g, value in per_group.items():
        index = np.flatnonzero(group == g)
        assert value == M.ndcg_at_k(ranked[index], [relevant[i] for i in index], k=5)
    # A sparse relevant matrix is split by row the same way.
    rows = np.repeat(np.arange(50), [len(r) for r in relevant])
    matrix = sp.csr_matrix((np.ones(rows.size), (rows, np.concatenate(relevant))), shape=(50, 30))
    assert M.by_group(M.ndcg_at_k, group, ranked, matrix, k=5) == pytest.approx(per_group)
    popularity = rng.random(30)
    arp = M.by_group(M.average_recommendation_popularity, group, ranked, item_popularity=popularity, k=5)
    assert arp[0] == M.average_recommendation_popularity(ranked[group == 0], popularity, k=5)


def test_min_size_drops_small_groups():
    per_group = M.by_group(M.accuracy, ["a", "a", "b"], [1, 0, 1], [1, 1, 1], min_size=2)
    assert per_group == {"a": 0.5}


def test_group_summary_by_hand():
    summary = M.group_summary({"a": 0.2, "b": 0.8, "c": 0.5, "d": float("nan")})
    assert summary["min"] == 0.2 and summary["argmin"] == "a" and summary["max"] == 0.8
    assert summary["spread"] == pytest.approx(0.6)
    assert summary["ratio"] == pytest.approx(0.25)
    assert summary["mean"] == pytest.approx(0.5)
    assert summary["cv"] == pytest.approx(np.std([0.2, 0.8, 0.5]) / 0.5)


def test_per_class_recall_summary():
    recall = M.per_class_recall([0, 0, 1, 1, 2], [0, 0, 1, 0, 0])
    summary = M.group_summary(recall)
    assert summary["argmin"] == 2 and summary["min"] == 0.0 and summary["spread"] == 1.0


@pytest.mark.parametrize(
    "call, param",
    [
        (lambda: M.by_group(M.accuracy, ["a", "b"], [1, 0, 1], [1, 1, 1]), "rows"),
        (lambda: M.by_group(M.accuracy, ["a", "b"]), "rows"),
        (lambda: M.by_group(M.accuracy, ["a", "b"], [1, 0], [1, 1], min_size=0), "min_size"),
        (lambda: M.group_summary({"a": float("nan")}), "per_group"),
    ],
)
def test_bad_input_names_the_parameter(call, param):
    with pytest.raises(ValueError, match=param):
        call()
