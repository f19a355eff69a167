"""Sentence embeddings from a pretrained transformer: mean pooling, L2-normalised float32.

Speed comes from doing each thing once: texts are de-duplicated, looked up
in the on-disk cache, tokenised in one call to the fast tokenizer, sorted by
token length and run in batches that need little or no padding, with all
token ids moved to the device once and results copied back once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from longtail.encoders import fastbert
from longtail.encoders.batching import BatchPlan, TokenizedTexts, as_text_list, dedupe, plan_batches
from longtail.encoders.cache import EmbeddingCache, text_digests
from longtail.encoders.weights import cache_root, packaged_model_dir, resolve_model
from longtail.errors import LongtailError

_DTYPES = {
    "fp32": torch.float32, "float32": torch.float32,
    "fp16": torch.float16, "float16": torch.float16, "half": torch.float16,
    "bf16": torch.bfloat16, "bfloat16": torch.bfloat16,
}
# Texts tokenised, encoded and stored in the cache per round: bounds memory and
# keeps finished work in the cache if a long run is interrupted.
CHUNK_TEXTS = 65_536
# Below this many texts to encode a progress bar is noise.
PROGRESS_MIN_TEXTS = 2_048


def default_cache_dir() -> Path:
    """Where embeddings are cached unless told otherwise: ``<cache_root()>/embeddings``."""
    return cache_root() / "embeddings"


def pick_device(device: str | torch.device | None) -> torch.device:
    """The device asked for (checked), else cuda > mps > cpu."""
    if device is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        return torch.device("mps" if mps is not None and mps.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={str(device)!r} but CUDA is not available; pass device='cpu' or leave device=None")
    return device


def pick_dtype(dtype: str | torch.dtype | None, device: torch.device) -> torch.dtype:
    """Compute precision: the one asked for, else fp16 on cuda and fp32 elsewhere."""
    if dtype is None:
        return torch.float16 if device.type == "cuda" else torch.float32
    if isinstance(dtype, torch.dtype):
        if dtype not in _DTYPES.values():
            raise ValueError(f"dtype={dtype} is not supported; use one of fp32, fp16, bf16")
        return dtype
    if dtype not in _DTYPES:
        raise ValueError(f"dtype={dtype!r} is not supported; use one of fp32, fp16, bf16")
    return _DTYPES[dtype]


def state_checksum(module: torch.nn.Module) -> str:
    """sha256 over the names, dtypes, shapes and bytes of a module's state dict."""
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.detach().reshape(-1).cpu().contiguous().view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor | None, *, normalize: bool = False) -> torch.Tensor:
    """Average of the token vectors the mask keeps (all when None), in float32; optionally L2-normalised."""
    hidden = hidden.float()
    if attention_mask is None:
        pooled = hidden.mean(dim=1)
    else:
        weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp_min(1e-9)
    return F.normalize(pooled, dim=-1) if normalize else pooled


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Silence transformers' own weight-loading progress bar; ours is the one that matters."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


