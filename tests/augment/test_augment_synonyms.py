"""Neighbour tables: cosine top-k against scikit-learn, PPMI against a dense float64 formula,
save/load round trips, and the language-model path on a tiny model written in the test."""

import json
import zipfile

import numpy as np
import pytest
from scipy import sparse
from sklearn.neighbors import NearestNeighbors

from longtail.augment.synonyms import (
    SynonymTable,
    _cooccurrence,
    _ppmi,
    nearest_neighbours,
    read_token_embeddings,
    tokenize,
)
from longtail.errors import InputError, LongtailError


def test_nearest_neighbours_match_sklearn_brute_force():
    vectors = np.random.default_rng(0).normal(size=(300, 16))
    idx, sims = nearest_neighbours(vectors, 5, chunk_size=64)
    dist, ref = NearestNeighbors(n_neighbors=6, metric="cosine", algorithm="brute").fit(vectors).kneighbors(vectors)
    assert np.array_equal(idx, ref[:, 1:])  # column 0 of the reference is the row itself
    np.testing.assert_allclose(sims, 1 - dist[:, 1:], atol=1e-5)


def test_min_similarity_pads_with_minus_one():
    vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.0, 0.0]])
    idx, sims = nearest_neighbours(vectors, 3, min_similarity=0.5)
    assert idx[0].tolist() == [1, -1, -1] and idx[2].tolist() == [-1, -1, -1]  # cos 0.11 < 0.5
    assert idx[3].tolist() == [-1, -1, -1]  # a zero vector has no direction, so no neighbours
    assert sims[0, 0] == pytest.approx(0.9 / np.hypot(0.9, 0.1))


def test_cooccurrence_and_ppmi_match_dense_formula():
    docs = [["a", "b", "c"], ["a", "c"], ["b", "c", "d", "a"]]
    vocab = ["a", "b", "c", "d"]
    counts = _cooccurrence(docs, vocab, window=2).toarray()
    dense = np.zeros((4, 4))
    for doc in docs:
        ids = [vocab.index(w) for w in doc]
        for i in range(len(ids)):
            for j in range(len(ids)):
                if i != j and abs(i - j) <= 2:
                    dense[ids[i], ids[j]] += 1
    np.testing.assert_array_equal(counts, dense)
    ctx = dense.sum(0) ** 0.75
    with np.errstate(divide="ignore"):
        pmi = np.log(dense / dense.sum()) - np.log(dense.sum(1, keepdims=True) / dense.sum()) - np.log(ctx / ctx.sum())
    expected = np.where(pmi > 0, pmi, 0.0)
    np.testing.assert_allclose(_ppmi(sparse.csr_matrix(dense), 0.75).toarray(), expected, atol=1e-12)


def test_from_texts_finds_words_used_alike():
    rng = np.random.default_rng(1)
    nouns, colours = ["shirt", "dress", "jacket", "scarf"], ["red", "crimson"]
    sizes = ["small", "little"]
    texts = [
        f"{rng.choice(colours)} cotton {rng.choice(nouns)} {rng.choice(sizes)} size" for _ in range(400)
    ] + [f"{rng.choice(nouns)} for {rng.choice(['men', 'women'])} pack" for _ in range(400)]
    table = SynonymTable.from_texts(texts, k=3, dim=8)
    assert table.get("red")[0] == "crimson" and table.get("small")[0] == "little"
    assert table.get("Crimson")[0] == "red"  # lookups are case-insensitive
    assert table.get("unknownword") == ()


def test_from_texts_rejects_tiny_corpus_and_bad_parameters():
    with pytest.raises(LongtailError, match="min_count"):
        SynonymTable.from_texts(["one two"], min_count=2)
    with pytest.raises(ValueError, match="window"):
        SynonymTable.from_texts(["a b"], window=0)


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_save_load_round_trip(tmp_path, suffix):
    table = SynonymTable.from_dict({"red": ["crimson", "scarlet"], "big": ["large"]})
    loaded = SynonymTable.load(table.save(tmp_path / f"table{suffix}"))
    assert loaded.to_dict() == table.to_dict() == {"red": ["crimson", "scarlet"], "big": ["large"]}
    np.testing.assert_allclose(loaded.scores, table.scores)


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(InputError, match="missing.json"):
        SynonymTable.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"words": []}))
    with pytest.raises(InputError, match="bad.json"):
        SynonymTable.load(bad)
    with pytest.raises(ValueError, match="suffix"):
        SynonymTable.from_dict({"a": ["b"]}).save(tmp_path / "table.pkl")


def test_tokenize_keeps_inner_apostrophes_and_hyphens():
    assert tokenize("Men's T-Shirt, 100% Cotton (2-pack)") == ["men's", "t-shirt", "cotton", "pack"]


def _tiny_model(folder, vocab_file: str):
    from safetensors.numpy import save_file

    vocab = ["[PAD]", "[UNK]", "shirt", "shirts", "##ing", "blouse", "red", "blue", "x", "42"]
    rng = np.random.default_rng(3)
    emb = rng.normal(size=(len(vocab), 8)).astype(np.float32)
    emb[3] = emb[2] + 0.01 * rng.normal(size=8)  # "shirts" next to "shirt"
    folder.mkdir()
    save_file({"embeddings.word_embeddings.weight": emb, "pooler.dense.bias": np.zeros(2, np.float32)},
              str(folder / "model.safetensors"))
    if vocab_file == "vocab.txt":
        (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    else:
        (folder / "tokenizer.json").write_text(json.dumps({"model": {"vocab": {t: i for i, t in enumerate(vocab)}}}))
    return vocab, emb


@pytest.mark.parametrize("vocab_file", ["vocab.txt", "tokenizer.json"])
def test_language_model_table_keeps_whole_words(tmp_path, vocab_file):
    vocab, emb = _tiny_model(tmp_path / "model", vocab_file)
    table = SynonymTable.from_language_model(tmp_path / "model", k=2, min_similarity=-1.0)
    assert table.words == ["shirt", "shirts", "blouse", "red", "blue"]  # no specials, pieces, digits, 1-letter
    assert table.get("shirt")[0] == "shirts"
    keep = [2, 3, 5, 6, 7]
    ref = NearestNeighbors(n_neighbors=3, metric="cosine").fit(emb[keep]).kneighbors(emb[keep])[1][:, 1:]
    assert np.array_equal(table.neighbours, ref)
    restricted = SynonymTable.from_language_model(tmp_path / "model", words=["Shirt", "shirts", "red"])
    assert restricted.words == ["shirt", "shirts", "red"]


def test_language_model_read_from_zip(tmp_path):
    vocab, emb = _tiny_model(tmp_path / "model", "vocab.txt")
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("model.safetensors", "vocab.txt"):
            zf.write(tmp_path / "model" / name, f"inner/{name}")
    read_emb, read_vocab = read_token_embeddings(archive)
    assert read_vocab == vocab and np.array_equal(read_emb, emb)
    with pytest.raises(InputError, match="not a model"):
        read_token_embeddings(tmp_path / "model" / "vocab.txt")


@pytest.mark.lm
def test_packaged_language_model_neighbours():
    pytest.importorskip("all_minilm_l6_v2")
    words = ["shirt", "shirts", "blouse", "sweatshirt", "red", "blue", "green", "large", "big", "huge"]
    table = SynonymTable.from_language_model(words=words, k=3, min_similarity=0.3)
    assert "shirts" in table.get("shirt") and "big" in table.get("large")
    assert set(table.words) == set(words)
