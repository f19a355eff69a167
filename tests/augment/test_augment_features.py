"""Feature augmenters: noise scale, mixup's closed form, SMOTE's segment property."""

import numpy as np
import pytest

from longtail.augment import EmbeddingSMOTE, GaussianNoise, Mixup


def test_gaussian_noise_std_is_scale_times_feature_std():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20000, 3)) * np.array([1.0, 5.0, 0.1])
    noise = GaussianNoise(scale=0.2).fit(X).augment(X, 1) - X
    np.testing.assert_allclose(noise.std(axis=0), 0.2 * X.std(axis=0), rtol=0.03)
    assert np.abs(noise.mean(axis=0) / X.std(axis=0)).max() < 0.01


def test_gaussian_noise_per_feature_scale_and_batch_std():
    X = np.random.default_rng(2).normal(size=(5000, 2))
    noise = GaussianNoise(scale=np.array([0.0, 0.5])).augment(X, 3) - X
    assert np.all(noise[:, 0] == 0) and noise[:, 1].std() == pytest.approx(0.5 * X[:, 1].std(), rel=0.05)
    assert np.array_equal(GaussianNoise().augment(X, 4), GaussianNoise().augment(X, 4))
    with pytest.raises(ValueError, match="features"):
        GaussianNoise().fit(X).augment(np.ones((2, 3)), 0)
    with pytest.raises(ValueError, match="scale"):
        GaussianNoise(scale=-1.0)


def test_mixup_matches_closed_form():
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(50, 4)), rng.integers(0, 3, size=50)
    X_mix, Y_mix = Mixup(alpha=0.4, n_classes=4).augment((X, y), 9)
    draws = np.random.default_rng(9)
    lam = draws.beta(0.4, 0.4, size=1)[0]
    partner = draws.permutation(50)
    np.testing.assert_allclose(X_mix, lam * X + (1 - lam) * X[partner])
    np.testing.assert_allclose(Y_mix, lam * np.eye(4)[y] + (1 - lam) * np.eye(4)[y][partner])


def test_mixup_features_and_labels_mix_alike_per_sample():
    y = np.random.default_rng(6).integers(0, 5, size=4000)
    onehot = np.eye(5)[y]
    X_mix, Y_mix = Mixup(alpha=0.5, per_sample=True).augment((onehot, y), 7)
    np.testing.assert_allclose(X_mix, Y_mix)  # with X = one-hot(y) mixing X and mixing y are the same map
    np.testing.assert_allclose(Y_mix.sum(axis=1), 1.0)
    lam = Y_mix[np.arange(y.size), y]  # weight kept on the row's own class (>= lam)
    assert lam.min() >= 0 and np.mean(lam) > 0.5


def test_mixup_soft_labels_and_errors():
    soft = np.full((3, 2), 0.5)
    assert np.allclose(Mixup().augment((np.ones((3, 2)), soft), 0)[1], 0.5)
    with pytest.raises(ValueError, match="n_classes"):
        Mixup(n_classes=2).augment((np.ones((2, 1)), np.array([0, 2])), 0)
    with pytest.raises(ValueError, match="alpha"):
        Mixup(alpha=0)
    with pytest.raises(ValueError, match="rows"):
        Mixup().augment((np.ones((3, 1)), np.array([0, 1])), 0)


def _on_segment_to_a_neighbour(x, new, members, k):
    """Reference: ``new`` lies on the segment from ``x`` to one of its k nearest other members."""
    dist = np.linalg.norm(members - x, axis=1)
    candidates = members[np.argsort(dist, kind="stable")[1 : k + 1]]  # [0] is x itself
    for c in candidates:
        d = c - x
        t = float(np.dot(new - x, d) / np.dot(d, d))
        if -1e-12 <= t <= 1 + 1e-12 and np.allclose(x + t * d, new, atol=1e-9):
            return True
    return False


def test_smote_rows_lie_between_a_row_and_a_same_class_neighbour():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(120, 5))
    y = np.repeat([0, 1, 2], 40)
    new, labels = EmbeddingSMOTE(k_neighbors=3).augment((X, y), 10)
    assert np.array_equal(labels, y) and not np.allclose(new, X)
    for i in range(X.shape[0]):
        assert _on_segment_to_a_neighbour(X[i], new[i], X[y == y[i]], 3)


def test_smote_picks_each_of_the_k_neighbours_uniformly():
    angles = np.array([0.0, 2.0, 4.0])
    pool = np.vstack([[0.0, 0.0], np.column_stack([np.cos(angles), np.sin(angles)]) * [[1.0], [1.1], [1.2]],
                      [[10.0, 10.0]]])
    smote = EmbeddingSMOTE(k_neighbors=3).fit(pool, np.zeros(5, dtype=int))
    new, _ = smote.augment((np.zeros((3000, 2)), np.zeros(3000, dtype=int)), 12)
    direction = np.arctan2(new[:, 1], new[:, 0]) % (2 * np.pi)
    picked = np.argmin(np.abs(direction[:, None] - angles[None, :]), axis=1)
    assert np.abs(np.bincount(picked, minlength=3) / 3000 - 1 / 3).max() < 0.03  # the far point never
    steps = np.linalg.norm(new, axis=1) / np.array([1.0, 1.1, 1.2])[picked]
    assert abs(steps.mean() - 0.5) < 0.02 and steps.max() < 1  # step ~ U[0, 1)


def test_smote_fitted_pool_and_singletons():
    rng = np.random.default_rng(11)
    X, y = rng.normal(size=(30, 2)), np.array([0] * 29 + [1])
    smote = EmbeddingSMOTE(k_neighbors=2).fit(X, y)
    assert smote.fitted
    with pytest.warns(UserWarning, match="1 rows"):
        new, _ = smote.augment((X[-3:], y[-3:]), 0)
    assert np.array_equal(new[-1], X[-1]) and smote.n_copied_ == 1
    for i in (0, 1):
        assert _on_segment_to_a_neighbour(X[27 + i], new[i], X[:29], 2)
    with pytest.warns(UserWarning):
        first, second = smote.augment((X, y), 3)[0], smote.augment((X, y), 3)[0]
    assert np.array_equal(first, second)