@contextlib.contextmanager
def _progress(total: int, enabled: bool | None) -> Iterator[Any]:
    """Yield ``advance(n)``; a rich bar on a terminal for long inputs, else a no-op."""
    if enabled is None:
        enabled = total >= PROGRESS_MIN_TEXTS and sys.stderr.isatty()
    if enabled:
        try:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
        except ImportError:  # a bare GPU machine may lack rich: encode without a bar
            enabled = False
    if not enabled:
        yield lambda n: None
        return
    columns = (TextColumn("encoding"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task("encoding", total=total)
        yield lambda n: bar.advance(task, n)


class TransformerEncoder:
    """Encode texts into L2-normalised float32 vectors with a pretrained transformer.

    ``model``: None for the packaged all-MiniLM-L6-v2, a local transformers /
    sentence-transformers folder (an fp16 export included), or a Hugging Face
    Hub id ``"org/name"`` when online. ``device``: cuda > mps > cpu when None.
    ``dtype``: compute precision of :meth:`encode` (``"fp32"``, ``"fp16"``,
    ``"bf16"``; default fp16 on cuda, fp32 elsewhere): BERT models run a lean
    pass over a weight snapshot in that precision, others run under autocast;
    ``.model`` itself stays float32 for fine-tuning. ``cache_dir``: on-disk embedding cache, None for
    :func:`default_cache_dir`, False for none. ``progress``: a rich bar, None
    for one on a terminal when there are many texts.

    ``.model`` (a ``torch.nn.Module``) and ``.tokenizer`` are the underlying
    transformers objects; :meth:`forward_features` is the differentiable
    forward pass for fine-tuning.
    """

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        *,
        device: str | torch.device | None = None,
        batch_size: int | None = None,
        max_length: int | None = None,
        cache_dir: str | os.PathLike | bool | None = None,
        dtype: str | torch.dtype | None = None,
        progress: bool | None = None,
    ) -> None:
        from transformers import AutoModel, AutoTokenizer

        device = pick_device(device)  # bad options fail before the weights are read
        dtype = pick_dtype(dtype, device)
        files = resolve_model(model)
        try:
            with _quiet_transformers():
                tokenizer = AutoTokenizer.from_pretrained(files.folder)
                module = AutoModel.from_pretrained(files.folder, attn_implementation="sdpa")
        except (OSError, ValueError, RuntimeError) as exc:
            raise LongtailError(f"cannot load the model in {files.folder} ({type(exc).__name__}: {exc}); "
                                "pass a transformers or sentence-transformers model folder") from exc
        self._setup(
            module, tokenizer, checksum=files.checksum, name=str(model or "all-MiniLM-L6-v2"),
            device=device, batch_size=batch_size, max_length=max_length or files.max_seq_length,
            cache_dir=default_cache_dir() if cache_dir is None else cache_dir, dtype=dtype, progress=progress,
        )

    @classmethod
    def from_config(
        cls,
        config: dict | Any,
        *,
        tokenizer_dir: str | os.PathLike | None = None,
        seed: int = 0,
        cache_dir: str | os.PathLike | bool | None = None,
        **options: Any,
    ) -> "TransformerEncoder":
        """A randomly initialised encoder from a config (a dict of ``BertConfig`` fields or a transformers config).

        The tokenizer comes from ``tokenizer_dir`` (default: the packaged
        model's); ``vocab_size`` defaults to its vocabulary. Weights are drawn
        from a generator seeded with ``seed`` without touching torch's global
        random state. Embeddings of such a model live only in memory, so no
        disk cache is used unless ``cache_dir`` is given. Other options are
        those of the constructor.
        """
        from transformers import AutoConfig, AutoModel, AutoTokenizer, BertConfig

        folder = Path(tokenizer_dir) if tokenizer_dir is not None else packaged_model_dir()
        tokenizer = AutoTokenizer.from_pretrained(folder)
        if isinstance(config, dict):
            fields = {"vocab_size": len(tokenizer), **config}
            model_type = fields.pop("model_type", "bert")
            config = BertConfig(**fields) if model_type == "bert" else AutoConfig.for_model(model_type, **fields)
        config._attn_implementation = "sdpa"
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = AutoModel.from_config(config)
        self = cls.__new__(cls)
        self._setup(module, tokenizer, checksum=None, name=f"{config.model_type}(random, seed={seed})",
                    cache_dir=cache_dir if cache_dir is not None else False, **options)
        return self

    def _setup(self, module, tokenizer, *, checksum, name, device=None, batch_size=None, max_length=None,
               cache_dir=None, dtype=None, progress=None) -> None:
        self.device = pick_device(device)
        self.dtype = pick_dtype(dtype, self.device)
        self.model = module.to(self.device, dtype=torch.float32).eval()
        self.tokenizer = tokenizer
        self.name = name
        self.progress = progress
        self.batch_size = batch_size if batch_size is not None else (1024 if self.device.type == "cuda" else 128)
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if max_length is not None and max_length < 2:
            raise ValueError(f"max_length must be >= 2 (room for the special tokens), got {max_length}")
        limit = min(int(module.config.max_position_embeddings), int(getattr(tokenizer, "model_max_length", 1 << 30)))
        self.max_length = min(max_length or limit, limit)
        self.dim = int(module.config.hidden_size)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self._fast_tokenizer = self._standalone_tokenizer()
        self._signature = self._weights_signature()
        self._checksum = checksum or state_checksum(self.model)
        self._cache_root = None if cache_dir is False else Path(cache_dir)
        self._caches: dict[str, EmbeddingCache] = {}
        self._fast: tuple[tuple, fastbert.FastBert] | None = None
        self.last_stats: dict[str, float] = {}

    def __repr__(self) -> str:
        return (f"TransformerEncoder({self.name!r}, device={str(self.device)!r}, dtype={str(self.dtype).removeprefix('torch.')}, "
                f"dim={self.dim}, max_length={self.max_length}, batch_size={self.batch_size})")

    # -- identity --------------------------------------------------------------------------

    def _weights_signature(self) -> tuple:
        # In-place updates (an optimizer step, load_state_dict) bump a tensor's version counter.
        return tuple((p._version, p.data_ptr()) for p in self.model.parameters())

    @property
    def checksum(self) -> str:
        """sha256 of the weights file as loaded; recomputed from the state dict once the weights change."""
        signature = self._weights_signature()
        if signature != self._signature:
            self._checksum, self._signature = state_checksum(self.model), signature
        return self._checksum

    @property
    def cache_key(self) -> str:
        """Names this encoder's embeddings: weights, truncation length, precision and pooling."""
        text = f"{self.checksum}|max_length={self.max_length}|dtype={self.dtype}|pooling=mean|v1"
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def _cache(self) -> EmbeddingCache | None:
        if self._cache_root is None:
            return None
        key = self.cache_key
        if key not in self._caches:
            self._caches[key] = EmbeddingCache(self._cache_root, key, self.dim)
        return self._caches[key]

    # -- tokenisation ----------------------------------------------------------------------

    def _standalone_tokenizer(self):
        """A private copy of the Rust tokenizer set to truncate and never pad (None for slow tokenizers)."""
        backend = getattr(self.tokenizer, "backend_tokenizer", None)
        if backend is None:
            return None
        from tokenizers import Tokenizer

        fast = Tokenizer.from_str(backend.to_str())
        fast.no_padding()
        fast.enable_truncation(self.max_length)
        return fast

    def token_ids(self, texts: list[str]) -> TokenizedTexts:
        """Token ids (with special tokens, truncated to ``max_length``) of all texts, in one tokenizer call."""
        if self._fast_tokenizer is not None:
            id_lists = [encoding.ids for encoding in self._fast_tokenizer.encode_batch_fast(texts)]
        else:
            id_lists = self.tokenizer(texts, truncation=True, max_length=self.max_length)["input_ids"]
        return TokenizedTexts.from_lists(id_lists)

    def tokenize(self, texts: Iterable[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """(input_ids, attention_mask) int64 tensors on ``device``, right-padded to the longest text."""
        tokens = self.token_ids(as_text_list(texts))
        rows = torch.arange(len(tokens.lengths), device=self.device)
        width = int(tokens.lengths.max()) if len(tokens.lengths) else 0
        return self._padded(self._to_device(tokens), rows, width)

    def _to_device(self, tokens: TokenizedTexts) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return tuple(torch.from_numpy(array).to(self.device) for array in (tokens.ids, tokens.offsets, tokens.lengths))

    def _padded(self, flat, rows: torch.Tensor, width: int) -> tuple[torch.Tensor, torch.Tensor]:
        ids, offsets, lengths = flat
        columns = torch.arange(width, device=self.device)
        mask = columns[None, :] < lengths[rows][:, None]
        gather = (offsets[rows][:, None] + columns[None, :]).clamp_(max=max(len(ids) - 1, 0))
        return torch.where(mask, ids[gather], self.pad_id), mask.long()

    # -- forward ---------------------------------------------------------------------------

    def forward_features(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                         *, normalize: bool = False) -> torch.Tensor:
        """Mean-pooled last hidden states (float32, (batch, dim)) of the transformers module; differentiable, for fine-tuning.

        ``attention_mask`` None means no padding. ``normalize`` L2-normalises
        the rows, as :meth:`encode` does.
        """
        hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return mean_pool(hidden, attention_mask, normalize=normalize)

    def _inference_forward(self):
        """hidden = forward(input_ids, mask): the lean BERT pass when it applies, else the module under autocast."""
        if fastbert.supports(self.model):
            signature = self._weights_signature()
            if self._fast is None or self._fast[0] != signature:
                self._fast = (signature, fastbert.FastBert(self.model, self.dtype))
            return self._fast[1], contextlib.nullcontext()
        autocast = torch.autocast(self.device.type, dtype=self.dtype, enabled=self.dtype != torch.float32)
        return (lambda ids, mask: self.model(input_ids=ids, attention_mask=mask).last_hidden_state), autocast

    # -- encoding --------------------------------------------------------------------------

    def encode(self, texts: Iterable[str]) -> np.ndarray:
        """Embeddings of ``texts``: float32 (len(texts), dim), L2-normalised rows, in input order.

        Repeated texts are encoded once; texts already in the cache are not
        encoded again. ``last_stats`` tells what this call did.
        """
        started = time.perf_counter()
        texts = as_text_list(texts)
        unique, inverse = dedupe(texts)
        vectors = np.zeros((len(unique), self.dim), dtype=np.float32)
        cache = self._cache()
        todo = np.arange(len(unique))
        if cache is not None and len(unique):
            digests = text_digests(unique)
            found, cached = cache.lookup(digests)
            vectors[found] = cached[found]
            todo = np.flatnonzero(~found)
        batches = 0
        with _progress(len(todo), self.progress) as advance:
            for start in range(0, len(todo), CHUNK_TEXTS):
                rows = todo[start : start + CHUNK_TEXTS]
                vectors[rows], n_batches = self._encode_unique([unique[i] for i in rows], advance)
                batches += n_batches
                if cache is not None:
                    cache.store(digests[rows], vectors[rows])
        self.last_stats = {
            "texts": len(texts), "unique": len(unique), "cached": len(unique) - len(todo),
            "encoded": len(todo), "batches": batches, "seconds": time.perf_counter() - started,
        }
        return vectors[inverse]

    @staticmethod
    def _pooled_batch(forward, ids: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        return mean_pool(forward(ids, mask), mask, normalize=True)

    def _encode_unique(self, texts: list[str], advance) -> tuple[np.ndarray, int]:
        tokens = self.token_ids(texts)
        plan: BatchPlan = plan_batches(tokens.lengths, self.batch_size)
        flat = self._to_device(tokens)
        order = torch.from_numpy(plan.order).to(self.device)
        ranked = torch.empty((len(texts), self.dim), dtype=torch.float32, device=self.device)
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.inference_mode():
                forward, precision = self._inference_forward()
                with precision:
                    for batch in plan.batches:
                        ids, mask = self._padded(flat, order[batch.start : batch.stop], batch.width)
                        # No mask for equal-length batches: no padding to hide, and no host sync to check for it.
                        ranked[batch.start : batch.stop] = self._pooled_batch(forward, ids, None if batch.uniform else mask)
                        advance(batch.stop - batch.start)
        finally:
            self.model.train(was_training)
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)
        vectors[plan.order] = ranked.cpu().numpy()
        return vectors, len(plan.batches)
