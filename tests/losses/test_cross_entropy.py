import numpy as np
import pytest
import torch

import losses_reference as ref
from longtail.losses import BalancedSoftmaxLoss, LogitAdjustedLoss, WeightedCrossEntropy
from longtail.weights import class_weights

SHAPES = [(1, 2), (7, 3), (32, 5)]
REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize(("n", "c"), SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_weighted_cross_entropy_multiclass(n, c, reduction, weighted):
    rng = np.random.default_rng(n * c)
    z, y = ref.multiclass_inputs(rng, n, c)
    weight = rng.uniform(0.1, 3.0, c) if weighted else None
    loss = WeightedCrossEntropy(weight=weight, reduction=reduction)
    ref.assert_matches(loss, ref.cross_entropy(z, y, weight, reduction), z, y)
    torch_weight = None if weight is None else torch.from_numpy(weight)
    expected = torch.nn.CrossEntropyLoss(weight=torch_weight, reduction=reduction)(torch.from_numpy(z), torch.from_numpy(y))
    ref.assert_matches(loss, expected.numpy(), z, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_weighted_cross_entropy_binary_and_multilabel(reduction):
    rng = np.random.default_rng(3)
    x, t = ref.binary_inputs(rng, 20)
    ref.assert_matches(WeightedCrossEntropy([0.3, 2.0], reduction), ref.cross_entropy(x, t, [0.3, 2.0], reduction), x, t)
    z, m = ref.multilabel_inputs(rng, 9, 4)
    w = rng.uniform(0.5, 2.0, 4)
    ref.assert_matches(WeightedCrossEntropy(w, reduction), ref.cross_entropy(z, m, w, reduction), z, m)


def test_from_counts_uses_the_class_weight_scheme():
    counts = [90, 9, 1]
    loss = WeightedCrossEntropy.from_counts(counts, "effective_number", beta=0.99)
    np.testing.assert_allclose(loss.weight.numpy(), class_weights(counts, "effective_number", beta=0.99))
    assert WeightedCrossEntropy.from_counts(counts, reduction="sum").reduction == "sum"


@pytest.mark.parametrize(("n", "c"), SHAPES)
@pytest.mark.parametrize("tau", [0.0, 0.5, 1.0, 2.0])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_logit_adjusted_multiclass(n, c, tau, reduction):
    rng = np.random.default_rng(c + n)
    z, y = ref.multiclass_inputs(rng, n, c)
    counts = rng.integers(1, 500, c)
    weight = rng.uniform(0.5, 2, c) if tau == 2.0 else None
    loss = LogitAdjustedLoss(counts, tau=tau, weight=weight, reduction=reduction)
    ref.assert_matches(loss, ref.logit_adjusted(z, y, counts, tau, weight, reduction), z, y)


@pytest.mark.parametrize("tau", [0.5, 1.0])
def test_logit_adjusted_binary_uses_the_prior_odds(tau):
    x, t = ref.binary_inputs(np.random.default_rng(5), 16)
    loss = LogitAdjustedLoss([950, 50], tau=tau, reduction="none")
    ref.assert_matches(loss, ref.logit_adjusted(x, t, [950, 50], tau, reduction="none"), x, t)


def test_logit_adjustment_with_tau_zero_is_cross_entropy():
    z, y = ref.multiclass_inputs(np.random.default_rng(6), 10, 4)
    ref.assert_matches(LogitAdjustedLoss([1, 10, 100, 1000], tau=0.0), ref.cross_entropy(z, y), z, y)


@pytest.mark.parametrize(("n", "c"), SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_balanced_softmax_adds_log_counts(n, c, reduction):
    rng = np.random.default_rng(10 * n + c)
    z, y = ref.multiclass_inputs(rng, n, c)
    counts = rng.integers(1, 1000, c).astype(np.float64)
    expected = ref.cross_entropy(z + np.log(counts), y, reduction=reduction)
    ref.assert_matches(BalancedSoftmaxLoss(counts, reduction=reduction), expected, z, y)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: LogitAdjustedLoss([10, 5], tau=-0.1), "tau must be >= 0"),
        (lambda: LogitAdjustedLoss([10, 0, 5]), r"class_counts\[1\] is 0"),
        (lambda: BalancedSoftmaxLoss([10, -1]), "negative"),
        (lambda: WeightedCrossEntropy(weight=[1.0, -2.0]), "weight must hold finite values >= 0"),
        (lambda: WeightedCrossEntropy(reduction="avg"), "reduction must be one of"),
    ],
)
def test_bad_parameters(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_count_and_weight_lengths_must_match_the_logits():
    z, y = torch.randn(4, 3), torch.tensor([0, 1, 2, 0])
    with pytest.raises(ValueError, match="class_counts has 2 entries but logits have 3 columns"):
        LogitAdjustedLoss([5, 6])(z, y)
    with pytest.raises(ValueError, match="2 class weights given but logits have 3 columns"):
        WeightedCrossEntropy([1.0, 2.0])(z, y)
    with pytest.raises(ValueError, match="2 class_counts"):
        LogitAdjustedLoss([5, 6, 7])(torch.randn(4), torch.ones(4))
    with pytest.raises(ValueError, match="does not take binary"):
        BalancedSoftmaxLoss([5, 6])(torch.randn(4), torch.ones(4))
