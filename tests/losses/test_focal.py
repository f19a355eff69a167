import numpy as np
import pytest
import torch

import losses_reference as ref
from longtail.losses import FocalLoss

REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
@pytest.mark.parametrize("alpha", [None, 0.25])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(1,), (17,), (6, 4)])
def test_sigmoid_form_equals_torchvision(gamma, alpha, reduction, shape):
    rng = np.random.default_rng(len(shape) * 100 + shape[0])
    x = rng.normal(0, 3, shape)
    t = rng.integers(0, 2, shape).astype(np.float64)
    expected = ref.sigmoid_focal_loss(x, t, alpha=-1 if alpha is None else alpha, gamma=gamma, reduction=reduction)
    ref.assert_matches(FocalLoss(gamma=gamma, alpha=alpha, reduction=reduction), expected, x, t)


@pytest.mark.parametrize("alpha", [None, 0.25])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sigmoid_form_equals_the_installed_torchvision(alpha, reduction):
    # The written-out reference above runs everywhere; this compares with torchvision itself where it is installed.
    ops = pytest.importorskip("torchvision.ops")
    rng = np.random.default_rng(11)
    x, t = torch.from_numpy(rng.normal(0, 3, (9, 4))), torch.from_numpy(rng.integers(0, 2, (9, 4)).astype(np.float64))
    expected = ops.sigmoid_focal_loss(x, t, alpha=-1 if alpha is None else alpha, gamma=2.0, reduction=reduction)
    torch.testing.assert_close(FocalLoss(alpha=alpha, reduction=reduction)(x, t), expected, rtol=1e-9, atol=1e-12)


def test_sigmoid_form_with_soft_targets_equals_torchvision():
    rng = np.random.default_rng(7)
    x, t = rng.normal(0, 2, 30), rng.uniform(0, 1, 30)
    ref.assert_matches(FocalLoss(gamma=1.5, alpha=0.4), ref.sigmoid_focal_loss(x, t, 0.4, 1.5, "mean"), x, t)


def test_sigmoid_form_class_weights():
    rng = np.random.default_rng(8)
    x, t = ref.binary_inputs(rng, 12)
    per = ref.sigmoid_focal_loss(x, t, alpha=-1, gamma=2.0)
    ref.assert_matches(FocalLoss(weight=[0.2, 3.0], reduction="sum"), (per * np.where(t == 1, 3.0, 0.2)).sum(), x, t)
    z, m = ref.multilabel_inputs(rng, 5, 3)
    w = np.array([1.0, 0.5, 4.0])
    per = ref.sigmoid_focal_loss(z, m, alpha=-1, gamma=2.0)
    ref.assert_matches(FocalLoss(weight=w, reduction="none"), per * w, z, m)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("n", "c"), [(1, 2), (9, 3), (40, 6)])
def test_softmax_form(gamma, reduction, n, c):
    rng = np.random.default_rng(n + c)
    z, y = ref.multiclass_inputs(rng, n, c)
    alpha = rng.uniform(0.1, 1, c)
    weight = rng.uniform(0.5, 2, c)
    ref.assert_matches(FocalLoss(gamma, reduction=reduction), ref.softmax_focal(z, y, gamma, reduction=reduction), z, y)
    expected = ref.softmax_focal(z, y, gamma, alpha, weight, reduction)
    ref.assert_matches(FocalLoss(gamma, alpha=alpha, weight=weight, reduction=reduction), expected, z, y)


def test_gamma_zero_is_cross_entropy():
    z, y = ref.multiclass_inputs(np.random.default_rng(9), 8, 4)
    ref.assert_matches(FocalLoss(gamma=0.0), ref.cross_entropy(z, y), z, y)


def test_focusing_down_weights_easy_examples():
    easy, hard = torch.tensor([[6.0, 0.0]]), torch.tensor([[0.5, 0.0]])
    y = torch.tensor([0])
    ratio_ce = (FocalLoss(0.0)(easy, y) / FocalLoss(0.0)(hard, y)).item()
    ratio_focal = (FocalLoss(2.0)(easy, y) / FocalLoss(2.0)(hard, y)).item()
    assert ratio_focal < ratio_ce / 10


@pytest.mark.parametrize(
    ("kwargs", "inputs", "message"),
    [
        ({"gamma": -1.0}, None, "gamma must be >= 0"),
        ({"alpha": 1.5}, None, r"alpha must be in \[0, 1\]"),
        ({"alpha": 0.25}, (torch.randn(3, 2), torch.tensor([0, 1, 1])), "one value per class"),
        ({"alpha": [0.2, 0.8]}, (torch.randn(3), torch.ones(3)), "must be a float"),
        ({"alpha": [0.2, 0.8]}, (torch.randn(3, 3), torch.tensor([0, 1, 1])), "alpha has 2 values"),
    ],
)
def test_bad_parameters(kwargs, inputs, message):
    with pytest.raises(ValueError, match=message):
        loss = FocalLoss(**kwargs)
        loss(*inputs)
