"""sampling_strategy resolution equals imbalanced-learn's for every form it accepts."""

from __future__ import annotations

import numpy as np
import pytest
from imblearn.utils import check_sampling_strategy

from longtail.sampling.strategy import CLEAN, OVER, UNDER, STRING_FORMS, resolve_sampling_strategy


def _random_labels(rng: np.random.Generator) -> np.ndarray:
    n_classes = int(rng.integers(2, 5))
    sizes = rng.integers(3, 60, size=n_classes)
    labels = rng.choice(np.array([0, 1, 2, 5, 7, 9]), size=n_classes, replace=False)
    return rng.permutation(np.repeat(labels, sizes))


def _both(strategy, y, kind):
    """Our result and imbalanced-learn's, or the exception type each raised."""
    try:
        ours = dict(resolve_sampling_strategy(strategy, y, kind))
    except ValueError:
        ours = ValueError
    try:
        theirs = {k: int(v) for k, v in check_sampling_strategy(strategy, y, kind).items()}
    except ValueError:
        theirs = ValueError
    return ours, theirs


@pytest.mark.parametrize("kind", [OVER, UNDER, CLEAN])
def test_string_forms_match_imblearn_on_random_labels(kind):
    rng = np.random.default_rng(0)
    for _ in range(60):
        y = _random_labels(rng)
        for form in STRING_FORMS:
            ours, theirs = _both(form, y, kind)
            assert ours == theirs, (form, kind, np.unique(y, return_counts=True))


@pytest.mark.parametrize("kind", [OVER, UNDER])
def test_float_and_dict_forms_match_imblearn(kind):
    rng = np.random.default_rng(1)
    for _ in range(80):
        y = _random_labels(rng)
        ratio = float(rng.uniform(-0.2, 1.3))
        assert _both(ratio, y, kind)[0] == _both(ratio, y, kind)[1]
        labels, counts = np.unique(y, return_counts=True)
        chosen = rng.choice(labels.size, size=int(rng.integers(1, labels.size + 1)), replace=False)
        wanted = {labels[i].item(): int(counts[i] + rng.integers(-5, 6)) for i in chosen}
        ours, theirs = _both(wanted, y, kind)
        assert ours == theirs, (wanted, kind)
        ours, theirs = _both(lambda yy, w=wanted: w, y, kind)
        assert ours == theirs


def test_list_form_for_cleaning_matches_imblearn():
    rng = np.random.default_rng(2)
    for _ in range(30):
        y = _random_labels(rng)
        labels = np.unique(y).tolist()
        chosen = labels[: int(rng.integers(1, len(labels) + 1))]
        assert _both(chosen, y, CLEAN)[0] == _both(chosen, y, CLEAN)[1]
        assert _both(chosen, y, OVER)[0] is ValueError


@pytest.mark.parametrize(
    "strategy, y, kind, fragment",
    [
        ("sometimes", [0, 0, 1], OVER, "one of"),
        (1.5, [0, 0, 0, 1], OVER, "(0, 1]"),
        (0.0, [0, 0, 0, 1], UNDER, "(0, 1]"),
        ({0: -1}, [0, 0, 1], UNDER, "negative"),
        ({3: 4}, [0, 0, 1], OVER, "not in y"),
        ("auto", [1, 1, 1], OVER, "single class"),
        (0.5, [0, 1, 2, 2], OVER, "two classes"),
        ({0: 1}, [0, 0, 1], OVER, "at least the current count"),
        ("minority", [0, 0, 1], UNDER, "cannot be used"),
    ],
)
def test_bad_strategies_raise_naming_the_parameter(strategy, y, kind, fragment):
    with pytest.raises(ValueError, match="sampling_strategy|single class") as info:
        resolve_sampling_strategy(strategy, np.asarray(y), kind)
    assert fragment in str(info.value)
