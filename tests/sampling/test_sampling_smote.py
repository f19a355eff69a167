"""SMOTE, Borderline-SMOTE and ADASYN against their definitions and imbalanced-learn."""

from __future__ import annotations

import numpy as np
import pytest
from imblearn import over_sampling as imb
from sklearn.neighbors import NearestNeighbors

from longtail.sampling import ADASYN, SMOTE, BorderlineSMOTE


def _data(seed: int, sizes=(200, 40, 25), d=4, shift=1.2):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(len(sizes)), sizes)
    X = rng.standard_normal((y.size, d)) + shift * y[:, None] * rng.standard_normal(d)
    order = rng.permutation(y.size)
    return X[order], y[order]


def _fit_segments(points, starts, ends):
    """For each point, the segment ``starts[p] -> ends[p]`` nearest to it: ``(pair, s, miss)``.

    ``s`` is the position along the segment (``point = start + s (end - start)``
    when ``miss``, the distance from the line, is 0).
    """
    direction = ends - starts
    offset = points[:, None, :] - starts[None, :, :]
    s = np.einsum("mpd,pd->mp", offset, direction) / np.einsum("pd,pd->p", direction, direction)
    miss = np.linalg.norm(offset - s[:, :, None] * direction[None], axis=2)
    pair = miss.argmin(axis=1)
    rows = np.arange(points.shape[0])
    return pair, s[rows, pair], miss[rows, pair]


def _pairs(bases, pool, neighbour_rows):
    """Start and end points of every (base row, neighbour) pair, and the pair list."""
    pairs = [(i, j) for i, row in enumerate(neighbour_rows) for j in row]
    starts = np.array([bases[i] for i, _ in pairs])
    ends = np.array([pool[j] for _, j in pairs])
    return starts, ends, pairs


def _assert_on_segments(new_rows, bases, pool, k):
    """Each new row lies on a segment from a base row to one of its k nearest pool rows (sklearn)."""
    near = NearestNeighbors(n_neighbors=k + 1).fit(pool).kneighbors(bases, return_distance=False)[:, 1:]
    starts, ends, _ = _pairs(bases, pool, near)
    _, s, miss = _fit_segments(new_rows, starts, ends)
    assert (miss < 1e-9).all()
    assert ((s >= -1e-12) & (s < 1 + 1e-12)).all()


def test_smote_rows_lie_on_segments_to_the_k_nearest_same_class_rows():
    X, y = _data(0, sizes=(80, 15))
    X_res, y_res = SMOTE(k_neighbors=3, random_state=1).fit_resample(X, y)
    np.testing.assert_array_equal(X_res[: len(X)], X)
    new = X_res[len(X) :]
    assert (y_res[len(X) :] == 1).all() and len(new) == 65
    members = X[y == 1]
    _assert_on_segments(new, members, members, 3)


def test_smote_neighbours_equal_sklearn_and_every_pair_gets_used():
    X, y = _data(1, sizes=(400, 30))
    X_res, _ = SMOTE(k_neighbors=4, random_state=0, sampling_strategy={1: 5030}).fit_resample(X, y)
    members = X[y == 1]
    near = NearestNeighbors(n_neighbors=5).fit(members).kneighbors(members, return_distance=False)[:, 1:]
    starts, ends, pairs = _pairs(members, members, near)
    pair, s, miss = _fit_segments(X_res[len(X) :], starts, ends)
    assert (miss < 1e-9).all() and ((s >= 0) & (s < 1)).all()
    assert set(pair.tolist()) == set(range(len(pairs)))


@pytest.mark.parametrize("strategy", ["auto", "minority", "not majority", "all", {1: 120, 2: 60}, lambda y: {2: 90}])
def test_class_counts_match_imblearn(strategy):
    for seed in range(4):
        X, y = _data(seed)
        for ours, theirs in [
            (SMOTE(sampling_strategy=strategy, random_state=seed), imb.SMOTE(sampling_strategy=strategy, random_state=seed)),
            (BorderlineSMOTE(sampling_strategy=strategy, random_state=seed), imb.BorderlineSMOTE(sampling_strategy=strategy, random_state=seed)),
            (ADASYN(sampling_strategy=strategy, random_state=seed), imb.ADASYN(sampling_strategy=strategy, random_state=seed)),
        ]:
            np.testing.assert_array_equal(np.bincount(ours.fit_resample(X, y)[1]), np.bincount(theirs.fit_resample(X, y)[1]))


