"""TF-IDF encoder: agrees with scikit-learn, normalised float32 rows, pickle-free save/load."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from longtail.encoders import TfidfEncoder
from longtail.errors import LongtailError

from encoder_samples import TITLES

UNSEEN = ["stainless steel water bottle 1l", "zzz qqq", "", "Blue DENIM jacket"]


def _reference(analyzer, ngrams, texts, queries):
    """scikit-learn in float64, the definition the encoder must follow."""
    vectorizer = TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams, sublinear_tf=True, dtype=np.float64)
    return vectorizer.fit(texts).transform(queries).toarray()


@pytest.mark.parametrize("analyzer", ["word", "char"])
def test_single_block_matches_scikit_learn(analyzer):
    sk_analyzer, ngrams = ("word", (1, 2)) if analyzer == "word" else ("char_wb", (3, 5))
    encoder = TfidfEncoder(analyzer).fit(TITLES)
    got = encoder.transform(TITLES + UNSEEN, dense=True)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, _reference(sk_analyzer, ngrams, TITLES, TITLES + UNSEEN), atol=1e-6)


def test_word_and_char_blocks_are_joined_then_normalised_once():
    encoder = TfidfEncoder("word+char").fit(TITLES)
    got = encoder.transform(TITLES + UNSEEN)
    assert sp.isspmatrix_csr(got) and got.dtype == np.float32
    both = np.hstack([_reference("word", (1, 2), TITLES, TITLES + UNSEEN),
                      _reference("char_wb", (3, 5), TITLES, TITLES + UNSEEN)])
    norms = np.linalg.norm(both, axis=1, keepdims=True)
    expected = np.divide(both, norms, out=np.zeros_like(both), where=norms > 0)
    np.testing.assert_allclose(got.toarray(), expected, atol=1e-6)
    assert encoder.dim == got.shape[1]


def test_rows_are_unit_length_or_zero_for_unknown_terms():
    vectors = TfidfEncoder("word").fit(TITLES).transform(TITLES + UNSEEN, dense=True)
    norms = np.linalg.norm(vectors, axis=1)
    np.testing.assert_allclose(norms[: len(TITLES)], 1.0, atol=1e-6)
    assert norms[len(TITLES) + 1] == 0.0 and norms[len(TITLES) + 2] == 0.0


@pytest.mark.parametrize("analyzer", ["word", "char", "word+char"])
def test_save_load_round_trip_without_pickle(tmp_path, analyzer):
    encoder = TfidfEncoder(analyzer, min_df=1, max_features=500).fit(TITLES + ["tab\tand\x00nul"])
    path = encoder.save(tmp_path / "tfidf.npz")
    with np.load(path, allow_pickle=False) as stored:  # loadable without pickle at all
        assert "params" in stored.files
    loaded = TfidfEncoder.load(path)
    assert loaded.params == encoder.params
    queries = TITLES + UNSEEN + ["tab\tand\x00nul"]
    np.testing.assert_array_equal(loaded.transform(queries, dense=True), encoder.transform(queries, dense=True))


def test_misuse_is_reported(tmp_path):
    with pytest.raises(ValueError, match="analyzer"):
        TfidfEncoder("bigram")
    with pytest.raises(ValueError, match="not fitted"):
        TfidfEncoder().transform(["a"])
    with pytest.raises(ValueError, match="empty"):
        TfidfEncoder().fit([])
    with pytest.raises(ValueError, match=r"texts\[0\]"):
        TfidfEncoder().fit([3.5])
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a file")
    with pytest.raises(LongtailError, match="not a saved TfidfEncoder"):
        TfidfEncoder.load(bad)


def test_encode_is_the_dense_transform():
    encoder = TfidfEncoder("word+char").fit(TITLES)
    vectors = encoder.encode(TITLES + UNSEEN)
    assert isinstance(vectors, np.ndarray) and vectors.dtype == np.float32
    np.testing.assert_array_equal(vectors, encoder.transform(TITLES + UNSEEN).toarray())
    with pytest.raises(ValueError, match="not fitted"):
        TfidfEncoder().encode(["a"])
