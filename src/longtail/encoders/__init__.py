"""Text encoders (layer 2): texts in, float32 numpy vectors out.

``TransformerEncoder`` embeds texts with a pretrained transformer (by default
the packaged all-MiniLM-L6-v2), caching embeddings on disk; ``TfidfEncoder``
gives sparse TF-IDF vectors. Names load lazily, so importing this package
needs neither torch nor scikit-learn until an encoder is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_EXPORTS = {
    "TransformerEncoder": "longtail.encoders.transformer",
    "default_cache_dir": "longtail.encoders.transformer",
    "TfidfEncoder": "longtail.encoders.tfidf",
    "EmbeddingCache": "longtail.encoders.cache",
    "export_fp16": "longtail.encoders.export",
    "packaged_model_dir": "longtail.encoders.weights",
    "resolve_model": "longtail.encoders.weights",
    "cache_root": "longtail.encoders.weights",
    "PACKAGED_MODEL_SHA256": "longtail.encoders.weights",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from longtail.encoders.cache import EmbeddingCache
    from longtail.encoders.export import export_fp16
    from longtail.encoders.tfidf import TfidfEncoder
    from longtail.encoders.transformer import TransformerEncoder, default_cache_dir
    from longtail.encoders.weights import PACKAGED_MODEL_SHA256, cache_root, packaged_model_dir, resolve_model


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'longtail.encoders' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
