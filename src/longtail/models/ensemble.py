"""Ensembles over balanced resamples, for any model with ``fit(X, y)`` / ``predict_proba(X)``.

* :class:`BalancedBagging` (imbalanced-learn's BalancedBaggingClassifier):
  each member is trained on a bootstrap sample of the rows, randomly
  under-sampled so every class has as many rows as the bootstrap's
  smallest class.
* :class:`EasyEnsemble` (Liu et al. 2009; imbalanced-learn's
  EasyEnsembleClassifier): the same without the bootstrap: every member sees
  all rows of the smallest class and an equal random draw of every other.
* :class:`SelfPacedEnsemble` (Liu et al. 2020): binary; each member after
  the first draws its majority rows by hardness bins under the ensemble so
  far, so the few hard rows are drawn far above their share while the easy
  bulk is never dropped; a self-paced factor evens the bins out over time.

Probabilities are the mean of the members'. ``base_factory(seed)`` returns a
fresh unfitted member; labels are class indices 0..C-1. The rows ``X`` may be
an array (embeddings, field codes), a list (product texts for the text
categorisers) or a tuple of aligned inputs, e.g. ``(queries, titles)`` for the
relevance models, whose ``fit(*X, y)`` and ``predict_proba(*X)`` then get
them unpacked. ``fit`` hands members the strategy without its
sampler (the ensemble balances the rows itself) and without its adjuster,
which is fitted on the averaged probabilities instead (binary only).
Per-row fit arguments named in :data:`ROW_PARAMS` are resampled with the
rows; other keyword arguments reach every member unchanged.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import logit

from longtail.errors import LongtailError
from longtail.models import persist
from longtail.models.ctr.binary import PostHoc, fit_post_hoc, validation_rows
from longtail.models.persist import load_model, register_model, save_model
from longtail.models.recommend.base import check_count

#: fit arguments that hold one value per row and follow the rows into each member's sample
ROW_PARAMS = ("propensity", "sample_weight", "texts", "title_texts")
#: probabilities are kept this far from 0 and 1 before taking their logit
PROBABILITY_EPS = 1e-7
HARDNESS = {
    "absolute": lambda p: p,
    "squared": lambda p: p**2,
    "cross_entropy": lambda p: -np.log(np.clip(1.0 - p, PROBABILITY_EPS, 1.0)),
}


def _class_labels(y: Any) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"y must be a non-empty 1-D array of class labels, got shape {arr.shape}")
    if arr.dtype.kind not in "iub" or arr.min() < 0:
        raise ValueError("y must hold class indices 0..C-1")
    arr = arr.astype(np.int64)
    if np.unique(arr).size < 2:
        raise ValueError("y holds a single class; an ensemble of balanced resamples needs at least two")
    return arr


def under_sample(y: np.ndarray, seed: int) -> np.ndarray:
    """Row indices keeping every row of the smallest class and as many random rows of each other class."""
    from longtail.sampling import RandomUnderSampler

    sampler = RandomUnderSampler(random_state=seed)
    sampler.fit_resample(np.zeros((y.size, 1)), y)
    return np.asarray(sampler.sample_indices_, dtype=np.int64)


def _parts(X: Any) -> tuple | None:
    """The aligned inputs of a multi-input row set such as ``(queries, titles)``; None for a single input."""
    if not isinstance(X, tuple) or len(X) < 2 or any(isinstance(part, str) or not hasattr(part, "__len__") for part in X):
        return None
    lengths = [len(part) for part in X]
    if len(set(lengths)) != 1:
        raise ValueError(f"the inputs of X must have one entry per row each, got lengths {lengths}")
    return X


def n_rows(X: Any) -> int:
    """Number of rows of ``X`` (an array, a list or a tuple of aligned inputs)."""
    parts = _parts(X)
    return len(parts[0]) if parts is not None else len(X)


def take_rows(X: Any, rows: np.ndarray) -> Any:
    """The rows ``rows`` of ``X``, in the same form (lists stay lists: text models take lists of strings)."""
    parts = _parts(X)
    if parts is not None:
        return tuple(take_rows(part, rows) for part in parts)
    if isinstance(X, (list, tuple)):
        return [X[i] for i in rows.tolist()]
    return X[rows]


def _call(method: Callable[..., Any], X: Any, *args: Any, **kwargs: Any) -> Any:
    """``method(X, ...)``, or ``method(*X, ...)`` for a tuple of aligned inputs."""
    parts = _parts(X)
    return method(*parts, *args, **kwargs) if parts is not None else method(X, *args, **kwargs)


def _rows_of(fit_params: dict[str, Any], rows: np.ndarray) -> dict[str, Any]:
    """``fit_params`` with the per-row ones (:data:`ROW_PARAMS`) cut to ``rows``."""
    return {k: (take_rows(v, rows) if k in ROW_PARAMS and v is not None else v) for k, v in fit_params.items()}


def _member_class(name: str) -> type:
    """The registered model class ``name`` (the same allow-list as :func:`persist.load_model`)."""
    if name not in persist._ALLOWED and name.rsplit(".", 1)[0] in persist._BUILTIN_MODULES:
        importlib.import_module(name.rsplit(".", 1)[0])
    cls = persist._ALLOWED.get(name)
    if cls is None:
        raise LongtailError(f"ensemble member class '{name}' is not an allowed longtail model; refusing to load it")
    return cls


def _member_strategy(strategy: Any, ensemble: str) -> Any:
    """The strategy members train with: no sampler (refused), no adjuster (the ensemble's); None if nothing is left."""
    if strategy is None:
        return None
    if strategy.sampler is not None:
        raise LongtailError(
            f"strategy '{strategy.name}' sets a sampler ({strategy.sampler.name}), but {ensemble} balances each "
            "member's rows itself; use a loss or adjust strategy (or baseline) with an ensemble"
        )
    members = dataclasses.replace(strategy, adjust=None)
    return members if members.pieces else None


class _BalancedEnsemble:
    """Shared fitting, averaging, post-hoc step and persistence; subclasses choose each member's rows."""

    param_names: tuple[str, ...] = ("n_estimators", "random_state")

    def __init__(self, base_factory: Callable[[int], Any] | None, n_estimators: int = 10, random_state: int = 0) -> None:
        if base_factory is not None and not callable(base_factory):
            raise ValueError("base_factory must be a callable taking a seed and returning an unfitted model")
        self.base_factory = base_factory
        self.n_estimators = check_count(n_estimators, "n_estimators")
        self.random_state = check_count(random_state, "random_state", minimum=0)
        self.members_: list[Any] = []
        self.subsets_: list[np.ndarray] = []
        self.n_classes_: int | None = None
        self.post_: PostHoc | None = None

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters (without the factory)."""
        return {name: getattr(self, name) for name in self.param_names}

    # ------------------------------------------------------------------ fitting
    def _seeds(self) -> tuple[np.random.Generator, np.ndarray]:
        """A generator for drawing rows and one seed per member, both from ``random_state``."""
        draw, members = np.random.SeedSequence(self.random_state).spawn(2)
        return np.random.default_rng(draw), np.random.default_rng(members).integers(0, 2**31 - 1, self.n_estimators)

    def _next_subset(self, index: int, X: Any, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def _fit_member(self, X: Any, y: np.ndarray, subset: np.ndarray, seed: int, fit_params: dict[str, Any]) -> Any:
        if self.base_factory is None:
            raise LongtailError(f"this {type(self).__name__} was loaded from disk and has no base_factory; build a new one to fit")
        member = self.base_factory(int(seed))
        _call(member.fit, take_rows(X, subset), y[subset], **_rows_of(fit_params, subset))
        self.members_.append(member)
        self.subsets_.append(subset)
        return member

    def fit(
        self, X: Any, y: Any, *, strategy: Any = None, valid: tuple[Any, Any] | None = None, progress: bool = False,
        **fit_params: Any,
    ) -> "_BalancedEnsemble":
        """Train ``n_estimators`` members, each on its balanced sample of the rows of ``X``."""
        from longtail.models.runtime import training_progress

        y = _class_labels(y)
        if n_rows(X) != y.size:
            raise ValueError(f"X has {n_rows(X)} rows but y has {y.size}; pass one label per row")
        self.n_classes_ = int(y.max()) + 1
        name = type(self).__name__
        members_strategy = _member_strategy(strategy, name)
        adjust = strategy is not None and strategy.adjust is not None
        if adjust and self.n_classes_ != 2:
            raise LongtailError(f"strategy '{strategy.name}' adjusts binary scores; {name} has {self.n_classes_} classes")
        if adjust and valid is None:
            keep, held = validation_rows(y, self.random_state)
            valid = (take_rows(X, held), y[held])
            fit_params, X, y = _rows_of(fit_params, keep), take_rows(X, keep), y[keep]
        if members_strategy is not None:
            fit_params["strategy"] = members_strategy
        self.members_, self.subsets_ = [], []
        rng, seeds = self._seeds()
        with training_progress(self.n_estimators, name, progress) as advance:
            for i, seed in enumerate(seeds):
                self._fit_member(X, y, self._next_subset(i, X, y, rng), seed, fit_params)
                advance()
        self.post_ = PostHoc()
        if adjust:
            counts = np.bincount(np.concatenate([y[s] for s in self.subsets_]), minlength=2)
            valid_y = _class_labels(valid[1])
            self.post_ = fit_post_hoc(strategy, counts, self._mean_logits(valid[0]), valid_y)
        return self

    def fit_subsets(self, X: Any, y: Any, subsets: list[np.ndarray], **fit_params: Any) -> "_BalancedEnsemble":
        """Train one member per given row subset (e.g. to reproduce another library's draws)."""
        y = _class_labels(y)
        self.n_classes_ = int(y.max()) + 1
        self.members_, self.subsets_ = [], []
        _, seeds = self._seeds()
        for subset, seed in zip(subsets, np.resize(seeds, len(subsets))):
            self._fit_member(X, y, np.asarray(subset, dtype=np.int64), seed, fit_params)
        self.post_ = PostHoc()
        return self

    # ----------------------------------------------------------------- scoring
    def _require_fitted(self) -> None:
        if not self.members_:
            raise ValueError(f"{type(self).__name__} is not fitted; call fit(X, y) first")

    def _mean_proba(self, X: Any) -> np.ndarray:
        self._require_fitted()
        return np.mean([np.asarray(_call(m.predict_proba, X), dtype=np.float64) for m in self.members_], axis=0)

    def _mean_logits(self, X: Any) -> np.ndarray:
        return logit(np.clip(self._mean_proba(X)[:, 1], PROBABILITY_EPS, 1 - PROBABILITY_EPS))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Mean of the members' probabilities, (n, C); binary ones after the post-hoc step."""
        proba = self._mean_proba(X)
        if self.post_ is None or self.post_ == PostHoc():
            return proba
        positive = self.post_.probabilities(self._mean_logits(X))
        return np.column_stack([1.0 - positive, positive])

    def decision_function(self, X: Any) -> np.ndarray:
        """Binary: the logit of the (adjusted) positive probability."""
        if self.n_classes_ != 2:
            raise ValueError("decision_function is for binary ensembles; use predict_proba")
        return logit(np.clip(self.predict_proba(X)[:, 1], PROBABILITY_EPS, 1 - PROBABILITY_EPS))

    def predict(self, X: Any) -> np.ndarray:
        """Binary: positive at the fitted threshold; multi-class: the most probable class."""
        proba = self.predict_proba(X)
        if self.n_classes_ == 2:
            return (proba[:, 1] >= self.post_.threshold).astype(np.int64)
        return np.argmax(proba, axis=1)

    @property
    def threshold_(self) -> float:
        """The probability at and above which a row is predicted positive (binary)."""
        self._require_fitted()
        return self.post_.threshold

    # -------------------------------------------------------------- persistence
    def save(self, directory: str | os.PathLike) -> Any:
        """Write the ensemble and its members to ``directory`` (model.safetensors + config.json)."""
        self._require_fitted()
        return save_model(self, directory)

    @classmethod
    def load(cls, directory: str | os.PathLike) -> "_BalancedEnsemble":
        """An ensemble saved by :meth:`save` (it predicts; refitting needs a new one with a base_factory)."""
        model = load_model(directory)
        if not isinstance(model, cls):
            raise LongtailError(f"{directory} holds a {type(model).__name__}, not a {cls.__name__}; load it with that class")
        return model

    def _export(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        members, tensors = [], {}
        for i, member in enumerate(self.members_):
            cls = type(member)
            name = f"{cls.__module__}.{cls.__qualname__}"
            if name not in persist._ALLOWED:
                raise LongtailError(f"ensemble member {name} is not a registered model; only registered members can be saved")
            config, arrays = member._export()
            members.append({"class": name, "config": config})
            tensors.update({f"member{i}.{key}": value for key, value in arrays.items()})
        config = {"params": self.get_params(), "n_classes": self.n_classes_, "members": members, "post_hoc": self.post_.to_dict()}
        return config, tensors

    @classmethod
    def _restore(cls, config: dict[str, Any], tensors: dict[str, np.ndarray]) -> "_BalancedEnsemble":
        model = cls(None, **config["params"])
        model.n_classes_ = int(config["n_classes"])
        for i, member in enumerate(config["members"]):
            prefix = f"member{i}."
            arrays = {key[len(prefix):]: value for key, value in tensors.items() if key.startswith(prefix)}
            model.members_.append(_member_class(member["class"])._restore(member["config"], arrays))
        model.post_ = PostHoc(**config["post_hoc"])
        return model


@register_model
class BalancedBagging(_BalancedEnsemble):
    """Bagging over balanced samples: a bootstrap of all rows, then random under-sampling within it.

    The order (bootstrap, then under-sampling) and the sample sizes are those
    of imbalanced-learn's ``BalancedBaggingClassifier`` with its default
    ``RandomUnderSampler``. ``bootstrap=False`` is :class:`EasyEnsemble`.
    """

    __module__ = "longtail.models.ensemble"
    param_names = ("n_estimators", "random_state", "bootstrap")

    def __init__(
        self, base_factory: Callable[[int], Any] | None, n_estimators: int = 10, random_state: int = 0, bootstrap: bool = True
    ) -> None:
        super().__init__(base_factory, n_estimators, random_state)
        self.bootstrap = bool(bootstrap)

    def _next_subset(self, index: int, X: Any, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        rows = rng.integers(0, y.size, y.size) if self.bootstrap else np.arange(y.size)
        if np.unique(y[rows]).size < self.n_classes_:
            raise LongtailError(
                f"a bootstrap sample of {y.size} rows missed a class (too few rows of it); "
                "use EasyEnsemble (no bootstrap) or more data"
            )
        return rows[under_sample(y[rows], int(rng.integers(0, 2**31 - 1)))]


@register_model
class EasyEnsemble(BalancedBagging):
    """Members on random balanced subsets without bootstrap (EasyEnsemble, Liu et al. 2009)."""

    __module__ = "longtail.models.ensemble"
    param_names = ("n_estimators", "random_state")

    def __init__(self, base_factory: Callable[[int], Any] | None, n_estimators: int = 10, random_state: int = 0) -> None:
        super().__init__(base_factory, n_estimators, random_state, bootstrap=False)


def _apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """``total`` split over entries in proportion to ``weights`` (largest remainder)."""
    quota = total * weights / weights.sum()
    out = np.floor(quota).astype(np.int64)
    out[np.argsort(-(quota - out), kind="stable")[: total - int(out.sum())]] += 1
    return out


def self_paced_counts(hardness: np.ndarray, n_bins: int, alpha: float, n_minority: int) -> tuple[np.ndarray, np.ndarray]:
    """(bin of each majority row, rows to draw per bin) of one self-paced step (Liu et al. 2020, Alg. 1).

    Bins cut [min, max] of the hardness into ``n_bins`` equal widths (the
    last one closed); bin ``l`` with mean hardness ``h_l`` gets weight
    ``1 / (h_l + alpha)`` (empty bins none) and its share of ``n_minority``
    draws, at most as many as it holds.
    """
    low, high = float(hardness.min()), float(hardness.max())
    step = (high - low) / n_bins
    bins = np.searchsorted(low + step * np.arange(1, n_bins), hardness, side="right")
    sizes = np.bincount(bins, minlength=n_bins)
    mean = np.bincount(bins, weights=hardness, minlength=n_bins) / np.maximum(sizes, 1)
    weights = np.where(sizes > 0, 1.0 / (mean + alpha), 0.0)
    return bins, np.minimum(_apportion(n_minority, weights), sizes)


@register_model
class SelfPacedEnsemble(_BalancedEnsemble):
    """Self-paced ensemble (Liu et al. 2020) for binary labels.

    Member 0 sees all minority rows and as many random majority rows. Before
    member ``i`` (i = 1 .. n-1) every majority row gets its hardness under the
    mean of the members so far (``absolute``: ``|F(x) - y|``, ``squared`` or
    ``cross_entropy``); rows are cut into ``n_bins`` equal-width hardness
    bins and bin ``l`` gets a share ``1 / (h_l + alpha_i)`` of the
    ``|minority|`` majority rows drawn, ``alpha_i = tan(i pi / (2 n))``. With
    a small alpha every bin contributes about the same total hardness (the
    small hard bins are drawn far above their share of rows); as alpha grows
    the bins get equal draws. ``bin_counts_`` and ``alphas_`` record each step.
    """

    __module__ = "longtail.models.ensemble"
    param_names = ("n_estimators", "random_state", "n_bins", "hardness")

    def __init__(
        self,
        base_factory: Callable[[int], Any] | None,
        n_estimators: int = 10,
        random_state: int = 0,
        n_bins: int = 10,
        hardness: str = "absolute",
    ) -> None:
        super().__init__(base_factory, n_estimators, random_state)
        self.n_bins = check_count(n_bins, "n_bins")
        if hardness not in HARDNESS:
            raise ValueError(f"hardness must be one of {', '.join(HARDNESS)}, got {hardness!r}")
        self.hardness = hardness
        self.bin_counts_: list[np.ndarray] = []
        self.alphas_: list[float] = []
        self._majority_proba: np.ndarray | None = None

    def _next_subset(self, index: int, X: Any, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.n_classes_ != 2:
            raise ValueError(f"SelfPacedEnsemble is binary; y has {self.n_classes_} classes")
        counts = np.bincount(y, minlength=2)
        minority = int(np.argmin(counts))
        minority_rows, majority_rows = np.flatnonzero(y == minority), np.flatnonzero(y != minority)
        if index == 0:
            self.bin_counts_, self.alphas_ = [], []
            self._majority_proba = np.zeros(majority_rows.size)
            return np.concatenate([minority_rows, rng.choice(majority_rows, minority_rows.size, replace=False)])
        # running sum of P(minority) of the majority rows over the members trained so far
        latest = np.asarray(_call(self.members_[-1].predict_proba, take_rows(X, majority_rows)), dtype=np.float64)[:, minority]
        self._majority_proba += latest
        hardness = HARDNESS[self.hardness](self._majority_proba / len(self.members_))
        alpha = math.tan(index * math.pi / (2 * self.n_estimators))
        self.alphas_.append(alpha)
        if hardness.max() == hardness.min():
            self.bin_counts_.append(np.zeros(self.n_bins, dtype=np.int64))
            return np.concatenate([minority_rows, rng.choice(majority_rows, minority_rows.size, replace=False)])
        bins, draws = self_paced_counts(hardness, self.n_bins, alpha, minority_rows.size)
        self.bin_counts_.append(draws)
        picked = [rng.choice(majority_rows[bins == b], n, replace=False) for b, n in enumerate(draws) if n > 0]
        return np.concatenate([minority_rows, *picked])
