import numpy as np
import pytest
import torch

import losses_reference as ref
from longtail.losses import SampledSoftmaxLoss, StreamingFrequencyEstimator


def batch(rng, b, n_items, duplicates=True):
    item_ids = rng.integers(0, n_items if duplicates else 10**6, b)
    return rng.normal(0, 2, (b, b)), np.arange(b), item_ids


@pytest.mark.parametrize("b", [1, 6, 24])
@pytest.mark.parametrize("temperature", [1.0, 0.1])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_logq_from_counts_matches_reference(b, temperature, reduction):
    rng = np.random.default_rng(b)
    counts = rng.integers(1, 1000, 8)
    z, y, ids = batch(rng, b, 8)
    log_q = np.log(counts / counts.sum())[ids]
    loss = SampledSoftmaxLoss(counts, temperature=temperature, reduction=reduction)
    ref.assert_matches(loss, ref.sampled_softmax(z, y, ids, log_q, temperature, True, reduction), z, y, ids)


@pytest.mark.parametrize("mask", [True, False])
def test_without_correction_and_without_masking(mask):
    rng = np.random.default_rng(2)
    z, y, ids = batch(rng, 10, 3)
    loss = SampledSoftmaxLoss(logq_correction=False, mask_duplicates=mask, reduction="none")
    ref.assert_matches(loss, ref.sampled_softmax(z, y, ids, None, 1.0, mask, "none"), z, y, ids)


def test_targets_need_not_be_the_diagonal():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(4, 6))
    y, ids = np.array([5, 0, 2, 2]), np.array([7, 1, 7, 3, 4, 7])
    loss = SampledSoftmaxLoss(np.ones(8), reduction="none")
    ref.assert_matches(loss, ref.sampled_softmax(z, y, ids, np.log(np.full(6, 1 / 8)), 1.0, True, "none"), z, y, ids)


def test_duplicates_of_the_positive_are_masked():
    z = torch.zeros(2, 2)
    same = SampledSoftmaxLoss(logq_correction=False, reduction="none")(z, torch.arange(2), torch.tensor([5, 5]))
    assert torch.allclose(same, torch.zeros(2))


def test_streaming_estimate_is_used_and_updated_only_in_training():
    rng = np.random.default_rng(4)
    loss = SampledSoftmaxLoss()
    z, y, ids = batch(rng, 8, 5)
    value = ref.run(loss, z, y, ids)
    assert loss.step == 1 and loss.estimator.last_step == 0
    log_q = np.log(loss.estimator.probability(ids))
    np.testing.assert_allclose(value, ref.sampled_softmax(z, y, ids, log_q), rtol=1e-9)
    loss.eval()
    ref.run(loss, z, y, ids)
    assert loss.step == 1


def test_bad_input():
    with pytest.raises(ValueError, match="temperature must be > 0"):
        SampledSoftmaxLoss(temperature=0)
    with pytest.raises(ValueError, match="not both"):
        SampledSoftmaxLoss([1, 2], estimator=StreamingFrequencyEstimator())
    loss = SampledSoftmaxLoss([3, 0, 2])
    with pytest.raises(ValueError, match="item_counts is 0 for in-batch item 1"):
        loss(torch.zeros(2, 2), torch.arange(2), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="exceeds item_counts"):
        loss(torch.zeros(2, 2), torch.arange(2), torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="expected logits"):
        loss(torch.zeros(2, 3), torch.arange(2), torch.tensor([0, 2]))
    with pytest.raises(ValueError, match="column indices"):
        loss(torch.zeros(2, 2), torch.tensor([0, 2]), torch.tensor([0, 2]))


def sequential_estimate(stream, alpha):
    """Algorithm 2 of Yi et al. one item at a time, keyed by item (no hashing)."""
    last, gap, first = {}, {}, None
    for step, ids in stream:
        first = step if first is None else first
        for item in ids:
            gap[item] = (1 - alpha) * gap[item] + alpha * (step - last[item]) if item in last else step - first + 1.0
            last[item] = step
    return gap


def test_estimator_matches_the_sequential_algorithm():
    rng = np.random.default_rng(5)
    stream = [(step, rng.integers(0, 30, 12)) for step in range(0, 400, 2)]
    estimator = StreamingFrequencyEstimator(alpha=0.05)
    for step, ids in stream:
        estimator.update(ids, step)
    gap = sequential_estimate(stream, 0.05)
    items = np.array(sorted(gap))
    np.testing.assert_allclose(estimator.probability(items), [1 / gap[i] for i in items], rtol=1e-12)


def test_estimator_recovers_known_frequencies():
    rng = np.random.default_rng(6)
    p = 1.0 / np.arange(1, 51)
    p /= p.sum()
    estimator = StreamingFrequencyEstimator(alpha=0.01, num_hashes=2)
    for step in range(3000):
        estimator.update(torch.from_numpy(rng.choice(50, size=20, p=p)), step)
    expected = 20 * p[:10]
    np.testing.assert_allclose(estimator.probability(np.arange(10)), expected, rtol=0.2)


def test_more_hashes_never_inflate_collided_estimates():
    rng = np.random.default_rng(7)
    one, three = StreamingFrequencyEstimator(16, num_hashes=1), StreamingFrequencyEstimator(16, num_hashes=3)
    for step in range(300):
        ids = rng.integers(0, 200, 10)
        one.update(ids, step)
        three.update(ids, step)
    assert np.all(three.probability(np.arange(200)) <= one.probability(np.arange(200)) + 1e-12)


def test_unseen_items_get_the_smallest_probability():
    estimator = StreamingFrequencyEstimator()
    np.testing.assert_array_equal(estimator.probability(np.array([1, 2])), [1.0, 1.0])
    for step in range(10):
        estimator.update(np.array([1]), step)
    assert estimator.probability(np.array([99]))[0] == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda e: e.update(np.array([1.5]), 0), "integer ids"),
        (lambda e: e.update(np.array([1]), -1), "step must be an integer >= 0"),
        (lambda e: (e.update(np.array([1]), 5), e.update(np.array([1]), 4)), "pass increasing steps"),
        (lambda e: StreamingFrequencyEstimator(alpha=0), r"alpha must be in \(0, 1\]"),
        (lambda e: StreamingFrequencyEstimator(num_buckets=0), "num_buckets must be a positive integer"),
        (lambda e: StreamingFrequencyEstimator(num_hashes=0), "num_hashes must be a positive integer"),
    ],
)
def test_estimator_rejects_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call(StreamingFrequencyEstimator(num_buckets=64))
