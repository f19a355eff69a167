"""The purchase funnel: how true utility turns a view into a click, a cart and a purchase."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

STAGES = ("click", "cart", "purchase")


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function, stable for large |x|."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


@dataclass(frozen=True)
class Funnel:
    """Each step is a logistic function of utility: P(click|view), P(cart|click), P(purchase|cart).

    The defaults are typical shop rates (10 % click, 35 % of clicks carted,
    55 % of carts bought) before ``shift``, which moves all three steps to hit
    a target purchase rate.
    """

    intercepts: tuple[float, float, float] = (_logit(0.10), _logit(0.35), _logit(0.55))
    slopes: tuple[float, float, float] = (1.0, 0.5, 0.5)
    shift: float = 0.0

    def step_probability(self, step: int, utility: np.ndarray) -> np.ndarray:
        """Probability of step ``step`` (0 click, 1 cart, 2 purchase) given the step before."""
        return sigmoid(self.intercepts[step] + self.shift + self.slopes[step] * np.asarray(utility, dtype=np.float64))

    def step_probabilities(self, utility: np.ndarray) -> np.ndarray:
        """(3, n) conditional probability of each step given the one before."""
        return np.stack([self.step_probability(s, utility) for s in range(len(STAGES))])

    def reach_probabilities(self, utility: np.ndarray) -> np.ndarray:
        """(3, n) probability that a view goes on to a click, a cart, a purchase."""
        return np.cumprod(self.step_probabilities(utility), axis=0)

    def purchase_probability(self, utility: np.ndarray) -> np.ndarray:
        """Probability that a view ends in a purchase."""
        return self.reach_probabilities(utility)[-1]

    def calibrated(self, utility: np.ndarray, purchase_rate: float) -> "Funnel":
        """The funnel whose mean purchase probability over ``utility`` equals ``purchase_rate``."""
        lo, hi = -30.0, 30.0
        for _ in range(40):  # bisection: the mean is increasing in the shift
            mid = 0.5 * (lo + hi)
            if replace(self, shift=mid).purchase_probability(utility).mean() < purchase_rate:
                lo = mid
            else:
                hi = mid
        return replace(self, shift=0.5 * (lo + hi))
