"""The packaged all-MiniLM-L6-v2: same embeddings as sentence-transformers, and its fp16 export."""

from __future__ import annotations

import json

import numpy as np
import pytest
from encoder_samples import TITLES

from longtail.encoders import PACKAGED_MODEL_SHA256, TransformerEncoder, export_fp16
from longtail.encoders.weights import CHECKSUM_FILE, sha256_file
from longtail.errors import LongtailError

pytestmark = [pytest.mark.lm, pytest.mark.slow]

# One text longer than the model's 256-token limit, so truncation is compared too.
TEXTS = TITLES + ["", TITLES[3], " ".join(TITLES * 3)]


def test_identity_of_the_packaged_model(real_encoder):
    assert real_encoder.dim == 384 and real_encoder.max_length == 256
    assert real_encoder.checksum == PACKAGED_MODEL_SHA256


def test_embeddings_match_sentence_transformers(real_encoder, packaged_dir):
    sentence_transformers = pytest.importorskip("sentence_transformers")
    reference = sentence_transformers.SentenceTransformer(str(packaged_dir), device="cpu").encode(
        TEXTS, normalize_embeddings=True, convert_to_numpy=True
    )
    ours = real_encoder.encode(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert (ours * reference).sum(axis=1).min() >= 0.999


def test_fp16_export_is_half_size_verified_and_faithful(real_encoder, tmp_path):
    folder = export_fp16(tmp_path / "minilm-fp16")
    weights = folder / "model.safetensors"
    assert 40e6 < weights.stat().st_size < 50e6
    listing = json.loads((folder / CHECKSUM_FILE).read_text())
    assert listing["source_sha256"] == PACKAGED_MODEL_SHA256
    assert listing["files"]["model.safetensors"] == sha256_file(weights)
    assert {"tokenizer.json", "config.json", "modules.json", "1_Pooling/config.json"} <= set(listing["files"])

    half = TransformerEncoder(folder, device="cpu", dtype="fp32", cache_dir=False)
    assert half.checksum == listing["files"]["model.safetensors"] != real_encoder.checksum
    assert (half.encode(TITLES) * real_encoder.encode(TITLES)).sum(axis=1).min() >= 0.999

    with pytest.raises(LongtailError, match="not empty"):
        export_fp16(folder)
    data = bytearray(weights.read_bytes())
    data[-100] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(LongtailError, match="corrupted or altered"):
        TransformerEncoder(folder, device="cpu", cache_dir=False)
