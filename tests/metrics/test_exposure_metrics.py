"""Long-tail and exposure metrics: hand-computed values, Elliot-style set references, Gini properties."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from metrics_reference import gini_pairs, pop_reo_sets, pop_rsp_sets

from longtail import metrics as M

# Worked example, k = 2, 5 items: the lists are {0, 1}, {0, 2}, {1, 0}.
# Exposure counts: item 0 -> 3, item 1 -> 2, item 2 -> 1, items 3, 4 -> 0.
RANKED = np.array([[0, 1, 4], [0, 2, 1], [1, 0, 3]])
POPULARITY = np.array([10.0, 5.0, 1.0, 0.0, 3.0])
TAIL = [2, 3, 4]


def test_exposure_by_hand():
    np.testing.assert_array_equal(M.exposure_counts(RANKED, 5, k=2), [3, 2, 1, 0, 0])
    # Position-weighted: rank 1 counts 1, rank 2 counts 0.5.
    np.testing.assert_allclose(M.exposure_counts(RANKED, 5, k=2, rank_weights=[1, 0.5]), [2.5, 1.5, 0.5, 0, 0])
    assert M.item_coverage(RANKED, 5, k=2) == pytest.approx(3 / 5)
    # Sorted counts 0, 0, 1, 2, 3 with weights 2i - n - 1 = -4, -2, 0, 2, 4: 16 / (5 * 6).
    assert M.exposure_gini(RANKED, 5, k=2) == pytest.approx(16 / 30)
    p = np.array([3, 2, 1]) / 6
    assert M.exposure_entropy(RANKED, 5, k=2) == pytest.approx(-(p * np.log(p)).sum())
    assert M.exposure_entropy(RANKED, 5, k=2, normalized=True) == pytest.approx(-(p * np.log(p)).sum() / math.log(5))


@pytest.mark.parametrize("seed", range(3))
def test_exposure_entropy_matches_scipy(seed):
    from scipy.stats import entropy

    rng = np.random.default_rng(seed)
    ranked = np.array([rng.choice(40, size=10, replace=False, p=np.linspace(3, 0.1, 40) / np.linspace(3, 0.1, 40).sum())
                       for _ in range(30)])
    counts = np.bincount(ranked[:, :5].ravel(), minlength=40)
    assert M.exposure_entropy(ranked, 40, k=5) == pytest.approx(entropy(counts))
    assert M.exposure_entropy(ranked, 40, k=5, normalized=True) == pytest.approx(entropy(counts) / math.log(40))


def test_popularity_and_tail_by_hand():
    # Mean popularity per list: (10 + 5) / 2, (10 + 1) / 2, (5 + 10) / 2.
    assert M.average_recommendation_popularity(RANKED, POPULARITY, k=2) == pytest.approx((7.5 + 5.5 + 7.5) / 3)
    # Only user 1 gets a tail item (item 2): shares 0, 1/2, 0; counts 0, 1, 0.
    assert M.aplt(RANKED, TAIL, k=2) == pytest.approx(1 / 6)
    mask = np.isin(np.arange(5), TAIL)
    assert M.aplt(RANKED, mask, k=2) == pytest.approx(1 / 6)
    assert M.aclt(RANKED, TAIL, k=2) == pytest.approx(1 / 3)
    # Tail items 2, 3, 4: only item 2 is ever shown.
    assert M.tail_coverage(RANKED, TAIL, k=2) == pytest.approx(1 / 3)
    # k = 3 adds items 4, 1, 3: user 0 gets tail item 4, user 1 item 2, user 2 item 3.
    assert M.aplt(RANKED, TAIL, k=3) == pytest.approx(1 / 3)
    assert M.tail_coverage(RANKED, TAIL, k=3) == pytest.approx(1.0)


def test_tail_percentage_follows_recbole():
    # tail_ratio 0.4: the int(5 * 0.4) = 2 least popular items, 3 (0) and 2 (1).
    assert M.tail_percentage(RANKED, POPULARITY, k=2, tail_ratio=0.4) == pytest.approx(1 / 6)
    # tail_ratio 3 (> 1): every item with popularity <= 3, i.e. 2, 3 and 4.
    assert M.tail_percentage(RANKED, POPULARITY, k=3, tail_ratio=3) == pytest.approx(1 / 3)


def test_empty_slots_are_not_exposure():
    ranked = np.array([[0, -1], [1, 0]])
    np.testing.assert_array_equal(M.exposure_counts(ranked, 3, k=2), [2, 1, 0])
    # User 0 has one item (popularity 10), user 1 two (10 and 5).
    assert M.average_recommendation_popularity(ranked, POPULARITY[:3], k=2) == pytest.approx((10 + 7.5) / 2)


def test_popularity_buckets_by_hand():
    # Sorted by popularity: items 0 (10), 1 (5), 4 (3), 2 (1), 3 (0); 19 interactions.
    # Share of interactions before each: 0, 10/19, 15/19, 18/19, 19/19.
    np.testing.assert_array_equal(M.popularity_buckets(POPULARITY, 3), [0, 1, 2, 2, 2])
    np.testing.assert_array_equal(M.popularity_buckets(POPULARITY, head_share=0.5), [0, 1, 1, 1, 1])
    np.testing.assert_array_equal(M.popularity_buckets(POPULARITY, head_share=0.6), [0, 0, 1, 1, 1])
    # By items: shares before are 0, 0.2, 0.4, 0.6, 0.8.
    np.testing.assert_array_equal(M.popularity_buckets(POPULARITY, head_share=0.2, by="items"), [0, 1, 1, 1, 1])
    np.testing.assert_array_equal(M.popularity_buckets(POPULARITY, 5, by="items"), [0, 1, 3, 4, 2])


def _elliot_short_head(popularity, ratio):
    limit = popularity.sum() * ratio
    head = []
    for item in sorted(range(popularity.size), key=lambda i: -popularity[i]):
        head.append(item)
        limit -= popularity[item]
        if limit <= 0:
            break
    return set(head)


@pytest.mark.parametrize("seed", range(5))
def test_head_share_reproduces_elliot_short_head(seed):
    popularity = np.random.default_rng(seed).zipf(1.6, size=200).astype(float)
    buckets = M.popularity_buckets(popularity, head_share=0.8)
    assert set(np.flatnonzero(buckets == 0)) == _elliot_short_head(popularity, 0.8)


def _random_lists(seed, n_users=60, n_items=50, k=10):
    rng = np.random.default_rng(seed)
    popularity = rng.zipf(1.5, size=n_items).astype(float)
    p = popularity / popularity.sum()
    ranked = np.array([rng.choice(n_items, size=k + 5, replace=False, p=p) for _ in range(n_users)])
    relevant = [rng.choice(n_items, size=rng.integers(0, 6), replace=False) for _ in range(n_users)]
    train = [rng.choice(n_items, size=rng.integers(0, 10), replace=False) for _ in range(n_users)]
    return ranked, relevant, train, popularity


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("split", [dict(head_share=0.2, by="items"), dict(head_share=0.8, by="interactions")])
def test_pop_reo_and_rsp_match_set_reference(seed, split):
    ranked, relevant, train, popularity = _random_lists(seed)
    buckets = M.popularity_buckets(popularity, **split)
    head, tail = set(np.flatnonzero(buckets == 0)), set(np.flatnonzero(buckets == 1))
    assert M.pop_reo(ranked, relevant, popularity, k=10, **split) == pytest.approx(
        pop_reo_sets(ranked, relevant, head, tail, 10)
    )
    assert M.pop_rsp(ranked, popularity, k=10, exclude=train, **split) == pytest.approx(
        pop_rsp_sets(ranked, train, head, tail, 10)
    )
    assert M.pop_rsp(ranked, popularity, k=10, **split) == pytest.approx(
        pop_rsp_sets(ranked, [[]] * len(ranked), head, tail, 10)
    )


def test_recall_by_item_group_by_hand():
    ranked = np.array([[0, 1], [2, 3]])
    relevant = [[0, 2], [3, 4]]
    groups = np.array(["a", "a", "b", "b", "b"])
    # Group a: relevant item 0 found (1 of 1). Group b: relevant 2, 3, 4; only 3 found (1 of 3).
    per_group = M.recall_by_item_group(ranked, relevant, groups, k=2)
    assert per_group == pytest.approx({"a": 1.0, "b": 1 / 3})
    values = np.array([1.0, 1 / 3])
    assert M.reo(ranked, relevant, groups, k=2) == pytest.approx(values.std() / values.mean())
    # Slots per group: a 2, b 2; items available per group over 2 users: a 4, b 6.
    shown = np.array([2 / 4, 2 / 6])
    assert M.rsp(ranked, groups, k=2) == pytest.approx(shown.std() / shown.mean())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=1, max_size=40).filter(lambda xs: sum(xs) > 0), st.randoms())
def test_gini_properties(counts, random):
    x = np.array(counts, dtype=float)
    value = M.gini(x)
    assert value == pytest.approx(gini_pairs(x), abs=1e-12)
    assert 0.0 <= value <= 1.0 - 1.0 / x.size + 1e-12
    shuffled = list(x)
    random.shuffle(shuffled)
    assert M.gini(shuffled) == pytest.approx(value, abs=1e-12)
    assert M.gini(3.5 * x) == pytest.approx(value, abs=1e-12)
    # Replicating the population leaves the Gini unchanged.
    assert M.gini(np.tile(x, 3)) == pytest.approx(value, abs=1e-12)


def test_gini_extremes_and_profiler_agreement():
    assert M.gini([4, 4, 4, 4]) == 0.0
    assert M.gini([0, 0, 0, 7]) == pytest.approx(0.75)
    from longtail.profile.stats import gini as profile_gini

    x = np.random.default_rng(0).zipf(1.7, size=500)
    assert M.gini(x) == pytest.approx(profile_gini(x))


@pytest.mark.parametrize(
    "call, param",
    [
        (lambda: M.gini([]), "counts"),
        (lambda: M.gini([1, -1]), "counts"),
        (lambda: M.gini([0, 0]), "counts"),
        (lambda: M.item_coverage(RANKED, 3, k=3), "ranked"),
        (lambda: M.item_coverage(RANKED, 0, k=2), "n_items"),
        (lambda: M.exposure_gini(RANKED, 5, k=4), "ranked"),
        (lambda: M.exposure_counts(RANKED, 5, k=2, rank_weights=[1.0]), "rank_weights"),
        (lambda: M.average_recommendation_popularity(RANKED, POPULARITY[:3], k=3), "ranked"),
        (lambda: M.aplt(RANKED, [7], k=2, n_items=5), "tail_items"),
        (lambda: M.aplt(RANKED, np.ones(3, dtype=bool), k=3), "ranked"),
        (lambda: M.popularity_buckets(POPULARITY), "n_buckets"),
        (lambda: M.popularity_buckets(POPULARITY, 0), "n_buckets"),
        (lambda: M.popularity_buckets(POPULARITY, head_share=1.5), "head_share"),
        (lambda: M.popularity_buckets(POPULARITY, 2, by="users"), "by"),
        (lambda: M.tail_percentage(RANKED, POPULARITY, k=2, tail_ratio=0), "tail_ratio"),
        (lambda: M.rsp(RANKED, [0, 1], k=2), "ranked"),
    ],
)
def test_bad_input_names_the_parameter(call, param):
    with pytest.raises(ValueError, match=param):
        call()
