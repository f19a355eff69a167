"""CrossEncoder (tiny random BERT, CPU) and BiEncoderClassifier: learning, determinism, strategies, save/load."""

from __future__ import annotations

import numpy as np
import pytest
from test_relevance_samples import majority_accuracy, one_thread, pairs, word_vectors  # noqa: F401 (autouse fixture)
from torch_samples import TINY_BERT

from longtail import strategies
from longtail.augment import EDA, TailAugmenter
from longtail.errors import LongtailError
from longtail.models.relevance import BiEncoderClassifier, CrossEncoder, pair_features

FAST = {"encoder_config": TINY_BERT, "epochs": 6, "lr": 1e-2, "head_lr": 3e-2, "batch_size": 16, "max_length": 16}


class TitleEDA:
    """A strategy whose only slot is a text augmenter (random swaps and deletions on rare-grade titles)."""

    name = "eda-tail"
    augment = "eda"
    adjust = None

    def applies_to(self, kind):
        return kind == "multiclass"

    def make_augmenter(self):
        return TailAugmenter(EDA(alpha_sr=0.0, alpha_ri=0.0, alpha_rs=0.3, p_rd=0.3), target_ratio=0.5)

    def make_sampler(self, random_state=None):
        return None

    def make_loss(self, kind, class_counts=None, item_counts=None):
        return strategies.get("baseline").make_loss(kind)


@pytest.fixture(scope="module")
def data():
    return pairs(240, seed=0), pairs(120, seed=1)


def vectors(part):
    queries, titles, grades = part
    return word_vectors(queries, seed=5), word_vectors(titles, seed=6), grades


# ------------------------------------------------------------------ cross-encoder
@pytest.fixture(scope="module")
def cross(data):
    (queries, titles, grades), _ = data
    return CrossEncoder(**FAST, seed=1).fit(queries, titles, grades)


def test_cross_encoder_learns_beyond_the_majority_grade(data, cross):
    _, (queries, titles, grades) = data
    assert np.mean(cross.predict(queries, titles) == grades) > majority_accuracy(grades) + 0.1
    assert cross.loss_history_[-1] < cross.loss_history_[0]


def test_cross_encoder_reads_query_and_title(data, cross):
    _, (queries, titles, _) = data
    base = cross.decision_function(queries, titles)
    assert not np.allclose(cross.decision_function(queries[::-1], titles), base)
    assert not np.allclose(cross.decision_function(queries, titles[::-1]), base)
    # query and title are two segments, not one text: swapping them changes the scores
    assert not np.allclose(cross.decision_function(titles, queries), base)


def test_cross_encoder_same_seed_same_predictions(data, cross):
    (queries, titles, grades), (test_q, test_t, _) = data
    again = CrossEncoder(**FAST, seed=1).fit(queries, titles, grades)
    assert np.array_equal(again.predict_proba(test_q, test_t), cross.predict_proba(test_q, test_t))


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["random-over", "threshold", "eda"])
def test_cross_encoder_strategy_slots_change_training(data, cross, strategy):
    (queries, titles, grades), (test_q, test_t, _) = data
    chosen = TitleEDA() if strategy == "eda" else strategies.get(strategy)
    remedied = CrossEncoder(**FAST, seed=1).fit(queries, titles, grades, strategy=chosen)
    assert not np.allclose(remedied.predict_proba(test_q, test_t), cross.predict_proba(test_q, test_t), atol=1e-4)


def test_cross_encoder_logit_adjusted_loss_favours_the_rare_grade(data, cross):
    (queries, titles, grades), (test_q, test_t, _) = data
    adjusted = CrossEncoder(**FAST, seed=1).fit(queries, titles, grades, strategy=strategies.get("logit-adjust"))
    rare = list(cross.classes_).index("C")
    assert adjusted.predict_proba(test_q, test_t)[:, rare].mean() > cross.predict_proba(test_q, test_t)[:, rare].mean()


@pytest.mark.parametrize("strategy", ["smote", "augment-tail"])
def test_cross_encoder_refuses_vector_remedies(data, strategy):
    (queries, titles, grades), _ = data
    with pytest.raises(LongtailError, match="text"):
        CrossEncoder(**FAST).fit(queries, titles, grades, strategy=strategies.get(strategy))


def test_cross_encoder_save_load_round_trip(data, tmp_path):
    (queries, titles, grades), (test_q, test_t, _) = data
    chosen = strategies.Strategy("ldam+threshold", loss=strategies.get("ldam-drw").loss, adjust="threshold")
    model = CrossEncoder(**{**FAST, "epochs": 1}, pooling="cls").fit(queries, titles, grades, strategy=chosen)
    model.save(tmp_path)
    loaded = CrossEncoder.load(tmp_path)
    assert loaded.pooling == "cls" and loaded.adjuster_ is not None
    assert np.allclose(loaded.predict_proba(test_q, test_t), model.predict_proba(test_q, test_t), atol=1e-6)
    assert np.array_equal(loaded.predict(test_q, test_t), model.predict(test_q, test_t))


