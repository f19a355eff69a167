import numpy as np
import pytest
import torch

import losses_reference as ref
from longtail.losses import LDAMLoss

COUNTS = np.array([2000, 300, 40, 5])


def drw_weights(counts, beta):
    raw = (1 - beta) / (1 - beta ** np.asarray(counts, dtype=np.float64))
    return raw / raw.sum() * len(counts)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(("max_margin", "s"), [(0.5, 30.0), (0.2, 1.0), (0.0, 5.0)])
def test_matches_margin_formula(reduction, max_margin, s):
    rng = np.random.default_rng(int(s))
    z, y = ref.multiclass_inputs(rng, 21, 4, scale=0.5)
    loss = LDAMLoss(COUNTS, max_margin=max_margin, s=s, reduction=reduction)
    ref.assert_matches(loss, ref.ldam(z, y, COUNTS, max_margin, s, reduction=reduction), z, y)


def test_rarest_class_gets_the_largest_margin():
    margins = LDAMLoss(COUNTS, max_margin=0.5).margins.numpy()
    assert margins[-1] == pytest.approx(0.5)
    np.testing.assert_allclose(margins, 0.5 * (COUNTS[-1] / COUNTS) ** 0.25)


def test_deferred_reweighting_switches_on_at_its_epoch_and_off_when_rewound():
    z, y = ref.multiclass_inputs(np.random.default_rng(1), 30, 4, scale=0.5)
    base = np.array([1.0, 1.0, 2.0, 2.0])
    loss = LDAMLoss(COUNTS, drw_start_epoch=3, beta=0.999, weight=base)
    for epoch, expected_weight in [(0, base), (2, base), (3, drw_weights(COUNTS, 0.999)), (7, drw_weights(COUNTS, 0.999))]:
        loss.set_epoch(epoch)
        assert loss.drw_active == (epoch >= 3)
        ref.assert_matches(loss, ref.ldam(z, y, COUNTS, 0.5, 30.0, expected_weight), z, y)
    loss.set_epoch(0)
    ref.assert_matches(loss, ref.ldam(z, y, COUNTS, 0.5, 30.0, base), z, y)


def test_drw_start_as_a_fraction_of_the_epochs():
    loss = LDAMLoss(COUNTS, drw_start_fraction=0.8)
    for epoch, active in [(0, False), (7, False), (8, True), (9, True)]:
        loss.set_epoch(epoch, num_epochs=10)
        assert loss.drw_active == active
    np.testing.assert_allclose(loss.weight.numpy(), drw_weights(COUNTS, 0.9999))
    with pytest.raises(ValueError, match="call set_epoch.epoch, num_epochs."):
        loss.set_epoch(3)


def test_without_drw_start_weights_never_change():
    loss = LDAMLoss(COUNTS)
    loss.set_epoch(1000)
    assert loss.weight is None and not loss.drw_active


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"class_counts": [10, 0, 3]}, r"class_counts\[1\] is 0"),
        ({"class_counts": COUNTS, "s": 0}, "s .logit scale. must be > 0"),
        ({"class_counts": COUNTS, "max_margin": -0.1}, "max_margin must be >= 0"),
        ({"class_counts": COUNTS, "drw_start_epoch": -1}, "drw_start_epoch must be"),
        ({"class_counts": COUNTS, "beta": 1.5}, r"beta must be in \[0, 1\)"),
        ({"class_counts": COUNTS, "drw_start_fraction": 1.5}, r"drw_start_fraction must be in \[0, 1\]"),
        ({"class_counts": COUNTS, "drw_start_fraction": 0.5, "drw_start_epoch": 3}, "not both"),
    ],
)
def test_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LDAMLoss(**kwargs)


def test_bad_epoch_and_mismatched_counts():
    loss = LDAMLoss(COUNTS, drw_start_epoch=1)
    with pytest.raises(ValueError, match="epoch must be an integer"):
        loss.set_epoch(-1)
    with pytest.raises(ValueError, match="4 entries but logits have 3 columns"):
        loss(torch.randn(2, 3), torch.tensor([0, 1]))
