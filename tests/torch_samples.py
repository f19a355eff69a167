"""Pieces shared by the tests that train torch models on the CPU."""

from __future__ import annotations

import pytest

# A one-layer BERT small enough to fine-tune in a test; randomly initialised, nothing is downloaded.
TINY_BERT = {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 64}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # Small models gain nothing from threads, and on a busy machine the threads only wait for each other.
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
