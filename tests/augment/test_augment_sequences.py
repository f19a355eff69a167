"""CL4SRec crop / mask / reorder: each output checked against the operation's definition."""

import numpy as np
import pytest

from longtail.augment import CL4SRecAugment, SequenceCrop, SequenceMask, SequenceReorder

MASK = -7


def _batch(seed=0, n=300):
    rng = np.random.default_rng(seed)
    # distinct items within a sequence make positions identifiable
    return [rng.permutation(1000)[: rng.integers(0, 25)] for _ in range(n)]


def _is_contiguous_run(run, seq):
    return any(np.array_equal(seq[s : s + run.size], run) for s in range(seq.size - run.size + 1))


def test_crop_keeps_a_contiguous_run_of_floor_eta_n():
    batch = _batch()
    for seq, out in zip(batch, SequenceCrop(eta=0.6).augment(batch, 1)):
        assert out.size == (max(1, int(0.6 * seq.size)) if seq.size else 0)
        assert _is_contiguous_run(out, seq)


def test_crop_start_is_uniform():
    starts = [int(out[0]) for out in SequenceCrop(eta=0.5).augment([np.arange(10)] * 6000, 2)]
    counts = np.bincount(starts, minlength=6)  # length 5 runs start at 0..5
    assert counts[6:].sum() == 0 and np.abs(counts[:6] / 6000 - 1 / 6).max() < 0.02


def test_mask_replaces_floor_gamma_n_items():
    batch = _batch(3)
    for seq, out in zip(batch, SequenceMask(gamma=0.3, mask_token=MASK).augment(batch, 4)):
        masked = out == MASK
        assert out.size == seq.size and masked.sum() == int(0.3 * seq.size)
        assert np.array_equal(out[~masked], seq[~masked])
    positions = np.concatenate([np.flatnonzero(o == MASK) for o in SequenceMask(0.2, mask_token=MASK).augment(
        [np.arange(10)] * 5000, 5)])
    assert np.abs(np.bincount(positions) / 10000 - 0.1).max() < 0.015  # every position equally likely


def test_reorder_shuffles_only_a_run_of_floor_beta_n():
    batch = _batch(6)
    changed = 0
    for seq, out in zip(batch, SequenceReorder(beta=0.5).augment(batch, 7)):
        assert sorted(out.tolist()) == sorted(seq.tolist())
        moved = np.flatnonzero(out != seq)
        if moved.size:
            changed += 1
            assert moved[-1] - moved[0] + 1 <= int(0.5 * seq.size)
            window = slice(moved[0], moved[-1] + 1)
            assert sorted(out[window].tolist()) == sorted(seq[window].tolist())
    assert changed > 0.8 * sum(int(0.5 * s.size) >= 2 for s in batch)


def test_edge_cases_empty_and_single_item():
    batch = [np.array([], dtype=np.int64), np.array([5])]
    assert [o.tolist() for o in SequenceCrop().augment(batch, 0)] == [[], [5]]
    assert [o.tolist() for o in SequenceMask(0.9, mask_token=0).augment(batch, 0)] == [[], [5]]
    assert [o.tolist() for o in SequenceReorder(1.0).augment(batch, 0)] == [[], [5]]
    assert SequenceCrop().augment([], 0) == []


def test_cl4srec_applies_one_operation_per_sequence():
    batch = [np.arange(20) + 100 * i for i in range(600)]
    out = CL4SRecAugment(eta=0.5, gamma=0.5, beta=0.5, mask_token=MASK).augment(batch, 8)
    cropped = sum(o.size == 10 for o in out)
    masked = sum((o == MASK).sum() == 10 for o in out)
    reordered = sum(o.size == 20 and (o != MASK).all() for o in out)
    assert cropped + masked + reordered == 600 and min(cropped, masked, reordered) > 150
    again = CL4SRecAugment(eta=0.5, gamma=0.5, beta=0.5, mask_token=MASK).augment(batch, 8)
    assert all(np.array_equal(a, b) for a, b in zip(out, again))


def test_bad_parameters_and_inputs():
    with pytest.raises(ValueError, match="eta"):
        SequenceCrop(eta=0)
    with pytest.raises(ValueError, match="mask_token"):
        CL4SRecAugment()
    with pytest.raises(ValueError, match="operations"):
        CL4SRecAugment(operations=("crop", "rotate"))
    CL4SRecAugment(operations=("crop",))
    with pytest.raises(ValueError, match="sequence 1"):
        SequenceCrop().augment([[1, 2], [0.5]], 0)