def test_cross_encoder_bad_input():
    with pytest.raises(ValueError, match="pooling"):
        CrossEncoder(encoder_config=TINY_BERT, pooling="max")
    with pytest.raises(ValueError, match="one title per query"):
        CrossEncoder(**FAST).fit(["a", "b"], ["t"], ["E", "I"])
    with pytest.raises(ValueError, match="not a string"):
        CrossEncoder(**FAST).fit(["a", None], ["t", "u"], ["E", "I"])


# --------------------------------------------------------------------- bi-encoder
def test_pair_features_match_a_float64_reference():
    rng = np.random.default_rng(0)
    q, t = rng.standard_normal((7, 5)), rng.standard_normal((7, 5))
    q[3] = 0.0  # a zero vector has cosine 0, not NaN
    cosine = np.array([a @ b / (np.linalg.norm(a) * np.linalg.norm(b)) if a.any() else 0.0 for a, b in zip(q, t)])
    expected = np.hstack([q, t, q * t, np.abs(q - t), cosine[:, None]])
    assert np.allclose(pair_features(q, t), expected, atol=1e-5)
    with pytest.raises(ValueError, match="same shape"):
        pair_features(q, t[:, :4])


@pytest.fixture(scope="module")
def bi(data):
    train, _ = data
    return BiEncoderClassifier(hidden=32, epochs=60, seed=2).fit(*vectors(train))


def test_bi_encoder_learns_beyond_the_majority_grade(data, bi):
    _, test = data
    q, t, grades = vectors(test)
    assert np.mean(bi.predict(q, t) == grades) > majority_accuracy(grades) + 0.1


def test_bi_encoder_standardises_with_training_statistics(data, bi):
    train, _ = data
    q, t, _ = vectors(train)
    raw = pair_features(q, t).astype(np.float64)
    assert np.allclose(bi.feature_mean_, raw.mean(axis=0), atol=1e-5)
    assert np.allclose(bi.feature_scale_, raw.std(axis=0), rtol=1e-4)


def test_bi_encoder_same_seed_same_predictions(data, bi):
    train, test = data
    again = BiEncoderClassifier(hidden=32, epochs=60, seed=2).fit(*vectors(train))
    q, t, _ = vectors(test)
    assert np.array_equal(again.predict_proba(q, t), bi.predict_proba(q, t))


@pytest.mark.parametrize("strategy", ["logit-adjust", "smote", "augment-tail", "posthoc-logit-adjust", "threshold"])
def test_bi_encoder_strategy_slots_change_training(data, bi, strategy):
    train, test = data
    remedied = BiEncoderClassifier(hidden=32, epochs=60, seed=2).fit(*vectors(train), strategy=strategies.get(strategy))
    q, t, _ = vectors(test)
    assert not np.allclose(remedied.predict_proba(q, t), bi.predict_proba(q, t), atol=1e-4)


def test_bi_encoder_text_augmenter_embeds_new_titles(data):
    (queries, titles, grades), _ = data
    q, t, _ = vectors((queries, titles, grades))
    embedded: list[str] = []

    def embed(texts):
        embedded.extend(texts)
        return word_vectors(list(texts), seed=7)

    model = BiEncoderClassifier(epochs=5).fit(q, t, grades, strategy=TitleEDA(), title_texts=titles, embed=embed)
    target = int(np.ceil(0.5 * np.unique(grades, return_counts=True)[1].max()))
    expected_new = sum(max(0, target - int(np.sum(grades == g))) for g in np.unique(grades))
    assert len(embedded) == expected_new > 0
    assert model.classes_.tolist() == sorted(set(grades))
    with pytest.raises(LongtailError, match="title_texts"):
        BiEncoderClassifier(epochs=1).fit(q, t, grades, strategy=TitleEDA())


def test_bi_encoder_save_load_round_trip(data, tmp_path):
    train, test = data
    model = BiEncoderClassifier(epochs=5).fit(*vectors(train), strategy=strategies.get("cb-focal+threshold"))
    model.save(tmp_path)
    loaded = BiEncoderClassifier.load(tmp_path)
    q, t, _ = vectors(test)
    assert np.array_equal(loaded.feature_scale_, model.feature_scale_)
    assert np.allclose(loaded.predict_proba(q, t), model.predict_proba(q, t), atol=1e-6)
    assert loaded.model_name == "biencoder"


def test_bi_encoder_bad_input(data):
    train, _ = data
    q, t, grades = vectors(train)
    with pytest.raises(ValueError, match="NaN"):
        BiEncoderClassifier().fit(np.full_like(q, np.nan), t, grades)
    with pytest.raises(ValueError, match="one label per input row"):
        BiEncoderClassifier().fit(q, t, grades[:-1])
    with pytest.raises(ValueError, match="title_texts"):
        BiEncoderClassifier().fit(q, t, grades, title_texts=["x"])
