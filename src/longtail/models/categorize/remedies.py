"""How a strategy's sampler, augmenter and adjuster act on a categoriser's training rows.

Text models (TF-IDF, fine-tuning) have no fixed feature vectors to
interpolate, so their samplers may only select rows by label (random over-
and under-sampling, ours or imbalanced-learn's, by index) and their
augmenters must rewrite text. Embedding models resample and augment the vectors themselves. Neighbour samplers
(SMOTE family) need ``k_neighbors`` other rows in a class; on long-tailed
catalogues many classes have fewer, so such a class is resampled with
``k = n_c - 1`` and a single-row class by copying its row (what SMOTE's
segment between a row and itself amounts to).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from longtail.errors import LongtailError
from longtail.strategies import StrategyError


# ------------------------------------------------------------------ validation
def validation_rows(codes: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(fit rows, validation rows): ``round(fraction * n_c)`` rows of each class, at most ``n_c - 1``, seeded."""
    if not 0 < fraction < 1:
        raise ValueError(f"valid_fraction must be in (0, 1), got {fraction!r}; e.g. 0.15")
    rng = np.random.default_rng(seed)
    valid = []
    for label in np.unique(codes):
        rows = np.flatnonzero(codes == label)
        take = min(int(round(fraction * rows.size)), rows.size - 1)
        valid.append(rng.permutation(rows)[:take])
    held = np.sort(np.concatenate(valid)) if valid else np.zeros(0, dtype=np.int64)
    keep = np.ones(codes.size, dtype=bool)
    keep[held] = False
    return np.flatnonzero(keep), held


# -------------------------------------------------------------------- samplers
def resample_indices(sampler: Any, codes: np.ndarray, model_name: str, strategy_name: str) -> np.ndarray:
    """Row indices chosen by a row-selecting sampler (for models trained on text, not vectors).

    Any sampler that picks rows by label alone qualifies, imbalanced-learn's
    included (see :func:`longtail.sampling.selected_rows`).
    """
    from longtail.sampling import RowSelectionError, selected_rows

    try:
        return selected_rows(sampler, codes)
    except RowSelectionError as exc:
        does = (
            "makes new rows from feature vectors" if exc.reason == "synthesises"
            else "judges rows by their feature vectors (or is not seeded by random_state)"
        )
        raise StrategyError(
            f"strategy '{strategy_name}': sampler {type(sampler).__name__} {does}, which model '{model_name}' "
            "(trained on text) does not have; use a sampler that picks rows by label, such as random-over or "
            "random-under, or an embedding model (embedding-linear, embedding-mlp)"
        ) from exc


