"""Device choice and seeding shared by the torch models."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from longtail.models.runtime import minibatches, pick_device, seeded_generator


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"), [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")]
)
def test_device_is_detected_cuda_then_mps_then_cpu(monkeypatch, cuda, mps, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert pick_device(None) == expected
    assert pick_device("cpu") == "cpu"


def test_asking_for_cuda_without_it_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="CUDA is not available"):
        pick_device("cuda:0")


def test_minibatches_cover_every_row_once_in_a_seeded_order():
    first = list(minibatches(10, 3, seeded_generator(4)))
    again = list(minibatches(10, 3, seeded_generator(4)))
    assert [len(b) for b in first] == [3, 3, 3, 1]
    assert sorted(np.concatenate(first).tolist()) == list(range(10))
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(np.concatenate(first), np.concatenate(list(minibatches(10, 3, seeded_generator(5)))))
    np.testing.assert_array_equal(np.concatenate(list(minibatches(5, 2, shuffle=False))), np.arange(5))
    with pytest.raises(ValueError, match="batch_size"):
        list(minibatches(5, 0))
