"""TransformerEncoder: pooling, batching, de-duplication, caching, identity, fine-tuning hooks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from encoder_samples import TINY_BERT, TITLES

from longtail.encoders import TransformerEncoder

MIXED = TITLES[:6] + ["", "same length one", "same length two", TITLES[0], "word " * 700]


def _count_forward(monkeypatch, encoder):
    """Record the number of texts in every batch the encoder runs through its model."""
    calls = []
    original = encoder._pooled_batch

    def counting(forward, ids, mask):
        calls.append(len(ids))
        return original(forward, ids, mask)

    monkeypatch.setattr(encoder, "_pooled_batch", counting)
    return calls


def test_rows_are_unit_float32_in_input_order(tiny_encoder):
    vectors = tiny_encoder.encode(MIXED)
    assert vectors.shape == (len(MIXED), tiny_encoder.dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(vectors[MIXED.index(TITLES[0])], vectors[len(MIXED) - 2])
    alone = np.stack([tiny_encoder.encode([text])[0] for text in MIXED])
    np.testing.assert_allclose(vectors, alone, atol=1e-5)
    assert tiny_encoder.encode([]).shape == (0, tiny_encoder.dim)


def test_duplicates_are_encoded_once(tiny_encoder, monkeypatch):
    calls = _count_forward(monkeypatch, tiny_encoder)
    tiny_encoder.encode(["a", "b", "a", "a", "c", "b"])
    assert sum(calls) == 3
    assert tiny_encoder.last_stats["unique"] == 3 and tiny_encoder.last_stats["texts"] == 6


def test_batch_size_and_padding_do_not_change_results(packaged_dir):
    small = TransformerEncoder.from_config(TINY_BERT, seed=3, batch_size=1)
    large = TransformerEncoder.from_config(TINY_BERT, seed=3, batch_size=64)
    np.testing.assert_allclose(small.encode(MIXED), large.encode(MIXED), atol=1e-5)


def test_encode_equals_pooled_forward_features(tiny_encoder):
    input_ids, mask = tiny_encoder.tokenize(TITLES[:5])
    assert input_ids.shape == mask.shape and mask.sum(1).min() < mask.shape[1], "padding is exercised"
    with torch.no_grad():
        pooled = tiny_encoder.forward_features(input_ids, mask, normalize=True)
    np.testing.assert_allclose(pooled.numpy(), tiny_encoder.encode(TITLES[:5]), atol=1e-5)


def test_other_architectures_run_through_the_transformers_module(packaged_dir):
    from longtail.encoders import fastbert

    encoder = TransformerEncoder.from_config({**TINY_BERT, "hidden_act": "relu"}, dtype="bf16")
    assert not fastbert.supports(encoder.model)
    input_ids, mask = encoder.tokenize(TITLES[:5])
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        pooled = encoder.forward_features(input_ids, mask, normalize=True)
    np.testing.assert_allclose(pooled.numpy(), encoder.encode(TITLES[:5]), atol=1e-2)


def test_long_texts_are_truncated_to_max_length(packaged_dir):
    encoder = TransformerEncoder.from_config(TINY_BERT, max_length=16)
    input_ids, _ = encoder.tokenize(["word " * 100])
    assert input_ids.shape == (1, 16) and input_ids[0, -1].item() == encoder.tokenizer.sep_token_id


def test_same_seed_is_deterministic_other_seed_is_another_model(packaged_dir):
    first = TransformerEncoder.from_config(TINY_BERT, seed=7)
    again = TransformerEncoder.from_config(TINY_BERT, seed=7)
    other = TransformerEncoder.from_config(TINY_BERT, seed=8)
    np.testing.assert_array_equal(first.encode(TITLES), again.encode(TITLES))
    np.testing.assert_array_equal(first.encode(TITLES), first.encode(TITLES))
    assert first.checksum == again.checksum != other.checksum
    assert first.cache_key == again.cache_key != other.cache_key


def test_cache_makes_a_rerun_encode_nothing(packaged_dir, tmp_path, monkeypatch):
    encoder = TransformerEncoder.from_config(TINY_BERT, seed=1, cache_dir=tmp_path)
    calls = _count_forward(monkeypatch, encoder)
    first = encoder.encode(TITLES)
    assert sum(calls) == len(TITLES) and encoder.last_stats["cached"] == 0
    calls.clear()
    second = encoder.encode(TITLES[::-1] + TITLES)
    assert calls == [] and encoder.last_stats["encoded"] == 0
    np.testing.assert_array_equal(second[len(TITLES):], first)
    np.testing.assert_array_equal(second[: len(TITLES)], first[::-1])

    fresh = TransformerEncoder.from_config(TINY_BERT, seed=1, cache_dir=tmp_path)
    np.testing.assert_array_equal(fresh.encode(TITLES + ["one new title"])[:-1], first)
    assert fresh.last_stats["encoded"] == 1

    other = TransformerEncoder.from_config(TINY_BERT, seed=2, cache_dir=tmp_path)
    other.encode(TITLES)
    assert other.last_stats["encoded"] == len(TITLES), "another model's checksum is another cache key"


def test_training_changes_the_checksum_so_stale_embeddings_are_not_reused(packaged_dir, tmp_path):
    encoder = TransformerEncoder.from_config(TINY_BERT, seed=1, cache_dir=tmp_path)
    before_key = encoder.cache_key
    before = encoder.encode(TITLES[:4])
    encoder.model.train()
    optimizer = torch.optim.SGD(encoder.model.parameters(), lr=0.5)
    input_ids, mask = encoder.tokenize(TITLES[:4])
    loss = -encoder.forward_features(input_ids, mask, normalize=True).sum(0).norm()
    loss.backward()
    assert encoder.model.embeddings.word_embeddings.weight.grad.abs().sum() > 0
    optimizer.step()
    assert encoder.cache_key != before_key
    after = encoder.encode(TITLES[:4])
    assert encoder.last_stats["encoded"] == 4 and not np.allclose(after, before)
    assert encoder.model.training, "encode restores the training mode it found"


def test_bf16_autocast_runs_and_stays_close(packaged_dir):
    exact = TransformerEncoder.from_config(TINY_BERT, seed=4, dtype="fp32")
    low = TransformerEncoder.from_config(TINY_BERT, seed=4, dtype="bf16")
    a, b = exact.encode(TITLES), low.encode(TITLES)
    assert b.dtype == np.float32 and exact.cache_key != low.cache_key
    assert (a * b).sum(1).min() > 0.98


def test_progress_bar_can_be_forced(packaged_dir):
    encoder = TransformerEncoder.from_config(TINY_BERT, progress=True)
    assert encoder.encode(TITLES).shape == (len(TITLES), encoder.dim)


def test_bad_parameters_name_the_fix(packaged_dir):
    with pytest.raises(ValueError, match="dtype"):
        TransformerEncoder.from_config(TINY_BERT, dtype="int8")
    with pytest.raises(ValueError, match="batch_size"):
        TransformerEncoder.from_config(TINY_BERT, batch_size=0)
    with pytest.raises(ValueError, match="max_length"):
        TransformerEncoder.from_config(TINY_BERT, max_length=1)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            TransformerEncoder.from_config(TINY_BERT, device="cuda")
    with pytest.raises(ValueError, match=r"texts\[1\]"):
        TransformerEncoder.from_config(TINY_BERT).encode(["ok", 3])


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"), [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")]
)
def test_device_is_detected_cuda_then_mps_then_cpu(monkeypatch, cuda, mps, expected):
    from longtail.encoders.transformer import pick_device, pick_dtype

    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    device = pick_device(None)
    assert device.type == expected
    # half precision by default on a GPU, exact float32 elsewhere; bf16 on request
    assert pick_dtype(None, device) == (torch.float16 if expected == "cuda" else torch.float32)
    assert pick_dtype("bf16", device) == torch.bfloat16
    assert pick_device("cpu").type == "cpu"


class _CountingTokenizer:
    """Wraps the Rust tokenizer and counts the calls that tokenise texts."""

    def __init__(self, inner):
        self.inner, self.calls = inner, []

    def encode_batch_fast(self, texts):
        self.calls.append(len(texts))
        return self.inner.encode_batch_fast(texts)


def test_texts_are_tokenised_in_one_call_however_many_batches(packaged_dir, monkeypatch):
    encoder = TransformerEncoder.from_config(TINY_BERT, seed=2, batch_size=2)
    counting = _CountingTokenizer(encoder._fast_tokenizer)
    monkeypatch.setattr(encoder, "_fast_tokenizer", counting)
    vectors = encoder.encode(TITLES + TITLES[:3])
    assert counting.calls == [len(TITLES)], "duplicates removed, then one tokenizer call for all texts"
    assert encoder.last_stats["batches"] >= len(TITLES) // 2
    reference = TransformerEncoder.from_config(TINY_BERT, seed=2, batch_size=64)
    np.testing.assert_allclose(vectors, reference.encode(TITLES + TITLES[:3]), atol=1e-5)


def test_forced_progress_bar_counts_every_encoded_text(packaged_dir, monkeypatch):
    import rich.progress

    advanced = []

    class Recording:
        def __init__(self, *columns, **options):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def add_task(self, description, total=None):
            advanced.append(("total", total))
            return 0

        def advance(self, task, n=1):
            advanced.append(("advance", n))

    monkeypatch.setattr(rich.progress, "Progress", Recording)
    encoder = TransformerEncoder.from_config(TINY_BERT, progress=True, batch_size=4)
    encoder.encode(TITLES)
    assert advanced[0] == ("total", len(TITLES))
    assert sum(n for kind, n in advanced if kind == "advance") == len(TITLES)
