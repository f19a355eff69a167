import numpy as np
import pytest
import torch

import losses_reference as ref
from longtail.losses import ClassBalancedLoss

REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("base", ["softmax", "sigmoid", "focal"])
@pytest.mark.parametrize("beta", [0.0, 0.9, 0.999])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("n", "c"), [(1, 2), (11, 4)])
def test_multiclass_matches_the_paper(base, beta, reduction, n, c):
    rng = np.random.default_rng(n * 10 + c)
    z, y = ref.multiclass_inputs(rng, n, c)
    counts = rng.integers(1, 3000, c)
    loss = ClassBalancedLoss(counts, beta=beta, base=base, gamma=1.5, reduction=reduction)
    ref.assert_matches(loss, ref.class_balanced(z, y, counts, beta, base, 1.5, reduction), z, y)


@pytest.mark.parametrize("base", ["sigmoid", "focal"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_takes_negative_and_positive_counts(base, reduction):
    x, t = ref.binary_inputs(np.random.default_rng(4), 25)
    loss = ClassBalancedLoss([980, 20], beta=0.99, base=base, reduction=reduction)
    ref.assert_matches(loss, ref.class_balanced(x, t, [980, 20], 0.99, base, 2.0, reduction), x, t)


def test_beta_zero_gives_the_unweighted_base_loss():
    z, y = ref.multiclass_inputs(np.random.default_rng(5), 10, 3)
    ref.assert_matches(ClassBalancedLoss([500, 50, 5], beta=0.0, base="softmax"), ref.cross_entropy(z, y), z, y)


def test_zero_count_class_has_zero_weight():
    loss = ClassBalancedLoss([100, 0, 10], base="softmax", reduction="none")
    z = torch.randn(3, 3)
    assert loss(z, torch.tensor([1, 1, 1])).abs().sum().item() == 0.0


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ClassBalancedLoss([10, 5], beta=1.0), r"beta must be in \[0, 1\)"),
        (lambda: ClassBalancedLoss([10, 5], base="hinge"), "base must be one of softmax, sigmoid, focal"),
        (lambda: ClassBalancedLoss([10, 5], gamma=-2), "gamma must be >= 0"),
        (lambda: ClassBalancedLoss([10, -5]), "negative"),
        (lambda: ClassBalancedLoss([10, 5], base="softmax")(torch.randn(3), torch.ones(3)), "base 'sigmoid' or 'focal'"),
        (lambda: ClassBalancedLoss([10, 5])(torch.randn(3, 2), torch.ones(3, 2)), "does not take multilabel"),
    ],
)
def test_bad_parameters(build, message):
    with pytest.raises(ValueError, match=message):
        build()
