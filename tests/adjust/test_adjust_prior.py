"""LogitAdjuster against the closed forms of logit adjustment and Saerens' prior correction."""

import numpy as np
import pytest
from scipy.special import expit, softmax

from longtail.adjust import LogitAdjuster, NotFittedError
from longtail.errors import InputError

RNG = np.random.default_rng(0)
LOGITS = RNG.normal(size=(40, 4)) * 2
Y = np.repeat([0, 1, 2, 3], [20, 10, 6, 4])
PRIOR = np.array([20, 10, 6, 4]) / 40


@pytest.mark.parametrize("tau", [0.0, 0.5, 1.0, 2.0])
def test_logits_closed_form(tau):
    adjusted = LogitAdjuster(tau).fit(LOGITS, Y).transform(LOGITS)
    expected = LOGITS - tau * np.log(PRIOR) + tau * np.log(np.full(4, 0.25))
    np.testing.assert_allclose(adjusted, expected)


def test_probabilities_closed_form_and_agreement_with_logits():
    probs = softmax(LOGITS, axis=1)
    target = np.array([0.1, 0.2, 0.3, 0.4])
    adjusted = LogitAdjuster(kind="probabilities", target_prior=target).fit(probs, Y).transform(probs)
    weighted = probs * target / PRIOR
    np.testing.assert_allclose(adjusted, weighted / weighted.sum(axis=1, keepdims=True))
    via_logits = LogitAdjuster(target_prior=target).fit(LOGITS, Y).transform(LOGITS)
    np.testing.assert_allclose(adjusted, softmax(via_logits, axis=1))


def test_binary_scores():
    z = RNG.normal(size=30)
    y = np.array([1] * 5 + [0] * 25)
    logit = LogitAdjuster().fit(z, y).transform(z)
    np.testing.assert_allclose(logit, z - np.log(5 / 25))
    p = expit(z)
    prob = LogitAdjuster(kind="probabilities").fit(p, y).transform(p)
    expected = p / (5 / 30) / (p / (5 / 30) + (1 - p) / (25 / 30))
    np.testing.assert_allclose(prob, expected)
    np.testing.assert_allclose(prob, expit(logit))


def test_given_prior_needs_no_fit_and_is_normalised():
    adjuster = LogitAdjuster(prior=[20, 10, 6, 4])
    np.testing.assert_allclose(adjuster.prior_, PRIOR)
    np.testing.assert_allclose(adjuster.transform(LOGITS), LogitAdjuster().fit(None, Y).transform(LOGITS))


def test_missing_class_and_smoothing():
    y = np.array([0, 0, 1])
    with pytest.raises(InputError, match="class 2 never occurs"):
        LogitAdjuster().fit(np.zeros((3, 3)), y)
    np.testing.assert_allclose(LogitAdjuster(smoothing=1).fit(np.zeros((3, 3)), y).prior_, [3 / 6, 2 / 6, 1 / 6])


def test_errors():
    with pytest.raises(NotFittedError, match="LogitAdjuster"):
        LogitAdjuster().transform(LOGITS)
    with pytest.raises(ValueError, match="kind"):
        LogitAdjuster(kind="margins")
    with pytest.raises(ValueError, match="tau"):
        LogitAdjuster(tau=-1)
    with pytest.raises(ValueError, match="prior"):
        LogitAdjuster(prior=[1, 0])
    with pytest.raises(ValueError, match="4 classes"):
        LogitAdjuster(prior=[1, 1]).transform(LOGITS)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        LogitAdjuster(kind="probabilities", prior=[1, 1]).transform(np.array([1.5]))
