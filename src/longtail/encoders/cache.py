"""On-disk embedding cache: a re-run encodes only texts it has not seen.

Layout: ``<root>/<key>/`` where ``key`` names the encoder (weights checksum,
truncation length, precision). Each call that computes new embeddings adds
one shard: ``<shard>.vecs.npy`` (float32, one row per text) and
``<shard>.keys.npy`` (the sha1 of each text's UTF-8 bytes). Both are written
to a temporary name and renamed into place, vectors first, so a reader sees a
shard only once it is complete and concurrent writers never touch the same
file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from longtail.errors import LongtailError

_KEYS = ".keys.npy"
_VECS = ".vecs.npy"


def text_digests(texts: Sequence[str]) -> np.ndarray:
    """sha1 of each text's UTF-8 bytes, as a fixed-width bytes array (dtype ``S20``)."""
    return np.array([hashlib.sha1(text.encode("utf-8")).digest() for text in texts], dtype="S20").reshape(len(texts))


def _save_atomic(path: Path, array: np.ndarray) -> None:
    handle, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npy", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            np.save(out, array, allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class EmbeddingCache:
    """Embeddings of one encoder, looked up by text digest.

    ``lookup(digests)`` returns which digests are stored and their rows;
    ``store(digests, vectors)`` adds one shard.
    """

    def __init__(self, root: str | Path, key: str, dim: int) -> None:
        self.folder = Path(root) / key
        self.dim = dim
        self._index: dict[bytes, tuple[str, int]] = {}
        self._shards: set[str] = set()

    def _refresh(self) -> None:
        """Index the shards that appeared since the last call (written by this or another process)."""
        if not self.folder.is_dir():
            return
        for keys_path in sorted(self.folder.glob("*" + _KEYS)):
            shard = keys_path.name.removesuffix(_KEYS)
            if shard in self._shards:
                continue
            keys = self._load(keys_path)
            self._index.update((digest, (shard, row)) for row, digest in enumerate(keys.tolist()))
            self._shards.add(shard)

    def _load(self, path: Path, mmap: bool = False) -> np.ndarray:
        try:
            return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise LongtailError(f"embedding cache file {path} is unreadable ({exc}); delete {self.folder} and run again") from exc

    def __len__(self) -> int:
        self._refresh()
        return len(self._index)

    def lookup(self, digests: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found, vectors): a bool per digest and a float32 (n, dim) array holding the found rows (zeros elsewhere)."""
        self._refresh()
        found = np.zeros(len(digests), dtype=bool)
        vectors = np.zeros((len(digests), self.dim), dtype=np.float32)
        by_shard: dict[str, tuple[list[int], list[int]]] = {}
        for position, digest in enumerate(digests.tolist()):
            hit = self._index.get(digest)
            if hit is not None:
                targets, rows = by_shard.setdefault(hit[0], ([], []))
                targets.append(position)
                rows.append(hit[1])
        for shard, (targets, rows) in by_shard.items():
            stored = self._load(self.folder / (shard + _VECS), mmap=True)
            if stored.ndim != 2 or stored.shape[1] != self.dim:
                raise LongtailError(
                    f"{self.folder / (shard + _VECS)} holds vectors of shape {stored.shape}, expected width {self.dim}; "
                    f"delete {self.folder} and run again"
                )
            vectors[targets] = stored[np.asarray(rows)]
            found[targets] = True
        return found, vectors

    def store(self, digests: np.ndarray, vectors: np.ndarray) -> None:
        """Add one shard holding ``vectors`` (n, dim) for ``digests`` (n,)."""
        if len(digests) != len(vectors) or vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise ValueError(f"store needs n digests and (n, {self.dim}) vectors, got {len(digests)} and {vectors.shape}")
        if not len(digests):
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        shard = uuid.uuid4().hex
        _save_atomic(self.folder / (shard + _VECS), np.ascontiguousarray(vectors, dtype=np.float32))
        _save_atomic(self.folder / (shard + _KEYS), np.asarray(digests, dtype="S20"))

    def compact(self) -> None:
        """Merge all shards into one (run it while no other process writes to this cache)."""
        self._refresh()
        if len(self._shards) < 2:
            return
        digests = np.array(list(self._index), dtype="S20")
        _, vectors = self.lookup(digests)
        old = set(self._shards)
        self.store(digests, vectors)
        for shard in old:
            (self.folder / (shard + _KEYS)).unlink(missing_ok=True)
            (self.folder / (shard + _VECS)).unlink(missing_ok=True)
        self._index.clear()
        self._shards.clear()
