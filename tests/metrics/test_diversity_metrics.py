"""Intra-list diversity against a pairwise loop, category coverage by hand."""

import numpy as np
import pytest
from metrics_reference import ild_pairs

from longtail import metrics as M
from longtail.metrics import diversity


def test_ild_by_hand():
    # Items 0 and 1 are orthogonal (distance 1), 0 and 2 identical in direction (distance 0),
    # 1 and 2 orthogonal (distance 1). List [0, 1, 2]: mean of 1, 0, 1 = 2/3. List [0, 2]: 0.
    emb = np.array([[1.0, 0.0], [0.0, 3.0], [2.0, 0.0]])
    assert M.intra_list_diversity(np.array([[0, 1, 2]]), emb, k=3) == pytest.approx(2 / 3)
    assert M.intra_list_diversity(np.array([[0, 2, 1], [0, 1, 2]]), emb, k=2) == pytest.approx(0.5)


@pytest.mark.parametrize("seed", range(3))
def test_ild_matches_pairwise_loop(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    emb = rng.normal(size=(40, 8))
    ranked = np.array([rng.permutation(40)[:12] for _ in range(25)])
    ranked[3, 5:] = -1  # a short list
    ranked[4, 1:] = -1  # a single item: no pairs, left out
    expected = ild_pairs(ranked, emb, 10)
    assert M.intra_list_diversity(ranked, emb, k=10) == pytest.approx(expected)
    # Tiny batches give the same answer.
    monkeypatch.setattr(diversity, "_BATCH_VALUES", 1)
    assert M.intra_list_diversity(ranked, emb, k=10) == pytest.approx(expected)


def test_category_coverage_by_hand():
    categories = np.array(["shoes", "shoes", "bags", "hats", "toys"])
    ranked = np.array([[0, 2, 4], [1, 0, 3]])
    # k = 2 shows items 0, 2, 1: shoes and bags, 2 of 4 categories.
    assert M.category_coverage(ranked, categories, k=2) == pytest.approx(0.5)
    assert M.category_coverage(ranked, categories, k=3) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "call, param",
    [
        (lambda: M.intra_list_diversity(np.array([[0, 1]]), np.zeros((2, 3)), k=2), "item_embeddings"),
        (lambda: M.intra_list_diversity(np.array([[0, 1]]), np.ones(3), k=2), "item_embeddings"),
        (lambda: M.intra_list_diversity(np.array([[0, 5]]), np.ones((2, 3)), k=2), "ranked"),
        (lambda: M.category_coverage(np.array([[0, 5]]), ["a", "b"], k=2), "ranked"),
    ],
)
def test_bad_input_names_the_parameter(call, param):
    with pytest.raises(ValueError, match=param):
        call()