def resample_features(sampler: Any, X: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``sampler.fit_resample(X, codes)``, with a neighbour sampler's ``k`` lowered for classes too small for it."""
    k = getattr(sampler, "k_neighbors", None)
    if k is None:
        return sampler.fit_resample(X, codes)
    from sklearn.base import clone

    from longtail.sampling import resolve_sampling_strategy

    counts = np.bincount(codes)
    plans: dict[int, dict[int, int]] = defaultdict(dict)
    for label, n_add in resolve_sampling_strategy(sampler.sampling_strategy, codes, "over-sampling").items():
        if n_add > 0:
            plans[min(k, int(counts[label]) - 1)][int(label)] = int(counts[label]) + int(n_add)
    new_X, new_y = [X], [codes]
    for group_k, targets in sorted(plans.items()):
        if group_k == 0:
            rows = np.concatenate([np.repeat(np.flatnonzero(codes == c), n - 1) for c, n in targets.items()])
            new_X.append(X[rows])
            new_y.append(codes[rows])
            continue
        part = clone(sampler).set_params(k_neighbors=group_k, sampling_strategy=targets)
        X_res, y_res = part.fit_resample(X, codes)
        new_X.append(np.asarray(X_res[codes.size :], dtype=X.dtype))
        new_y.append(np.asarray(y_res[codes.size :], dtype=codes.dtype))
    return np.concatenate(new_X), np.concatenate(new_y)


# ------------------------------------------------------------------ augmenters
def is_text_augmenter(augmenter: Any) -> bool:
    """Whether a tail augmenter rewrites texts (EDA, attribute shuffles, paraphrases) rather than vectors."""
    from longtail.augment import EDA, AttributeShuffle, Paraphraser

    return isinstance(getattr(augmenter, "augmenter", augmenter), (EDA, AttributeShuffle, Paraphraser))


def augment_rows(augmenter: Any, rows: Any, codes: np.ndarray, seed: int) -> tuple[Any, np.ndarray]:
    """The rows plus the augmenter's new rows for the rare classes (a list for texts, an array for vectors)."""
    made = augmenter.augment(rows, codes, np.random.default_rng(seed))
    if isinstance(rows, np.ndarray):
        extra = np.asarray(made.rows, dtype=rows.dtype).reshape(-1, rows.shape[1])
        return np.concatenate([rows, extra]), np.concatenate([codes, np.asarray(made.labels, dtype=codes.dtype)])
    return list(rows) + list(made.rows), np.concatenate([codes, np.asarray(made.labels, dtype=codes.dtype)])


def require_text_augmenter(augmenter: Any, model_name: str, strategy_name: str) -> None:
    """Refuse a feature-vector augmenter for a model trained on text."""
    if not is_text_augmenter(augmenter):
        inner = type(getattr(augmenter, "augmenter", augmenter)).__name__
        raise StrategyError(
            f"strategy '{strategy_name}': augmenter {inner} changes feature vectors, which model '{model_name}' "
            "(trained on text) does not have; use a text augmenter (EDA) or an embedding model (embedding-linear)"
        )


# -------------------------------------------------------------- whole recipes
def remedy_texts(strategy: Any, texts: list[str], codes: np.ndarray, model_name: str, seed: int) -> tuple[list[str], np.ndarray]:
    """A text model's training rows after the strategy's augmenter (text only), then its sampler (by index)."""
    if strategy is None:
        return texts, codes
    augmenter = strategy.make_augmenter()
    if augmenter is not None:
        require_text_augmenter(augmenter, model_name, strategy.name)
        texts, codes = augment_rows(augmenter, texts, codes, seed)
    sampler = strategy.make_sampler(random_state=seed)
    if sampler is not None:
        index = resample_indices(sampler, codes, model_name, strategy.name)
        texts, codes = [texts[i] for i in index], codes[index]
    return texts, codes


def remedy_vectors(
    strategy: Any,
    X: np.ndarray,
    codes: np.ndarray,
    seed: int,
    texts: list[str] | None = None,
    embed: Any = None,
    model_name: str = "embedding",
) -> tuple[np.ndarray, np.ndarray]:
    """An embedding model's training rows after the strategy's augmenter, then its sampler.

    A text augmenter rewrites ``texts`` (aligned with ``X``) and ``embed``
    turns the new texts into vectors; a vector augmenter works on ``X``.
    """
    if strategy is None:
        return X, codes
    augmenter = strategy.make_augmenter()
    if augmenter is not None and is_text_augmenter(augmenter):
        if texts is None or embed is None:
            raise LongtailError(
                f"strategy '{strategy.name}': its text augmenter needs the training texts and the encoder; "
                f"pass texts= and embed= to {model_name}.fit"
            )
        new_texts, new_codes = augment_rows(augmenter, texts, codes, seed)
        added = np.asarray(embed(new_texts[len(texts):]), dtype=X.dtype).reshape(-1, X.shape[1])
        X, codes = np.concatenate([X, added]), new_codes
    elif augmenter is not None:
        X, codes = augment_rows(augmenter, X, codes, seed)
    sampler = strategy.make_sampler(random_state=seed)
    if sampler is not None:
        X, codes = resample_features(sampler, X, codes)
    return np.asarray(X, dtype=np.float32), np.asarray(codes, dtype=np.int64)