def test_binary_ratio_matches_imblearn():
    X, y = _data(3, sizes=(150, 20))
    for ratio in (0.3, 0.5, 1.0):
        for ours, theirs in [(SMOTE, imb.SMOTE), (BorderlineSMOTE, imb.BorderlineSMOTE), (ADASYN, imb.ADASYN)]:
            y_ours = ours(sampling_strategy=ratio, random_state=0).fit_resample(X, y)[1]
            y_theirs = theirs(sampling_strategy=ratio, random_state=0).fit_resample(X, y)[1]
            np.testing.assert_array_equal(np.bincount(y_ours), np.bincount(y_theirs))


@pytest.mark.parametrize("kind", ["borderline-1", "borderline-2"])
def test_borderline_danger_set_and_counts_equal_imblearn(kind):
    for seed in range(5):
        X, y = _data(seed, shift=0.8)
        ours = BorderlineSMOTE(kind=kind, random_state=seed)
        theirs = imb.BorderlineSMOTE(kind=kind, random_state=seed)
        y_ours, y_theirs = ours.fit_resample(X, y)[1], theirs.fit_resample(X, y)[1]
        assert ours.danger_indices_.keys() == theirs.in_danger_indices.keys()
        for label, rows in theirs.in_danger_indices.items():
            np.testing.assert_array_equal(ours.danger_indices_[label], rows)
        np.testing.assert_array_equal(np.bincount(y_ours), np.bincount(y_theirs))


def test_borderline_1_rows_start_from_danger_rows():
    X, y = _data(2, sizes=(120, 30), shift=0.7)
    sampler = BorderlineSMOTE(k_neighbors=3, random_state=0)
    X_res, _ = sampler.fit_resample(X, y)
    danger = sampler.danger_indices_[1]
    members = X[y == 1]
    near = NearestNeighbors(n_neighbors=4).fit(members).kneighbors(X[danger], return_distance=False)[:, 1:]
    starts, ends, _ = _pairs(X[danger], members, near)
    _, s, miss = _fit_segments(X_res[len(X) :], starts, ends)
    assert (miss < 1e-9).all() and ((s >= 0) & (s < 1)).all()


def test_borderline_2_steps_towards_other_classes_are_at_most_half():
    X, y = _data(4, sizes=(150, 40), shift=0.6)
    sampler = BorderlineSMOTE(kind="borderline-2", k_neighbors=4, random_state=0)
    X_res, _ = sampler.fit_resample(X, y)
    danger = sampler.danger_indices_[1]
    near = NearestNeighbors(n_neighbors=5).fit(X).kneighbors(X[danger], return_distance=False)[:, 1:]
    starts, ends, pairs = _pairs(X[danger], X, near)
    pair, s, miss = _fit_segments(X_res[len(X) :], starts, ends)
    assert (miss < 1e-9).all() and (s >= 0).all()
    other = np.array([y[pairs[p][1]] != 1 for p in pair])
    assert other.any()
    assert (s[other] < 0.5).all() and (s[~other] < 1).all()


def test_adasyn_counts_follow_the_formula_and_totals_equal_imblearn():
    for seed in range(4):
        X, y = _data(seed, shift=0.9)
        sampler = ADASYN(n_neighbors=5, random_state=seed)
        y_res = sampler.fit_resample(X, y)[1]
        y_imb = imb.ADASYN(n_neighbors=5, random_state=seed).fit_resample(X, y)[1]
        np.testing.assert_array_equal(np.bincount(y_res), np.bincount(y_imb))
        near = NearestNeighbors(n_neighbors=6).fit(X)
        for label, n_new in sampler.sampling_strategy_.items():
            rows = np.flatnonzero(y == label)
            hard = (y[near.kneighbors(X[rows], return_distance=False)[:, 1:]] != label).mean(axis=1)
            np.testing.assert_array_equal(sampler.per_row_counts_[label], np.rint(hard / hard.sum() * n_new).astype(int))


