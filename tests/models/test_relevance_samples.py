"""A small graded query-product problem shared by the relevance model tests, and checks of the generator itself.

A query names a product noun; a judged title names its own noun among filler
words. The grade follows from the two nouns: exact (same noun), substitute
(the sibling noun), complement (the noun's accessory), irrelevant (anything
else), with complement the rare grade.
"""

from __future__ import annotations

import zlib

import numpy as np
from torch_samples import one_thread  # noqa: F401 (autouse fixture)

NOUNS = ("phone", "tablet", "kettle", "teapot", "drill", "saw")
SIBLING = {"phone": "tablet", "tablet": "phone", "kettle": "teapot", "teapot": "kettle", "drill": "saw", "saw": "drill"}
ACCESSORY = {"phone": "charger", "tablet": "stylus", "kettle": "filter", "teapot": "cosy", "drill": "bits", "saw": "blade"}
FILLER = ("new", "black", "large", "pro", "value", "pack")
# share of exact, substitute, irrelevant, complement pairs
GRADE_SHARE = (0.55, 0.25, 0.14, 0.06)
GRADES = np.array(["E", "S", "I", "C"])
DIM = 16


def pairs(n: int, seed: int = 0) -> tuple[list[str], list[str], np.ndarray]:
    """(queries, titles, grades) of ``n`` judged pairs."""
    rng = np.random.default_rng(seed)
    grades = rng.choice(GRADES, size=n, p=GRADE_SHARE)
    queries, titles = [], []
    for grade in grades:
        noun = NOUNS[rng.integers(len(NOUNS))]
        if grade == "E":
            other = noun
        elif grade == "S":
            other = SIBLING[noun]
        elif grade == "C":
            other = ACCESSORY[noun]
        else:
            other = rng.choice([n for n in NOUNS if n not in (noun, SIBLING[noun])])
        queries.append(noun)
        titles.append(" ".join(rng.permutation([*rng.choice(FILLER, size=2), other])))
    return queries, titles, grades


def word_vectors(texts: list[str], seed: int = 0, noise: float = 0.3) -> np.ndarray:
    """L2-normalised vectors: the mean of fixed random word vectors plus noise, like a sentence encoder's."""
    rng = np.random.default_rng(seed)
    vocab = sorted({word for text in texts for word in text.split()} | set(NOUNS) | set(ACCESSORY.values()))
    table = {word: np.random.default_rng(zlib.crc32(word.encode())).standard_normal(DIM) for word in vocab}
    rows = np.array([np.mean([table[w] for w in text.split()], axis=0) for text in texts])
    rows += noise * rng.standard_normal(rows.shape)
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def majority_accuracy(y: np.ndarray) -> float:
    """Accuracy of always predicting the most frequent grade."""
    return float(np.max(np.unique(y, return_counts=True)[1]) / y.size)


def test_grades_follow_the_nouns():
    queries, titles, grades = pairs(200, seed=3)
    for query, title, grade in zip(queries, titles, grades):
        words = title.split()
        assert (query in words) == (grade == "E")
        assert (SIBLING[query] in words) == (grade == "S")
        assert (ACCESSORY[query] in words) == (grade == "C")


def test_complement_is_the_rare_grade():
    _, _, grades = pairs(2000, seed=1)
    share = {g: np.mean(grades == g) for g in GRADES}
    assert share["C"] < 0.1 < share["I"] < share["S"] < share["E"]


def test_word_vectors_are_normalised_and_seeded():
    texts = ["new phone", "black saw pro"]
    first, again = word_vectors(texts, seed=2), word_vectors(texts, seed=2)
    assert np.array_equal(first, again)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-6)
