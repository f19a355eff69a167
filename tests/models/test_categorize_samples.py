"""A small long-tailed text / embedding classification problem shared by the categoriser tests."""

from __future__ import annotations

import numpy as np
import pytest
from torch_samples import one_thread  # noqa: F401 (autouse fixture)

# rows per class: a long tail from 60 down to 2
COUNTS = (60, 30, 16, 9, 6, 4, 3, 2)
WORDS = ("shirt", "phone", "kettle", "novel", "puzzle", "collar", "lipstick", "drill")
NOISE = ("blue", "large", "new", "set", "pack", "pro", "mini", "classic", "deluxe", "value")
DIM = 12


def labels(counts=COUNTS) -> np.ndarray:
    """String labels ``c0`` ... with the given counts, in blocks."""
    return np.repeat([f"c{k}" for k in range(len(counts))], counts)


def texts(y: np.ndarray, seed: int = 0) -> list[str]:
    """A title per row: its class word among three random noise words."""
    rng = np.random.default_rng(seed)
    out = []
    for label in y:
        words = list(rng.choice(NOISE, size=3)) + [WORDS[int(label[1:])]]
        out.append(" ".join(rng.permutation(words)))
    return out


def embeddings(y: np.ndarray, seed: int = 0, spread: float = 0.6) -> np.ndarray:
    """Rows near a class centre, L2-normalised like encoder output."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(123).standard_normal((len(WORDS), DIM))
    codes = np.asarray([int(label[1:]) for label in y])
    X = centres[codes] + spread * rng.standard_normal((y.size, DIM))
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)


def problem(seed: int = 0):
    """(train texts, train X, train y, test texts, test X, test y)."""
    y_train, y_test = labels(), labels(tuple(max(2, c // 3) for c in COUNTS))
    return (texts(y_train, seed), embeddings(y_train, seed), y_train,
            texts(y_test, seed + 100), embeddings(y_test, seed + 100), y_test)


@pytest.mark.parametrize("seed", [0, 1])
def test_problem_is_long_tailed_and_aligned(seed):
    train_texts, X, y, test_texts, X_test, y_test = problem(seed)
    assert len(train_texts) == X.shape[0] == y.size == sum(COUNTS)
    assert len(test_texts) == X_test.shape[0] == y_test.size
    _, counts = np.unique(y, return_counts=True)
    assert counts.max() / counts.min() == 30
    assert np.allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    assert all(WORDS[int(label[1:])] in text.split() for text, label in zip(train_texts, y))
