"""Strategy slots on a categoriser's training rows: validation slice, samplers, augmenters."""

from __future__ import annotations

import numpy as np
import pytest
from imblearn.over_sampling import SMOTE as ImbSMOTE
from imblearn.over_sampling import RandomOverSampler as ImbOver
from imblearn.under_sampling import NearMiss
from imblearn.under_sampling import RandomUnderSampler as ImbUnder
from imblearn.under_sampling import TomekLinks as ImbTomek

from longtail import strategies
from longtail.augment import AttributeShuffle, GaussianNoise, TailAugmenter
from longtail.errors import LongtailError
from longtail.models.categorize.remedies import (
    augment_rows,
    is_text_augmenter,
    remedy_texts,
    remedy_vectors,
    resample_features,
    resample_indices,
    validation_rows,
)
from longtail.sampling import SMOTE, RandomOverSampler, RandomUnderSampler, TomekLinks


@pytest.mark.parametrize("seed", [0, 3])
def test_validation_rows_take_a_share_of_each_class_and_leave_one(seed):
    codes = np.repeat(np.arange(5), [40, 10, 4, 2, 1])
    fit, valid = validation_rows(codes, 0.25, seed)
    assert np.intersect1d(fit, valid).size == 0
    assert np.array_equal(np.sort(np.concatenate([fit, valid])), np.arange(codes.size))
    assert np.array_equal(np.bincount(codes[valid], minlength=5), [10, 2, 1, 0, 0])  # round(0.25 n), at most n - 1
    assert (np.bincount(codes[fit], minlength=5) >= 1).all()
    again = validation_rows(codes, 0.25, seed)
    assert np.array_equal(again[1], valid)


def test_validation_fraction_is_checked():
    with pytest.raises(ValueError, match="valid_fraction"):
        validation_rows(np.zeros(4, dtype=int), 1.0, 0)


def test_index_resampling_matches_the_sampler_on_the_rows():
    codes = np.repeat(np.arange(3), [20, 5, 2])
    for sampler_cls in (RandomOverSampler, RandomUnderSampler):
        index = resample_indices(sampler_cls(random_state=4), codes, "tfidf-logreg", "s")
        reference = sampler_cls(random_state=4)
        reference.fit_resample(np.arange(codes.size, dtype=float).reshape(-1, 1), codes)
        assert np.array_equal(index, reference.sample_indices_)
    over = resample_indices(RandomOverSampler(random_state=0), codes, "m", "s")
    assert np.array_equal(np.bincount(codes[over]), [20, 20, 20])


def test_index_resampling_refuses_samplers_that_need_vectors():
    with pytest.raises(LongtailError, match="random-over or random-under"):
        resample_indices(SMOTE(random_state=0), np.repeat(np.arange(2), [10, 8]), "tfidf-logreg", "smote")


def test_smote_with_enough_rows_is_plain_smote():
    rng = np.random.default_rng(0)
    codes = np.repeat(np.arange(3), [30, 12, 8])
    X = rng.standard_normal((codes.size, 4))
    ours = resample_features(SMOTE(random_state=7), X, codes)
    theirs = SMOTE(random_state=7).fit_resample(X, codes)
    assert np.allclose(ours[0], theirs[0]) and np.array_equal(ours[1], theirs[1])


def _on_segment_between_members(point: np.ndarray, members: np.ndarray) -> bool:
    """Whether ``point`` lies on a segment between two member rows (float64 reference)."""
    for a in members:
        for b in members:
            d = b - a
            t = 0.0 if not d.any() else float(np.dot(point - a, d) / np.dot(d, d))
            if -1e-9 <= t <= 1 + 1e-9 and np.allclose(a + t * d, point, atol=1e-6):
                return True
    return False


def test_smote_lowers_k_for_small_classes_and_copies_single_rows():
    rng = np.random.default_rng(1)
    codes = np.repeat(np.arange(4), [12, 3, 2, 1])
    X = rng.standard_normal((codes.size, 3))
    X_res, y_res = resample_features(SMOTE(k_neighbors=5, random_state=0), X, codes)
    assert np.array_equal(np.bincount(y_res), [12, 12, 12, 12])
    assert np.array_equal(X_res[: codes.size], X)
    for label in (1, 2):
        members = X[codes == label]
        new = X_res[codes.size:][y_res[codes.size:] == label]
        assert all(_on_segment_between_members(row, members) for row in new)
    singles = X_res[codes.size:][y_res[codes.size:] == 3]
    assert np.allclose(singles, X[codes == 3][0])


