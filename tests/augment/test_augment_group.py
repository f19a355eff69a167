"""TailAugmenter: only labels below target grow, exactly to the target, from their own rows."""

import numpy as np
import pytest

from longtail.augment import EDA, EmbeddingSMOTE, GaussianNoise, Mixup, SequenceCrop, TailAugmenter

LABELS = np.array([0] * 10 + [1] * 3 + [2] * 1 + [3] * 6)


def _check_counts(result, labels, target):
    assert len(result.rows) == result.labels.size == result.source.size
    assert np.array_equal(labels[result.source], result.labels)  # each new row's label is its source's
    new = np.bincount(result.labels, minlength=labels.max() + 1)
    old = np.bincount(labels)
    assert np.array_equal(new, np.maximum(target - old, 0))


def test_plan_and_target_count_with_texts():
    texts = [f"title number {i} red" for i in range(LABELS.size)]
    eda = EDA({"red": ["crimson"]}, alpha_ri=0, alpha_rs=0, p_rd=0)
    tail = TailAugmenter(eda, target_count=6)
    assert tail.plan(LABELS) == {1: 3, 2: 5}
    result = tail.augment(texts, LABELS, 0)
    _check_counts(result, LABELS, 6)
    assert all(new == texts[s].replace("red", "crimson") for new, s in zip(result.rows, result.source))
    # each source row of a label is used evenly (floor or ceil of needed / available)
    assert np.bincount(result.source[result.labels == 1], minlength=13)[10:13].tolist() == [1, 1, 1]


def test_target_ratio_and_string_labels():
    labels = np.array(["head"] * 9 + ["tail"] * 2)
    tail = TailAugmenter(GaussianNoise(0.1), target_ratio=0.5)
    X = np.random.default_rng(1).normal(size=(11, 2))
    result = tail.augment(X, labels, 2)
    assert result.labels.tolist() == ["tail"] * 3 and set(result.source) <= {9, 10}  # ceil(0.5 * 9) = 5
    assert tail.augmenter.fitted  # fitted on the whole batch, not the repeated sources
    np.testing.assert_allclose(tail.augmenter.std_, X.std(axis=0))


def test_smote_and_mixup_stay_within_the_label():
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(0, 1, size=(14, 2)), rng.normal(50, 1, size=(6, 2))])
    labels = np.array([0] * 14 + [1] * 6)
    for augmenter in (EmbeddingSMOTE(k_neighbors=2), Mixup(alpha=1.0)):
        result = TailAugmenter(augmenter, target_count=14).augment(X, labels, 4)
        _check_counts(result, labels, 14)
        assert result.rows.shape == (8, 2) and np.all(result.rows > 40)  # mixed only with class-1 rows
    assert np.array_equal(TailAugmenter(Mixup(), target_count=14).augment(X, labels, 5).rows,
                          TailAugmenter(Mixup(), target_count=14).augment(X, labels, 5).rows)


def test_sequences_and_nothing_to_do():
    seqs = [np.arange(5) + i for i in range(LABELS.size)]
    result = TailAugmenter(SequenceCrop(0.6), target_count=4).augment(seqs, LABELS, 6)
    _check_counts(result, LABELS, 4)
    assert all(r.size == 3 for r in result.rows)
    empty = TailAugmenter(SequenceCrop(), target_count=1).augment(seqs, LABELS, 6)
    assert empty.rows == [] and empty.labels.size == 0 and empty.source.size == 0


def test_bad_parameters():
    with pytest.raises(ValueError, match="exactly one"):
        TailAugmenter(SequenceCrop())
    with pytest.raises(ValueError, match="exactly one"):
        TailAugmenter(SequenceCrop(), target_count=3, target_ratio=0.5)
    with pytest.raises(ValueError, match="target_ratio"):
        TailAugmenter(SequenceCrop(), target_ratio=1.5)
    with pytest.raises(ValueError, match="augment"):
        TailAugmenter(object(), target_count=3)
    with pytest.raises(ValueError, match="labels"):
        TailAugmenter(SequenceCrop(), target_count=3).augment([[1]], [0, 1], 0)
