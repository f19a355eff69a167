"""Query-product relevance models: a (query, product title) pair in, a graded label out.

* :class:`CrossEncoder` — the pretrained transformer reads query and title
  together as one sentence pair (``[CLS] q [SEP] t [SEP]``) and is fine-tuned
  end to end with a linear head over the grades;
* :class:`BiEncoderClassifier` — frozen encoder embeddings of query and
  title, combined into pair features ``[q, t, q*t, |q-t|, cos]``, under a
  logistic-regression (``hidden=0``) or MLP head trained with the strategy's
  loss.

Both take ``fit(queries, titles, y, strategy=...)`` and give
``decision_function``, ``predict_proba`` and ``predict`` of
``(queries, titles)`` over ``classes_``; they save as safetensors + JSON.
Strategy slots act as in the categorisers (:mod:`longtail.models.categorize`):
losses train the head, samplers resample rows, adjusters are fitted on a
validation slice of the training pairs. A text augmenter rewrites the titles
of rare-label pairs and keeps their queries. Importing this module does not
import torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from longtail.errors import LongtailError
from longtail.models.categorize.base import CategoryClassifier, softmax
from longtail.models.categorize.embedding import EmbeddingClassifier, as_matrix
from longtail.models.categorize.finetune import PREDICT_BATCH, FineTunedClassifier
from longtail.models.categorize.remedies import is_text_augmenter, remedy_texts, remedy_vectors
from longtail.models.categorize.tfidf import as_texts
from longtail.models.persist import register_model

POOLINGS = ("mean", "cls")
# a feature whose training spread is below this is centred but not scaled
MIN_FEATURE_SCALE = 1e-6


# ------------------------------------------------------------------ inputs
def check_pairs(queries: Any, titles: Any) -> tuple[list[str], list[str]]:
    """Queries and titles as two equally long lists of strings; ValueError otherwise."""
    queries, titles = as_texts(queries), as_texts(titles)
    if len(queries) != len(titles):
        raise ValueError(f"queries has {len(queries)} entries but titles has {len(titles)}; pass one title per query")
    return queries, titles


def pair_features(queries: np.ndarray, titles: np.ndarray) -> np.ndarray:
    """``[q, t, q*t, |q-t|, cos(q, t)]`` per row (Sentence-BERT's pair classifier features plus the cosine)."""
    q, t = as_matrix(queries, "queries"), as_matrix(titles, "titles")
    if q.shape != t.shape:
        raise ValueError(f"queries and titles must have the same shape (one embedding each), got {q.shape} and {t.shape}")
    norms = np.linalg.norm(q, axis=1) * np.linalg.norm(t, axis=1)
    cosine = np.divide((q * t).sum(axis=1), norms, out=np.zeros(q.shape[0], dtype=np.float32), where=norms > 0)
    return np.hstack([q, t, q * t, np.abs(q - t), cosine[:, None]]).astype(np.float32)


# --------------------------------------------------------------- remedies
class _WithoutAugmenter:
    """A strategy whose augmenter has already been applied (to the titles); every other slot as before."""

    def __init__(self, strategy: Any) -> None:
        self._strategy = strategy

    def __getattr__(self, name: str) -> Any:
        return getattr(self._strategy, name)

    def make_augmenter(self) -> None:
        """Nothing left to augment."""
        return None


def augment_titles(strategy: Any, titles: list[str], codes: np.ndarray, seed: int) -> tuple[Any, Any]:
    """Rewrite rare-label titles with the strategy's text augmenter.

    Returns ``(TailAugmentation or None, strategy left to apply)``: the new
    titles with their labels and source rows (whose queries they keep), and
    the strategy without its augmenter once it has been used. A feature
    augmenter is left in the strategy for the caller to apply or refuse.
    """
    augmenter = None if strategy is None else strategy.make_augmenter()
    if augmenter is None or not is_text_augmenter(augmenter):
        return None, strategy
    made = augmenter.augment(titles, codes, np.random.default_rng(seed))
    return made, _WithoutAugmenter(strategy)


class PairScoring:
    """Scoring of (query, title) pairs on top of :class:`CategoryClassifier`'s adjuster and labels."""

    def _pairs(self, queries: Any, titles: Any) -> Any:
        raise NotImplementedError

    def decision_function(self, queries: Any, titles: Any) -> np.ndarray:
        """Grade scores (n, n_classes) in ``classes_`` order: logits, after the strategy's adjuster if any."""
        return CategoryClassifier.decision_function(self, self._pairs(queries, titles))

    def predict_proba(self, queries: Any, titles: Any) -> np.ndarray:
        """Grade probabilities (n, n_classes) in ``classes_`` order: the softmax of :meth:`decision_function`."""
        return softmax(self.decision_function(queries, titles))

    def predict(self, queries: Any, titles: Any) -> np.ndarray:
        """The most likely grade of each pair."""
        return self.classes_[np.argmax(self.decision_function(queries, titles), axis=1)]


# ------------------------------------------------------------- cross-encoder
@register_model
class CrossEncoder(PairScoring, FineTunedClassifier):
    """The transformer fine-tuned on ``[CLS] query [SEP] title [SEP]`` with a linear head over the grades.

    ``model``: None for the packaged all-MiniLM-L6-v2 or a local model
    folder; ``encoder_config`` (BERT config fields) builds a randomly
    initialised encoder instead (small ones make fast tests). The pair's
    token states are pooled (``pooling="mean"`` over all tokens, the pooling
    the sentence encoder was trained with, or ``"cls"``); the title is cut
    first when the pair is longer than ``max_length`` tokens. AdamW with
    linear warm-up and decay, encoder at ``lr`` and head at ``head_lr``;
    bf16 autocast on CUDA with ``mixed_precision``. Strategy: any multiclass
    loss (LDAM on a cosine head), samplers pick rows by index (random
    over/under), text augmenters rewrite rare-label titles, adjusters are
    fitted on a validation slice. Deterministic on CPU for a seed.
    """

    model_name = "crossencoder"
    param_names = (*FineTunedClassifier.param_names, "pooling")

    def __init__(self, model: str | None = None, encoder_config: dict[str, Any] | None = None, *,
                 pooling: str = "mean", **params: Any) -> None:
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, got {pooling!r}")
        super().__init__(model, encoder_config, **params)
        self.pooling = pooling

    def fit(self, queries: Any, titles: Any, y: Any, strategy: Any = None, progress: bool = False) -> "CrossEncoder":
        """Fine-tune on (query, title) pairs and their grades with ``strategy``'s remedies."""
        pairs = self._pairs(queries, titles)

        def train(rows: np.ndarray, codes: np.ndarray) -> np.ndarray:
            chosen = [pairs[i] for i in rows]
            made, rest = augment_titles(strategy, [title for _, title in chosen], codes, self.seed)
            if made is not None:
                chosen += [(chosen[source][0], title) for source, title in zip(made.source.tolist(), made.rows)]
                codes = np.concatenate([codes, np.asarray(made.labels, dtype=codes.dtype)])
            chosen, codes = remedy_texts(rest, chosen, codes, self.model_name, self.seed)
            self._train(chosen, codes, strategy, progress)
            return np.bincount(codes, minlength=self.classes_.size)

        self._fit_with_strategy(y, len(pairs), strategy, train, lambda rows: self._raw_logits([pairs[i] for i in rows]))
        return self

    def _pairs(self, queries: Any, titles: Any) -> list[tuple[str, str]]:
        return list(zip(*check_pairs(queries, titles)))

    def _features(self, pairs: list[tuple[str, str]]) -> Any:
        """Pooled token states of each pair (float32, (batch, dim)); differentiable."""
        from longtail.models.categorize.heads import autocast

        queries, titles = zip(*pairs)
        batch = self.encoder_.tokenizer(
            list(queries), list(titles), truncation="longest_first", max_length=self.encoder_.max_length,
            padding=True, return_tensors="pt", return_token_type_ids=True,
        )
        batch = {name: tensor.to(self.encoder_.device) for name, tensor in batch.items()}
        with autocast(self.device, self.mixed_precision):
            hidden = self.encoder_.model(**batch).last_hidden_state.float()
        if self.pooling == "cls":
            return hidden[:, 0]
        weights = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp_min(1e-9)

    def _raw_logits(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        import torch

        # Scoring pairs of similar length together keeps padding small.
        order = np.argsort([len(query) + len(title) for query, title in pairs], kind="stable")
        out = np.empty((len(pairs), self.classes_.size), dtype=np.float64)
        with torch.no_grad():
            for start in range(0, len(pairs), PREDICT_BATCH):
                rows = order[start : start + PREDICT_BATCH]
                logits = self.head_(self._features([pairs[i] for i in rows])) * self.logit_scale_
                out[rows] = logits.double().cpu().numpy()
        return out


# -------------------------------------------------------------- bi-encoder
@register_model
class BiEncoderClassifier(PairScoring, EmbeddingClassifier):
    """A head on pair features of frozen query and title embeddings.

    ``fit(queries, titles, y)`` takes the two embedding matrices (n, dim),
    e.g. from ``TrialContext.embed``. Features ``[q, t, q*t, |q-t|, cos]``
    are standardised with the training mean and spread, then a linear
    softmax head (``hidden=0``: multinomial logistic regression) or a
    one-hidden-layer MLP is trained with AdamW on the strategy's loss (strong
    decoupled weight decay by default: with four embedding blocks per pair a
    head overfits a few thousand pairs quickly).
    Samplers (SMOTE included) and feature augmenters work on the pair
    features; a text augmenter needs ``title_texts`` and ``embed`` to embed
    its new titles. Deterministic on CPU for a seed.
    """

    model_name = "biencoder"

    def __init__(self, hidden: int = 0, dropout: float = 0.1, epochs: int = 20, lr: float = 1e-3,
                 weight_decay: float = 1.0, **params: Any) -> None:
        super().__init__(hidden=hidden, dropout=dropout, epochs=epochs, lr=lr, weight_decay=weight_decay, **params)
        self.model_name = "biencoder"
        self.feature_mean_: np.ndarray | None = None
        self.feature_scale_: np.ndarray | None = None

    def fit(
        self,
        queries: Any,
        titles: Any,
        y: Any,
        strategy: Any = None,
        *,
        title_texts: list[str] | None = None,
        embed: Any = None,
        progress: bool = False,
    ) -> "BiEncoderClassifier":
        """Fit on query and title embeddings (n, dim each) and the grades ``y``.

        ``title_texts`` (aligned with the rows) and ``embed`` (texts ->
        embeddings) are needed only by strategies with a text augmenter.
        """
        raw = pair_features(queries, titles)
        if title_texts is not None and len(title_texts) != raw.shape[0]:
            raise ValueError(f"title_texts has {len(title_texts)} entries but there are {raw.shape[0]} pairs")
        self.feature_mean_ = raw.mean(axis=0)
        spread = raw.std(axis=0)
        self.feature_scale_ = np.where(spread > MIN_FEATURE_SCALE, spread, 1.0).astype(np.float32)
        X = self._standardise(raw)
        query_vectors = as_matrix(queries, "queries")
        augmenter = None if strategy is None else strategy.make_augmenter()
        rewrites_titles = augmenter is not None and is_text_augmenter(augmenter)
        if rewrites_titles and (title_texts is None or embed is None):
            raise LongtailError(
                f"strategy '{strategy.name}': its text augmenter rewrites titles; pass title_texts= and embed= "
                f"to {type(self).__name__}.fit so the new titles can be embedded"
            )

        def train(rows: np.ndarray, codes: np.ndarray) -> np.ndarray:
            features, rest = X[rows], strategy
            if rewrites_titles:
                made, rest = augment_titles(strategy, [title_texts[i] for i in rows], codes, self.seed)
                new_titles = np.asarray(embed(list(made.rows)), dtype=np.float32).reshape(len(made.rows), -1)
                extra = self._standardise(pair_features(query_vectors[rows][made.source], new_titles))
                features = np.concatenate([features, extra])
                codes = np.concatenate([codes, np.asarray(made.labels, dtype=codes.dtype)])
            features, codes = remedy_vectors(rest, features, codes, self.seed, model_name=self.model_name)
            self._train(features, codes, strategy, progress)
            return np.bincount(codes, minlength=self.classes_.size)

        self._fit_with_strategy(y, X.shape[0], strategy, train, lambda rows: EmbeddingClassifier._raw_logits(self, X[rows]))
        return self

    def _standardise(self, features: np.ndarray) -> np.ndarray:
        return ((features - self.feature_mean_) / self.feature_scale_).astype(np.float32)

    def _pairs(self, queries: Any, titles: Any) -> tuple[Any, Any]:
        return queries, titles

    def _raw_logits(self, pairs: tuple[Any, Any]) -> np.ndarray:
        return EmbeddingClassifier._raw_logits(self, self._standardise(pair_features(*pairs)))

    # ---------------------------------------------------------- persistence
    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        state, tensors = super()._state()
        tensors.update({"features.mean": self.feature_mean_, "features.scale": self.feature_scale_})
        return state, tensors

    def _load_state(self, config: dict[str, Any], tensors: dict[str, np.ndarray]) -> None:
        super()._load_state(config, tensors)
        self.feature_mean_ = np.asarray(tensors["features.mean"], dtype=np.float32)
        self.feature_scale_ = np.asarray(tensors["features.scale"], dtype=np.float32)


__all__ = ["BiEncoderClassifier", "CrossEncoder", "check_pairs", "pair_features"]
