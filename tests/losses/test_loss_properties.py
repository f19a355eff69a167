"""Properties every loss must have: exact gradients, finite values at extreme logits, clear shape errors."""

import pytest
import torch

from longtail.losses import (
    BalancedSoftmaxLoss,
    ClassBalancedLoss,
    FocalLoss,
    IPSLoss,
    LDAMLoss,
    LogitAdjustedLoss,
    SampledSoftmaxLoss,
    WeightedCrossEntropy,
)

COUNTS = [500, 60, 7]


def multiclass(logits):
    return (torch.tensor([0, 1, 2, 2, 1]),)


def binary(logits):
    return (torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0]),)


def multilabel(logits):
    return (torch.tensor([[0, 1, 1], [1, 0, 0], [0, 0, 0], [1, 1, 1], [0, 1, 0]], dtype=logits.dtype),)


def ips_extra(logits):
    return binary(logits) + (torch.tensor([0.01, 0.2, 1.0, 0.5, 0.03], dtype=logits.dtype),)


def retrieval(logits):
    return torch.arange(5), torch.tensor([4, 8, 4, 1, 0])


CASES = {
    "wce-multiclass": (lambda: WeightedCrossEntropy([1.0, 2.0, 3.0]), (5, 3), multiclass),
    "wce-binary": (lambda: WeightedCrossEntropy([1.0, 5.0]), (5,), binary),
    "wce-multilabel": (lambda: WeightedCrossEntropy([1.0, 2.0, 0.5]), (5, 3), multilabel),
    "focal-multiclass": (lambda: FocalLoss(2.0, alpha=[0.2, 0.3, 0.5]), (5, 3), multiclass),
    "focal-small-gamma": (lambda: FocalLoss(0.3), (5, 3), multiclass),
    "focal-binary": (lambda: FocalLoss(0.5, alpha=0.25), (5,), binary),
    "focal-multilabel": (lambda: FocalLoss(2.0), (5, 3), multilabel),
    "cb-softmax": (lambda: ClassBalancedLoss(COUNTS, base="softmax"), (5, 3), multiclass),
    "cb-sigmoid": (lambda: ClassBalancedLoss(COUNTS, base="sigmoid"), (5, 3), multiclass),
    "cb-focal": (lambda: ClassBalancedLoss(COUNTS, base="focal", gamma=0.5), (5, 3), multiclass),
    "cb-focal-binary": (lambda: ClassBalancedLoss([90, 10], base="focal"), (5,), binary),
    "logit-adjusted": (lambda: LogitAdjustedLoss(COUNTS, tau=1.5), (5, 3), multiclass),
    "logit-adjusted-binary": (lambda: LogitAdjustedLoss([90, 10]), (5,), binary),
    "balanced-softmax": (lambda: BalancedSoftmaxLoss(COUNTS), (5, 3), multiclass),
    "ldam": (lambda: LDAMLoss(COUNTS, drw_start_epoch=0), (5, 3), multiclass),
    "sampled-softmax-counts": (lambda: SampledSoftmaxLoss(list(range(1, 10))), (5, 5), retrieval),
    "sampled-softmax-streaming": (lambda: SampledSoftmaxLoss(temperature=0.5), (5, 5), retrieval),
    "ips": (lambda: IPSLoss(weight=[1.0, 2.0]), (5,), ips_extra),
}


def build(name):
    factory, shape, extra = CASES[name]
    loss = factory()
    if hasattr(loss, "set_epoch"):
        loss.set_epoch(1)
    return loss, shape, extra


@pytest.mark.parametrize("name", CASES)
def test_gradcheck(name):
    loss, shape, extra = build(name)
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(shape, dtype=torch.float64, generator=generator, requires_grad=True)
    rest = extra(logits)
    loss.eval()  # a fixed frequency estimate, so the function under test does not change between calls
    if isinstance(loss, SampledSoftmaxLoss) and loss.estimator is not None:
        loss.estimator.update(rest[1], 0)
    assert torch.autograd.gradcheck(lambda x: loss(x, *rest), (logits,))


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_finite_at_extreme_logits(name, dtype, reduction):
    loss, shape, extra = build(name)
    loss.reduction = reduction
    signs = torch.randint(0, 2, shape, generator=torch.Generator().manual_seed(1)) * 2 - 1
    logits = (100.0 * signs).to(dtype).requires_grad_()
    value = loss(logits, *extra(logits))
    value.sum().backward()
    assert torch.isfinite(value).all()
    assert torch.isfinite(logits.grad).all()


@pytest.mark.parametrize("name", [n for n in CASES if "sampled" not in n and n != "ips"])
def test_mismatched_shapes_raise_value_error(name):
    loss, shape, extra = build(name)
    logits = torch.randn(shape)
    target = extra(logits)[0]
    with pytest.raises(ValueError, match="rows|fit no form|differs"):
        loss(logits, target[:-1])
    with pytest.raises(ValueError, match="fit no form"):
        loss(logits.reshape(1, 1, -1), target)


def test_multiclass_target_must_be_class_indices():
    with pytest.raises(ValueError, match="integer class indices"):
        WeightedCrossEntropy()(torch.randn(3, 2), torch.tensor([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r"class indices in \[0, 3\] but logits have 2 columns"):
        FocalLoss()(torch.randn(2, 2), torch.tensor([0, 3]))
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        FocalLoss()(torch.randn(2), torch.tensor([0.0, 2.0]))


@pytest.mark.parametrize("name", CASES)
def test_sum_is_the_sum_of_none(name):
    loss, shape, extra = build(name)
    logits = torch.randn(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    rest = extra(logits)
    loss.eval()
    loss.reduction = "none"
    per_element = loss(logits, *rest)
    loss.reduction = "sum"
    assert torch.allclose(loss(logits, *rest), per_element.sum())


def test_public_names_and_signatures_are_as_documented():
    import inspect

    import longtail.losses as module

    for name in ("WeightedCrossEntropy", "FocalLoss", "ClassBalancedLoss", "LogitAdjustedLoss", "BalancedSoftmaxLoss",
                 "LDAMLoss", "SampledSoftmaxLoss", "IPSLoss"):
        assert name in module.__all__ and issubclass(getattr(module, name), torch.nn.Module)

    def leading(cls, n):
        return [(p.name, p.default) for p in list(inspect.signature(cls).parameters.values())[:n]]

    empty = inspect.Parameter.empty
    assert leading(FocalLoss, 2) == [("gamma", 2.0), ("alpha", None)]
    assert leading(LogitAdjustedLoss, 2) == [("class_counts", empty), ("tau", 1.0)]
    assert leading(BalancedSoftmaxLoss, 1) == [("class_counts", empty)]
    assert FocalLoss().gamma == 2.0 and FocalLoss().alpha is None
    assert LogitAdjustedLoss([3, 1]).tau == 1.0
