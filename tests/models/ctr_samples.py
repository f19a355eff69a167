"""Small impression-like data with a planted signal, shared by the ctr model and ensemble tests."""

from __future__ import annotations

import numpy as np
import pytest

N_USERS, N_ITEMS, N_REGIONS = 60, 40, 5


def impressions(n: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(X, y): codes for user, item, region, hour (0 never used) and labels; items 1..8 are clicked far more."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([
        rng.integers(1, N_USERS + 1, n),
        rng.integers(1, N_ITEMS + 1, n),
        rng.integers(1, N_REGIONS + 1, n),
        rng.integers(1, 25, n),
    ])
    logit = -3.0 + 3.0 * (X[:, 1] <= 8) + 1.0 * (X[:, 2] == 1)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return X, y


def item_text(dim: int = 6, seed: int = 0) -> np.ndarray:
    """A text vector per item code (row 0 for unknown items is zeros)."""
    table = np.random.default_rng(seed).normal(size=(N_ITEMS + 1, dim)).astype(np.float32)
    table[0] = 0.0
    return table


@pytest.fixture(autouse=True, scope="module")
def single_thread():
    """Tiny models run faster on one thread, and on a busy machine much faster."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
