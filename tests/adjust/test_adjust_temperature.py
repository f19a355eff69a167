"""TemperatureScaler recovers a known temperature; the gradient matches finite differences."""

import numpy as np
import pytest
from scipy.special import expit, softmax

from longtail.adjust import NotFittedError, TemperatureScaler
from longtail.adjust.temperature import nll_and_gradient


def _sample(logits, temperature, rng):
    probs = softmax(logits / temperature, axis=1)
    cumulative = probs.cumsum(axis=1)
    return (rng.random((logits.shape[0], 1)) > cumulative).sum(axis=1)


@pytest.mark.parametrize("true_t", [0.5, 1.0, 2.5])
def test_recovers_known_temperature(true_t):
    rng = np.random.default_rng(int(true_t * 10))
    logits = rng.normal(size=(20000, 5)) * 3
    y = _sample(logits, true_t, rng)
    scaler = TemperatureScaler().fit(logits, y)
    assert scaler.temperature_ == pytest.approx(true_t, rel=0.05)
    np.testing.assert_allclose(scaler.transform(logits), logits / scaler.temperature_)
    np.testing.assert_allclose(scaler.predict_proba(logits).sum(axis=1), 1.0)


def test_binary_logits():
    rng = np.random.default_rng(3)
    z = rng.normal(size=20000) * 4
    y = (rng.random(20000) < expit(z / 2.0)).astype(int)
    scaler = TemperatureScaler().fit(z, y)
    assert scaler.temperature_ == pytest.approx(2.0, rel=0.05)
    np.testing.assert_allclose(scaler.predict_proba(z), expit(z / scaler.temperature_))


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(4)
    logits, y = rng.normal(size=(50, 3)), rng.integers(0, 3, size=50)
    for u in (-0.7, 0.0, 0.9):
        value, grad = nll_and_gradient(u, logits, y)
        h = 1e-6
        numeric = (nll_and_gradient(u + h, logits, y)[0] - nll_and_gradient(u - h, logits, y)[0]) / (2 * h)
        assert grad == pytest.approx(numeric, rel=1e-5, abs=1e-8)
        t = np.exp(u)
        direct = -np.mean(np.log(softmax(logits / t, axis=1)[np.arange(50), y]))
        assert value == pytest.approx(direct)


def test_errors():
    with pytest.raises(NotFittedError, match="TemperatureScaler"):
        TemperatureScaler().transform(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="one label per row"):
        TemperatureScaler().fit(np.zeros((3, 2)), np.zeros(2, dtype=int))
    with pytest.raises(ValueError, match="empty"):
        TemperatureScaler().fit(np.zeros((0, 2)), np.zeros(0, dtype=int))