def test_adasyn_rows_lie_on_segments_from_their_base_rows():
    X, y = _data(5, sizes=(100, 20), shift=0.8)
    sampler = ADASYN(n_neighbors=3, random_state=0)
    X_res, _ = sampler.fit_resample(X, y)
    members = X[y == 1]
    bases = np.repeat(np.arange(20), sampler.per_row_counts_[1])
    near = NearestNeighbors(n_neighbors=4).fit(members).kneighbors(members, return_distance=False)[:, 1:]
    for col in range(3):
        starts, ends = members[bases], members[near[bases, col]]
        direction = ends - starts
        offset = X_res[len(X) :] - starts
        s = np.einsum("md,md->m", offset, direction) / np.einsum("md,md->m", direction, direction)
        miss = np.linalg.norm(offset - s[:, None] * direction, axis=1)
        on_this = miss < 1e-9
        assert ((s[on_this] >= 0) & (s[on_this] < 1)).all()
        found = on_this if col == 0 else found | on_this
    assert found.all()


@pytest.mark.slow
def test_same_seed_same_rows_and_device_cpu_gives_the_same_result():
    pytest.importorskip("torch")
    X, y = _data(6)
    first = SMOTE(random_state=3).fit_resample(X, y)[0]
    np.testing.assert_array_equal(first, SMOTE(random_state=3).fit_resample(X, y)[0])
    np.testing.assert_array_equal(first, SMOTE(random_state=3, device="cpu").fit_resample(X, y)[0])
    assert not np.array_equal(first, SMOTE(random_state=4).fit_resample(X, y)[0])


def test_float32_stays_float32_and_integers_become_float64():
    X, y = _data(7)
    assert SMOTE(random_state=0).fit_resample(X.astype(np.float32), y)[0].dtype == np.float32
    assert SMOTE(random_state=0).fit_resample(np.rint(X * 10).astype(np.int64), y)[0].dtype == np.float64


def test_approximate_search_still_makes_rows_on_segments():
    X, y = _data(8, sizes=(100, 60))
    X_res, y_res = SMOTE(search="approximate", k_neighbors=3, random_state=0).fit_resample(X, y)
    assert np.bincount(y_res).tolist() == [100, 100]
    members = X[y == 1]
    every_pair = [[j for j in range(60) if j != i] for i in range(60)]
    starts, ends, _ = _pairs(members, members, every_pair)
    _, s, miss = _fit_segments(X_res[len(X) :], starts, ends)
    assert (miss < 1e-9).all() and ((s >= 0) & (s < 1)).all()


@pytest.mark.parametrize(
    "sampler, X_change, y_change, fragment",
    [
        (SMOTE(k_neighbors=5), None, lambda y: np.r_[y[y == 0], [1, 1, 1, 1, 1]], "k_neighbors=5 .*lower k_neighbors to at most 4"),
        (ADASYN(n_neighbors=9), None, lambda y: np.r_[y[y == 0], [1] * 9], "n_neighbors=9 .*lower n_neighbors to at most 8"),
        (BorderlineSMOTE(k_neighbors=6, m_neighbors=8), None, lambda y: np.r_[y[y == 0], [1] * 6], "lower k_neighbors to at most 5"),
        (SMOTE(), lambda X: np.where(np.arange(X.size).reshape(X.shape) == 7, np.nan, X), None, r"column 'X\[:, 3\]', row 1: NaN .*impute or drop"),
        (SMOTE(), None, lambda y: np.zeros_like(y), "single class .*give y with at least two classes"),
        (SMOTE(sampling_strategy=-1), None, None, "sampling_strategy"),
        (SMOTE(sampling_strategy="most"), None, None, "sampling_strategy"),
        (SMOTE(k_neighbors=0), None, None, "k_neighbors"),
        (BorderlineSMOTE(kind="borderline-3"), None, None, "kind"),
        (SMOTE(device="cuda", search="approximate"), None, None, "device"),
    ],
)
def test_bad_input_raises_value_error_naming_the_fix(sampler, X_change, y_change, fragment):
    X, y = _data(9, sizes=(50, 20))
    if y_change is not None:
        y = y_change(y)
        X = X[: y.size]
    if X_change is not None:
        X = X_change(X)
    with pytest.raises(ValueError, match=fragment):
        sampler.fit_resample(X, y)