def test_augment_rows_adds_tail_rows_to_vectors_and_texts():
    codes = np.repeat(np.arange(3), [10, 4, 2])
    X = np.random.default_rng(0).standard_normal((codes.size, 5))
    X_new, y_new = augment_rows(TailAugmenter(GaussianNoise(0.1), target_count=8), X, codes, seed=0)
    assert np.array_equal(np.bincount(y_new), [10, 8, 8])
    assert np.array_equal(X_new[: codes.size], X)
    titles = [f"item {i}, red, large" for i in range(codes.size)]
    texts_new, y_text = augment_rows(TailAugmenter(AttributeShuffle(), target_count=8), titles, codes, seed=0)
    assert len(texts_new) == y_text.size == 26 and texts_new[: codes.size] == titles


def test_text_and_vector_augmenters_are_told_apart():
    assert is_text_augmenter(TailAugmenter(AttributeShuffle(), target_count=3))
    assert not is_text_augmenter(TailAugmenter(GaussianNoise(), target_count=3))


def test_text_models_refuse_vector_augmenters():
    codes = np.repeat(np.arange(2), [6, 2])
    with pytest.raises(LongtailError, match="text augmenter"):
        remedy_texts(strategies.get("augment-tail"), ["a"] * 8, codes, "tfidf-logreg", 0)


def test_vector_recipe_augments_then_resamples():
    codes = np.repeat(np.arange(3), [20, 6, 3])
    X = np.random.default_rng(2).standard_normal((codes.size, 4)).astype(np.float32)
    strategy = strategies.Strategy("noise-then-over", augment="tail-noise", sampler="random-over")
    X_new, y_new = remedy_vectors(strategy, X, codes, seed=0)
    assert np.array_equal(np.bincount(y_new), [20, 20, 20]) and X_new.dtype == np.float32
    plain = remedy_vectors(None, X, codes, seed=0)
    assert plain[0] is X


def test_vector_recipe_with_a_text_augmenter_needs_texts_and_encoder():
    class TextTail:
        """A strategy stand-in whose augmenter rewrites titles."""

        name = "text-tail"

        def make_augmenter(self):
            return TailAugmenter(AttributeShuffle(), target_count=4)

        def make_sampler(self, random_state=None):
            return None

    codes = np.repeat(np.arange(2), [4, 2])
    X = np.eye(6, 3, dtype=np.float32)
    with pytest.raises(LongtailError, match="texts= and embed="):
        remedy_vectors(TextTail(), X, codes, 0)
    titles = [f"t{i}, a, b" for i in range(6)]
    X_new, y_new = remedy_vectors(TextTail(), X, codes, 0, titles, lambda texts: np.ones((len(texts), 3)))
    assert np.array_equal(np.bincount(y_new), [4, 4]) and np.allclose(X_new[6:], 1.0)


def test_imblearn_row_samplers_select_rows_like_ours():
    codes = np.repeat(np.arange(3), [20, 5, 2])
    index = np.arange(codes.size, dtype=float).reshape(-1, 1)
    for ours, theirs in ((RandomOverSampler, ImbOver), (RandomUnderSampler, ImbUnder)):
        rows = resample_indices(theirs(random_state=4), codes, "tfidf-logreg", "s")
        reference = theirs(random_state=4)
        reference.fit_resample(index, codes)
        np.testing.assert_array_equal(rows, reference.sample_indices_)
        own = resample_indices(ours(random_state=4), codes, "m", "s")
        assert np.bincount(codes[rows]).tolist() == np.bincount(codes[own]).tolist()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: ImbSMOTE(k_neighbors=1, random_state=0), "SMOTE makes new rows from feature vectors"),
        (lambda: ImbOver(shrinkage=1.0, random_state=0), "RandomOverSampler makes new rows"),
        (lambda: ImbTomek(), "TomekLinks judges rows by their"),
        (lambda: NearMiss(), "NearMiss judges rows by their"),
        (lambda: TomekLinks(), "TomekLinks judges rows by their"),
        (lambda: ImbOver(), "RandomOverSampler judges rows by .*not seeded by random_state"),
    ],
)
def test_samplers_that_make_or_judge_rows_by_vectors_are_refused_for_text(make, message):
    codes = np.repeat(np.arange(2), [30, 12])
    with pytest.raises(strategies.StrategyError, match=f"{message}.*model 'tfidf-logreg' \\(trained on text\\)"):
        resample_indices(make(), codes, "tfidf-logreg", "s")
