import numpy as np
import pytest
from sklearn.utils.class_weight import compute_class_weight

from longtail.weights import SCHEMES, class_weights


def random_counts(seed: int, n_classes: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.floor(rng.pareto(1.2, n_classes) * 50).astype(int) + 1


@pytest.mark.parametrize("seed", range(5))
def test_balanced_equals_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    y = rng.choice(6, size=500, p=[0.5, 0.2, 0.15, 0.1, 0.04, 0.01])
    classes = np.unique(y)
    expected = compute_class_weight("balanced", classes=classes, y=y)
    counts = np.bincount(y)[classes]
    np.testing.assert_array_equal(class_weights(counts, "balanced"), expected)  # bit for bit


@pytest.mark.parametrize("seed", range(5))
def test_normalised_schemes_match_their_formulas(seed):
    counts = random_counts(seed).astype(np.float64)
    beta = [0.0, 0.9, 0.99, 0.999, 0.9999][seed]
    raw = {
        "inverse": 1 / counts,
        "sqrt_inverse": 1 / np.sqrt(counts),
        "effective_number": (1 - beta) / (1 - beta**counts),
    }
    for scheme, expected in raw.items():
        params = {"beta": beta} if scheme == "effective_number" else {}
        weights = class_weights(counts, scheme, **params)
        np.testing.assert_allclose(weights, expected * counts.size / expected.sum(), rtol=1e-10)
        assert weights.sum() == pytest.approx(counts.size)


def test_effective_number_limits():
    counts = np.array([1000, 100, 10, 1])
    np.testing.assert_allclose(class_weights(counts, "effective_number", beta=0.0), np.ones(4))
    np.testing.assert_allclose(
        class_weights(counts, "effective_number", beta=1 - 1e-12), class_weights(counts, "inverse"), rtol=1e-6
    )
    assert class_weights(counts, "effective_number").tolist() == class_weights(counts, "effective_number", beta=0.999).tolist()


def test_rarer_classes_weigh_more():
    counts = random_counts(11)
    order = np.argsort(counts, kind="stable")
    for scheme in SCHEMES:
        weights = class_weights(counts, scheme)
        assert np.all(np.diff(weights[order]) <= 1e-12), scheme


@pytest.mark.parametrize("scheme", SCHEMES)
def test_zero_count_classes_get_zero_weight(scheme):
    counts = np.array([40, 0, 10, 0, 50])
    weights = class_weights(counts, scheme)
    assert weights[1] == 0 and weights[3] == 0
    present = weights[[0, 2, 4]]
    np.testing.assert_allclose(present, class_weights([40, 10, 50], scheme))
    assert np.all(np.isfinite(weights))


@pytest.mark.parametrize(
    ("counts", "scheme", "params", "message"),
    [
        ([3, -1], "balanced", {}, r"counts\[1\] is negative"),
        ([0, 0], "inverse", {}, "all zero"),
        ([[1, 2]], "inverse", {}, "1-D"),
        ([1, np.nan], "inverse", {}, "NaN"),
        ([1, 2], "log", {}, "scheme 'log' is unknown; choose one of balanced"),
        ([1, 2], "effective_number", {"beta": 1.0}, r"beta must be in \[0, 1\)"),
        ([1, 2], "effective_number", {"beta": -0.1}, r"beta must be in \[0, 1\)"),
        ([1, 2], "effective_number", {"gamma": 2}, "unknown parameters"),
        ([1, 2], "balanced", {"beta": 0.9}, "takes no parameters"),
    ],
)
def test_bad_parameters_raise_value_error_naming_them(counts, scheme, params, message):
    with pytest.raises(ValueError, match=message):
        class_weights(counts, scheme, **params)


def test_class_weights_signature_is_counts_scheme_and_params():
    import inspect

    params = list(inspect.signature(class_weights).parameters.values())
    assert [p.name for p in params] == ["counts", "scheme", "params"]
    assert params[2].kind is inspect.Parameter.VAR_KEYWORD
