"""TfidfLogReg: TF-IDF n-grams + multinomial logistic regression, the classic text-categorisation baseline."""

from __future__ import annotations

from typing import Any

import numpy as np

from longtail.errors import LongtailError
from longtail.strategies import StrategyError
from longtail.models.categorize.base import CategoryClassifier, check_number
from longtail.models.categorize.remedies import remedy_texts
from longtail.models.persist import register_model
from longtail.models.runtime import training_progress

ANALYZERS = ("word", "char_wb")


def as_texts(texts: Any) -> list[str]:
    """``texts`` as a list of strings; ValueError for anything else (None included)."""
    if isinstance(texts, str) or not hasattr(texts, "__len__"):
        raise ValueError("texts must be a list of strings (one per product), not a single string or an iterator")
    out = list(texts)
    bad = next((i for i, text in enumerate(out) if not isinstance(text, str)), None)
    if bad is not None:
        raise ValueError(f"texts[{bad}] is {type(out[bad]).__name__}, not a string; fill missing titles with ''")
    return out


@register_model
class TfidfLogReg(CategoryClassifier):
    """TF-IDF (scikit-learn) + scikit-learn's multinomial LogisticRegression.

    ``analyzer`` ``"word"`` uses word 1..``ngram_max``-grams, ``"char_wb"``
    character 2..``ngram_max``-grams inside word boundaries. Strategy slots:
    the loss becomes ``class_weight`` (weighted-ce, class-balanced; losses
    without a class-weight form are refused), a sampler picks rows by index
    (random over/under: SMOTE-like samplers need dense vectors and are
    refused), an augmenter must rewrite text (EDA, applied before the
    sampler), and an adjuster is fitted on a validation slice of the
    training rows.
    """

    __module__ = "longtail.models.categorize"
    model_name = "tfidf-logreg"
    param_names = ("analyzer", "ngram_max", "min_df", "max_features", "C", "max_iter", "valid_fraction", "seed")

    def __init__(
        self,
        analyzer: str = "word",
        ngram_max: int = 2,
        min_df: int = 1,
        max_features: int | None = None,
        C: float = 10.0,
        max_iter: int = 1000,
        valid_fraction: float = 0.15,
        seed: int = 0,
    ) -> None:
        if analyzer not in ANALYZERS:
            raise ValueError(f"analyzer must be one of {ANALYZERS}, got {analyzer!r}")
        self.analyzer = analyzer
        self.ngram_max = check_number(ngram_max, "ngram_max", minimum=1, integer=True)
        self.min_df = check_number(min_df, "min_df", minimum=1, integer=True)
        self.max_features = None if max_features is None else check_number(max_features, "max_features", minimum=1, integer=True)
        self.C = check_number(C, "C", open_low=True)
        self.max_iter = check_number(max_iter, "max_iter", minimum=1, integer=True)
        self.valid_fraction = check_number(valid_fraction, "valid_fraction", open_low=True)
        self.seed = check_number(seed, "seed", integer=True)
        self.vectorizer_: Any = None
        self.coef_: np.ndarray | None = None
        self.intercept_: np.ndarray | None = None

    def _vectorizer(self) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer

        low = 1 if self.analyzer == "word" else min(2, self.ngram_max)
        return TfidfVectorizer(
            analyzer=self.analyzer, ngram_range=(low, self.ngram_max), min_df=self.min_df,
            max_features=self.max_features, sublinear_tf=True, dtype=np.float32,
        )

    def fit(self, texts: Any, y: Any, strategy: Any = None, progress: bool = False) -> "TfidfLogReg":
        """Fit on product texts and their category labels with ``strategy``'s remedies."""
        texts = as_texts(texts)

        def train(rows: np.ndarray, codes: np.ndarray) -> np.ndarray:
            chosen = [texts[i] for i in rows]
            with training_progress(2, "tfidf-logreg", progress) as advance:
                self.vectorizer_ = self._vectorizer().fit(chosen)
                chosen, codes = remedy_texts(strategy, chosen, codes, self.model_name, self.seed)
                X = self.vectorizer_.transform(chosen)
                advance()
                counts = np.bincount(codes, minlength=self.classes_.size)
                self._fit_regression(X, codes, self._class_weight(strategy, counts))
                advance()
            return counts

        self._fit_with_strategy(y, len(texts), strategy, train, lambda rows: self._raw_logits([texts[i] for i in rows]))
        return self

    def _class_weight(self, strategy: Any, counts: np.ndarray) -> dict[int, float] | None:
        if strategy is None or strategy.loss is None:
            return None
        weights = strategy.class_weights(np.maximum(counts, 1))
        if weights is None:
            raise StrategyError(
                f"strategy '{strategy.name}': loss {strategy.loss.name} has no class-weight form, so model "
                f"'{self.model_name}' cannot use it; choose weighted-ce or cb-focal, or a torch model (embedding-linear)"
            )
        return {code: float(weight) for code, weight in enumerate(weights)}

    def _fit_regression(self, X: Any, codes: np.ndarray, class_weight: dict[int, float] | None) -> None:
        from sklearn.linear_model import LogisticRegression

        present = np.unique(codes)
        if present.size < self.classes_.size:  # the fit rows keep every class; this guards custom samplers
            raise LongtailError(f"model '{self.model_name}': {self.classes_.size - present.size} classes lost all training rows")
        regression = LogisticRegression(C=self.C, max_iter=self.max_iter, class_weight=class_weight, random_state=self.seed)
        regression.fit(X, codes)
        coef, intercept = regression.coef_, regression.intercept_
        if coef.shape[0] == 1:  # two classes: scikit-learn keeps one row, the logit of class 1 against class 0
            coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
        self.coef_, self.intercept_ = coef.astype(np.float64), intercept.astype(np.float64)

    def _raw_logits(self, texts: Any) -> np.ndarray:
        X = self.vectorizer_.transform(as_texts(texts))
        return np.asarray(X @ self.coef_.T) + self.intercept_

    # ---------------------------------------------------------- persistence
    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        vocabulary = self.vectorizer_.vocabulary_
        terms = sorted(vocabulary, key=vocabulary.__getitem__)
        tensors = {"coef": self.coef_, "intercept": self.intercept_, "idf": self.vectorizer_.idf_.astype(np.float64)}
        return {"terms": terms}, tensors

    def _load_state(self, config: dict[str, Any], tensors: dict[str, np.ndarray]) -> None:
        self.vectorizer_ = self._vectorizer()
        self.vectorizer_.vocabulary_ = {term: column for column, term in enumerate(config["terms"])}
        self.vectorizer_.idf_ = np.asarray(tensors["idf"])
        self.coef_, self.intercept_ = np.asarray(tensors["coef"]), np.asarray(tensors["intercept"])
