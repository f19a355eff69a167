"""TF-IDF text vectors (scikit-learn), word and/or character n-grams, saved without pickle."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from longtail.encoders.batching import as_text_list
from longtail.errors import LongtailError

_ANALYZERS = {"word": ("word",), "char": ("char_wb",), "word+char": ("word", "char_wb")}
_FORMAT = 1


class TfidfEncoder:
    """TF-IDF vectors of texts, L2-normalised float32.

    ``analyzer``: ``"word"``, ``"char"`` (character n-grams inside word
    boundaries, robust to typos and unit spellings) or ``"word+char"`` (both
    blocks side by side, each row normalised once over the whole vector).
    ``word_ngrams`` / ``char_ngrams`` are inclusive n-gram ranges; ``min_df``,
    ``max_features`` (per block) and ``sublinear_tf`` are scikit-learn's.
    """

    def __init__(
        self,
        analyzer: str = "word",
        *,
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] = (3, 5),
        min_df: int | float = 1,
        max_features: int | None = None,
        sublinear_tf: bool = True,
        lowercase: bool = True,
    ) -> None:
        if analyzer not in _ANALYZERS:
            raise ValueError(f"analyzer={analyzer!r} is not supported; use one of {sorted(_ANALYZERS)}")
        self.params = {
            "analyzer": analyzer,
            "word_ngrams": list(word_ngrams),
            "char_ngrams": list(char_ngrams),
            "min_df": min_df,
            "max_features": max_features,
            "sublinear_tf": sublinear_tf,
            "lowercase": lowercase,
        }
        self._vectorizers = [self._vectorizer(kind) for kind in _ANALYZERS[analyzer]]
        self._fitted = False

    def _vectorizer(self, kind: str) -> TfidfVectorizer:
        p = self.params
        return TfidfVectorizer(
            analyzer=kind,
            ngram_range=tuple(p["word_ngrams"] if kind == "word" else p["char_ngrams"]),
            min_df=p["min_df"],
            max_features=p["max_features"],
            sublinear_tf=p["sublinear_tf"],
            lowercase=p["lowercase"],
            dtype=np.float32,
        )

    @property
    def dim(self) -> int:
        """Number of features (columns of :meth:`transform`)."""
        self._check_fitted()
        return sum(len(v.vocabulary_) for v in self._vectorizers)

    def fit(self, texts: Iterable[str]) -> "TfidfEncoder":
        """Learn vocabularies and idf weights from ``texts``; returns self."""
        texts = as_text_list(texts)
        if not texts:
            raise ValueError("texts is empty; fit needs at least one text")
        for vectorizer in self._vectorizers:
            vectorizer.fit(texts)
        self._fitted = True
        return self

    def transform(self, texts: Iterable[str], *, dense: bool = False) -> sp.csr_matrix | np.ndarray:
        """float32 rows, L2-normalised (all-zero for texts with no known term): CSR matrix, or an array when ``dense``."""
        self._check_fitted()
        texts = as_text_list(texts)
        blocks = [vectorizer.transform(texts) for vectorizer in self._vectorizers]
        matrix = blocks[0] if len(blocks) == 1 else normalize(sp.hstack(blocks, format="csr"))
        matrix = matrix.astype(np.float32).tocsr()
        return matrix.toarray() if dense else matrix

    def encode(self, texts: Iterable[str]) -> np.ndarray:
        """Dense float32 (len(texts), dim) rows, the return type of ``TransformerEncoder.encode``.

        Rows are L2-normalised, except all-zero ones for texts with no known term.
        """
        return self.transform(texts, dense=True)

    def fit_transform(self, texts: Iterable[str], *, dense: bool = False) -> sp.csr_matrix | np.ndarray:
        """:meth:`fit` then :meth:`transform` on the same texts."""
        texts = as_text_list(texts)
        return self.fit(texts).transform(texts, dense=dense)

    def _check_fitted(self) -> None:
        if not self._fitted:
            raise ValueError("this TfidfEncoder is not fitted; call fit(texts) or TfidfEncoder.load(path) first")

    def save(self, path: str | Path) -> Path:
        """Write parameters, vocabularies and idf weights to one ``.npz`` file (no pickle)."""
        self._check_fitted()
        arrays = {"params": np.array(json.dumps({"format": _FORMAT, **self.params}))}
        for block, vectorizer in enumerate(self._vectorizers):
            terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
            arrays[f"terms_{block}"] = np.array(json.dumps(terms))  # JSON keeps every character, NUL included
            arrays[f"idf_{block}"] = vectorizer.idf_.astype(np.float64)
        path = Path(path)
        with open(path, "wb") as handle:
            np.savez_compressed(handle, **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "TfidfEncoder":
        """Rebuild an encoder written by :meth:`save`; its transform gives identical vectors."""
        try:
            with np.load(path, allow_pickle=False) as stored:
                params = json.loads(str(stored["params"]))
                if params.pop("format", None) != _FORMAT:
                    raise ValueError("unknown format version")
                blocks = [(json.loads(str(stored[f"terms_{i}"])), stored[f"idf_{i}"]) for i in range(len(_ANALYZERS[params["analyzer"]]))]
        except (OSError, ValueError, KeyError) as exc:
            raise LongtailError(f"{path} is not a saved TfidfEncoder ({exc}); save it again with TfidfEncoder.save") from exc
        params["word_ngrams"], params["char_ngrams"] = tuple(params["word_ngrams"]), tuple(params["char_ngrams"])
        encoder = cls(**params)
        for vectorizer, (terms, idf) in zip(encoder._vectorizers, blocks):
            vectorizer.vocabulary_ = {term: column for column, term in enumerate(terms)}
            vectorizer.idf_ = idf
        encoder._fitted = True
        return encoder
