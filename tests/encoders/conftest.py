"""Fixtures for the encoder tests: an isolated model cache, small and real encoders."""

from __future__ import annotations

import pytest
from encoder_samples import TINY_BERT


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory):
    """An isolated LONGTAIL_CACHE_DIR for the whole session: the packaged model is extracted there once."""
    root = tmp_path_factory.mktemp("longtail-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LONGTAIL_CACHE_DIR", str(root))
        yield root


@pytest.fixture(scope="session")
def packaged_dir(model_cache):
    """The extracted, verified packaged all-MiniLM-L6-v2 folder."""
    from longtail.encoders import packaged_model_dir

    return packaged_model_dir()


@pytest.fixture(scope="session")
def real_encoder(packaged_dir):
    """The packaged all-MiniLM-L6-v2 on CPU in fp32, without a disk cache (loaded once per session)."""
    from longtail.encoders import TransformerEncoder

    return TransformerEncoder(device="cpu", dtype="fp32", cache_dir=False)


@pytest.fixture
def tiny_encoder(packaged_dir):
    """A randomly initialised two-layer BERT with the packaged tokenizer (fast to build and run)."""
    from longtail.encoders import TransformerEncoder

    return TransformerEncoder.from_config(TINY_BERT, seed=0, device="cpu")
