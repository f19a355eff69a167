import numpy as np
import pytest
import torch

import losses_reference as ref
from longtail.losses import IPSLoss


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("clip", [0.01, 0.05, 0.5])
@pytest.mark.parametrize("weight", [None, [0.5, 4.0]])
def test_matches_clipped_inverse_propensity_formula(reduction, clip, weight):
    rng = np.random.default_rng(int(clip * 100))
    x, t = ref.binary_inputs(rng, 40)
    propensity = rng.uniform(0, 1, 40) ** 3
    expected = ref.ips(x, t, propensity, clip, weight, reduction)
    ref.assert_matches(IPSLoss(clip=clip, weight=weight, reduction=reduction), expected, x, t, propensity)


def test_unit_propensity_is_binary_cross_entropy():
    x, t = ref.binary_inputs(np.random.default_rng(2), 10)
    ref.assert_matches(IPSLoss(), ref.bce(x, t).mean(), x, t, np.ones(10))


def test_reweighting_makes_the_logged_loss_unbiased():
    # Log each pair with its propensity; the IPS mean over logged pairs estimates the mean over all pairs.
    rng = np.random.default_rng(3)
    n = 200_000
    x, t = rng.normal(0, 2, n), rng.integers(0, 2, n).astype(np.float64)
    propensity = rng.uniform(0.1, 0.9, n)
    logged = rng.uniform(size=n) < propensity
    loss = IPSLoss(clip=0.05, reduction="sum")
    estimate = ref.run(loss, x[logged], t[logged], propensity[logged]) / n
    assert estimate == pytest.approx(ref.bce(x, t).mean(), rel=0.02)


@pytest.mark.parametrize(
    ("propensity", "message"),
    [
        (torch.tensor([0.5, 1.2]), r"propensity must lie in \[0, 1\]"),
        (torch.tensor([0.5, float("nan")]), r"propensity must lie in \[0, 1\]"),
        (torch.tensor([0.5]), "shaped like logits"),
        ([0.5, 0.5], "shaped like logits"),
    ],
)
def test_bad_propensity(propensity, message):
    with pytest.raises(ValueError, match=message):
        IPSLoss()(torch.zeros(2), torch.ones(2), propensity)


def test_bad_clip_and_multiclass_input():
    with pytest.raises(ValueError, match=r"clip must be in \(0, 1\]"):
        IPSLoss(clip=0.0)
    with pytest.raises(ValueError, match="does not take multiclass"):
        IPSLoss()(torch.zeros(2, 3), torch.tensor([0, 1]), torch.ones(2))
