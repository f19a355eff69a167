"""Ranking metrics: a worked example, a per-user loop reference, scikit-learn where it has the metric, properties."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from metrics_reference import mean_metrics
from sklearn.metrics import (
    average_precision_score,
    label_ranking_average_precision_score,
    ndcg_score,
    top_k_accuracy_score,
)

from longtail import metrics as M

# Worked example, k = 3.
#   user 0: top 3 = [5, 2, 7], relevant {2, 1, 9}: one hit at rank 2.
#     recall 1/3, precision 1/3, hit 1, RR 1/2, AP = P@2 / min(3, 3) = (1/2) / 3 = 1/6,
#     DCG = 1/log2(3), ideal DCG = 1 + 1/log2(3) + 1/log2(4).
#   user 1: top 3 = [3, 4, 0], relevant {3, 0}: hits at ranks 1 and 3.
#     recall 1, precision 2/3, hit 1, RR 1, AP = (P@1 + P@3) / min(2, 3) = (1 + 2/3) / 2 = 5/6,
#     DCG = 1 + 1/log2(4), ideal DCG = 1 + 1/log2(3).
#   user 2: no relevant items -> skipped.
#   user 3: relevant {9}, never ranked: every metric 0.
RANKED = np.array([[5, 2, 7, 1], [3, 4, 0, 8], [6, 4, 2, 0], [1, 2, 3, 4]])
RELEVANT = [{2, 1, 9}, [3, 0], [], np.array([9])]
NDCG_0 = (1 / math.log2(3)) / (1 + 1 / math.log2(3) + 0.5)
NDCG_1 = 1.5 / (1 + 1 / math.log2(3))
EXPECTED = {
    "recall": (1 / 3 + 1 + 0) / 3,
    "precision": (1 / 3 + 2 / 3 + 0) / 3,
    "hit_rate": 2 / 3,
    "mrr": (1 / 2 + 1 + 0) / 3,
    "map": (1 / 6 + 5 / 6 + 0) / 3,
    "ndcg": (NDCG_0 + NDCG_1 + 0) / 3,
}
FUNCTIONS = {
    "recall": M.recall_at_k,
    "precision": M.precision_at_k,
    "hit_rate": M.hit_rate_at_k,
    "mrr": M.mrr,
    "map": M.map_at_k,
    "ndcg": M.ndcg_at_k,
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_worked_example(name):
    assert FUNCTIONS[name](RANKED, RELEVANT, k=3) == pytest.approx(EXPECTED[name])


def test_report_counts_skipped_users():
    report = M.ranking_report(RANKED, RELEVANT, k=3)
    assert report["n_users"] == 4 and report["n_users_skipped"] == 1 and report["k"] == 3
    for name, value in EXPECTED.items():
        assert report[name] == pytest.approx(value)
    per_user = M.per_user_ranking(RANKED, RELEVANT, k=3)
    assert np.isnan(per_user["recall"][2])
    np.testing.assert_allclose(per_user["ndcg"][[0, 1, 3]], [NDCG_0, NDCG_1, 0.0])


def test_graded_gains_by_hand():
    # User 0 with gains {2: 3, 1: 1, 9: 2}: DCG = 3/log2(3); ideal = 3 + 2/log2(3) + 1/log2(4).
    expected = (3 / math.log2(3)) / (3 + 2 / math.log2(3) + 0.5)
    dict_gains = [{2: 3, 1: 1, 9: 2}]
    assert M.ndcg_at_k(RANKED[:1], [{2, 1, 9}], k=3, gains=dict_gains) == pytest.approx(expected)
    # The same gains as an array parallel to a list of relevant items.
    assert M.ndcg_at_k(RANKED[:1], [[2, 1, 9]], k=3, gains=[[3, 1, 2]]) == pytest.approx(expected)


def test_sparse_relevant_matches_list():
    rows = [0, 0, 0, 1, 1, 3]
    cols = [2, 1, 9, 3, 0, 9]
    matrix = sp.csr_matrix((np.ones(6), (rows, cols)), shape=(4, 10))
    assert M.ranking_report(RANKED, matrix, k=3) == pytest.approx(M.ranking_report(RANKED, RELEVANT, k=3))


def test_empty_slots_are_never_hits():
    ranked = np.array([[4, -1, -1]])
    assert M.precision_at_k(ranked, [[4, 0]], k=3) == pytest.approx(1 / 3)
    assert M.recall_at_k(ranked, [[4, 0]], k=3) == pytest.approx(0.5)


def test_no_user_with_relevant_items_gives_nan():
    assert np.isnan(M.recall_at_k(RANKED, [[], [], [], []], k=2))


def _random_case(seed, n_users=40, n_items=60, width=20):
    rng = np.random.default_rng(seed)
    ranked = np.array([rng.permutation(n_items)[:width] for _ in range(n_users)])
    # Relevant items are drawn partly from the top of the list so that hits happen.
    relevant = []
    for u in range(n_users):
        size = int(rng.integers(0, 8))
        pool = np.concatenate([ranked[u, :10], rng.permutation(n_items)[:10]])
        relevant.append(np.unique(rng.choice(pool, size=size)) if size else np.array([], dtype=int))
    gains = [{int(i): float(rng.integers(1, 4)) for i in rel} for rel in relevant]
    return ranked, relevant, gains


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [1, 5, 20])
def test_matches_loop_reference(seed, k):
    ranked, relevant, gains = _random_case(seed)
    report = M.ranking_report(ranked, relevant, k=k)
    expected = mean_metrics(ranked, relevant, k)
    for name, value in expected.items():
        assert report[name] == pytest.approx(value), name
    graded = mean_metrics(ranked, relevant, k, gains)["ndcg"]
    assert M.ndcg_at_k(ranked, relevant, k=k, gains=gains) == pytest.approx(graded)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [1, 3, 10])
def test_ndcg_matches_sklearn_on_dense_relevance(seed, k):
    rng = np.random.default_rng(seed)
    n_users, n_items = 30, 25
    true = rng.integers(0, 4, size=(n_users, n_items)) * (rng.random((n_users, n_items)) < 0.3)
    true[np.arange(n_users), rng.integers(0, n_items, size=n_users)] = 2  # every user has a relevant item
    scores = rng.random((n_users, n_items))
    ranked = np.argsort(-scores, axis=1)
    relevant = [np.flatnonzero(row) for row in true]
    gains = [row[np.flatnonzero(row)] for row in true]
    assert M.ndcg_at_k(ranked, relevant, k=k, gains=gains) == pytest.approx(ndcg_score(true, scores, k=k))
    binary = (true > 0).astype(float)
    assert M.ndcg_at_k(ranked, relevant, k=k) == pytest.approx(ndcg_score(binary, scores, k=k))


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("k", [1, 3, 10])
def test_hit_rate_matches_sklearn_top_k_accuracy(seed, k):
    # One relevant item per user (the next purchase, the true category): HitRate@K is top-k accuracy.
    rng = np.random.default_rng(seed)
    n_users, n_items = 60, 20
    scores = rng.random((n_users, n_items))
    target = rng.integers(0, n_items, size=n_users)
    ranked = np.argsort(-scores, axis=1)
    expected = top_k_accuracy_score(target, scores, k=k, labels=np.arange(n_items))
    assert M.hit_rate_at_k(ranked, [[t] for t in target], k=k) == pytest.approx(expected)
    assert M.recall_at_k(ranked, [[t] for t in target], k=k) == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(3))
def test_map_over_the_whole_list_matches_sklearn_average_precision(seed):
    # With K = n_items, min(|R_u|, K) = |R_u| and AP@K is plain average precision.
    rng = np.random.default_rng(seed)
    n_users, n_items = 40, 25
    true = rng.random((n_users, n_items)) < 0.2
    true[:, 0] = True  # every user has a relevant item ...
    true[:, 1] = False  # ... and an irrelevant one
    scores = rng.random((n_users, n_items))
    ranked = np.argsort(-scores, axis=1)
    relevant = [np.flatnonzero(row) for row in true]
    per_user = [average_precision_score(true[u], scores[u]) for u in range(n_users)]
    assert M.map_at_k(ranked, relevant, k=n_items) == pytest.approx(np.mean(per_user))
    assert M.map_at_k(ranked, relevant, k=n_items) == pytest.approx(label_ranking_average_precision_score(true, scores))


@st.composite
def _cases(draw):
    n_items = draw(st.integers(1, 25))
    n_users = draw(st.integers(1, 6))
    k = draw(st.integers(1, n_items))
    ranked = np.array([draw(st.permutations(range(n_items))) for _ in range(n_users)])
    relevant = [draw(st.sets(st.integers(0, n_items - 1), max_size=n_items)) for _ in range(n_users)]
    return ranked, relevant, k


@settings(max_examples=60, deadline=None)
@given(_cases())
def test_metrics_lie_in_unit_interval(case):
    ranked, relevant, k = case
    report = M.ranking_report(ranked, relevant, k=k)
    for name in FUNCTIONS:
        value = report[name]
        assert np.isnan(value) or 0.0 <= value <= 1.0 + 1e-12


@settings(max_examples=60, deadline=None)
@given(_cases(), st.data())
def test_ideal_ranking_scores_one(case, data):
    ranked, relevant, k = case
    n_items = ranked.shape[1]
    ideal_rows, gains = [], []
    for rel in relevant:
        g = {i: float(data.draw(st.integers(1, 5))) for i in rel}
        best = sorted(rel, key=lambda i: -g[i])
        ideal_rows.append(best + [i for i in range(n_items) if i not in rel])
        gains.append(g)
    ideal = np.array(ideal_rows)
    report = M.ranking_report(ideal, relevant, k=k)
    if report["n_users_skipped"] < len(relevant):
        assert report["ndcg"] == pytest.approx(1.0)
        assert report["map"] == pytest.approx(1.0)
        assert report["hit_rate"] == 1.0
        assert report["mrr"] == 1.0
        assert M.ndcg_at_k(ideal, relevant, k=k, gains=gains) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "kwargs, param",
    [
        (dict(k=0), "k"),
        (dict(k=True), "k"),
        (dict(k=2.0), "k"),
        (dict(k=5), "ranked"),
        (dict(k=2, ranked=np.array([[0.0, 1.0]] * 4)), "ranked"),
        (dict(k=2, ranked=np.array([[0, 0]] * 4)), "ranked"),
        (dict(k=2, ranked=np.array([[0, -2]] * 4)), "ranked"),
        (dict(k=2, relevant=[[1], [2]]), "relevant"),
        (dict(k=2, relevant=[[1.5], [2], [], []]), "relevant"),
        (dict(k=2, relevant=[[-1], [2], [], []]), "relevant"),
        (dict(k=2, relevant=[[1], [2], [], []], gains=[[1.0], [-1.0], [], []]), "gains"),
        (dict(k=2, relevant=[{1, 2}, [2], [], []], gains=[[1.0, 2.0], [1.0], [], []]), "gains"),
        (dict(k=2, relevant=[[1], [2], [], []], gains=[{3: 1.0}, [1.0], [], []]), "gains"),
        (dict(k=2, relevant=[[1], [2], [], []], gains=[[1.0]]), "gains"),
        (dict(k=2, relevant=[[1, 1], [2], [], []], gains=[[1.0, 2.0], [1.0], [], []]), "relevant"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, param):
    args = dict(ranked=RANKED, relevant=RELEVANT)
    args.update(kwargs)
    with pytest.raises(ValueError, match=param):
        M.ndcg_at_k(args.pop("ranked"), args.pop("relevant"), **args)
