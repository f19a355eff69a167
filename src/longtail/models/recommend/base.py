"""What every recommender shares: input checks, strategy slots, batched top-K, re-ranking, save/load.

A recommender is fitted on (user index, item index) pairs and scores users
against the whole catalogue. Subclasses implement ``fit`` (starting with
:meth:`Recommender._begin_fit`), ``_score_batch(users)`` (a numpy array or a
torch tensor of shape (len(users), n_items)) and the ``_tensors`` /
``_load_tensors`` pair for persistence.
"""

from __future__ import annotations

import copy
import os
from typing import Any, ClassVar

import numpy as np
from scipy import sparse

from longtail.errors import LongtailError
from longtail.models.persist import load_model, save_model
from longtail.models.recommend.topk import batched_top_k, exclusion_matrix
from longtail.strategies import StrategyError


def as_numpy(scores: Any) -> np.ndarray:
    """Scores as a float32 numpy array, whether they came as numpy or as a torch tensor."""
    if isinstance(scores, np.ndarray):
        # a broadcast view (MostPopular) is read-only: hand back an array the caller may change
        return scores.astype(np.float32, copy=not scores.flags.writeable)
    return scores.detach().float().cpu().numpy()


def check_index(values: Any, name: str, size: int, size_name: str) -> np.ndarray:
    """``values`` as a 1-D int64 array of indices in [0, size); ValueError naming ``name`` otherwise."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of indices, got shape {arr.shape}")
    if arr.size and arr.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integer indices, got dtype {arr.dtype}; map ids to 0..{size_name}-1 first")
    arr = arr.astype(np.int64, copy=False)
    if arr.size and (arr.min() < 0 or arr.max() >= size):
        bad = arr.min() if arr.min() < 0 else arr.max()
        raise ValueError(f"{name} holds index {bad}, outside [0, {size_name}={size})")
    return arr


def check_count(value: Any, name: str, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``; ValueError naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_positive(value: Any, name: str) -> float:
    """``value`` as a float > 0; ValueError naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not value > 0:
        raise ValueError(f"{name} must be a number > 0, got {value!r}")
    return float(value)


def user_item_matrix(users: np.ndarray, items: np.ndarray, n_users: int, n_items: int) -> sparse.csr_matrix:
    """The 0/1 (n_users, n_items) matrix of training pairs (a repeated pair counts once)."""
    matrix = sparse.csr_matrix((np.ones(users.size, dtype=np.float32), (users, items)), shape=(n_users, n_items))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


class Recommender:
    """Base of the top-K recommenders (MostPopular, ItemKNN, BPRMF, TwoTower)."""

    #: the name the recommend task knows the model by
    model_name: ClassVar[str] = "recommender"
    #: constructor parameters, saved with the model
    param_names: ClassVar[tuple[str, ...]] = ()
    #: strategy slots the model can act on; a strategy filling another slot is refused. The sampler
    #: slot is the caller's to apply (the recommend task resamples the training pairs before fit, as
    #: models take index arrays and the interaction samplers work on tables); listing it says that
    #: resampled pairs change what the model learns.
    strategy_slots: ClassVar[tuple[str, ...]] = ("sampler", "adjust")
    #: whether a pair given twice weighs more than one given once (else repeating pairs changes nothing)
    counts_repeated_pairs: ClassVar[bool] = True

    n_users_: int | None = None
    n_items_: int | None = None
    reranker_: Any = None
    device: str = "cpu"

    # ------------------------------------------------------------------ fitting
    def get_params(self) -> dict[str, Any]:
        """The constructor parameters, as given."""
        return {name: getattr(self, name) for name in self.param_names}

    def _begin_fit(
        self, user_idx: Any, item_idx: Any, n_users: int, n_items: int, strategy: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Check the training pairs and the strategy; returns (users, items, interactions per item)."""
        n_users = check_count(n_users, "n_users")
        n_items = check_count(n_items, "n_items")
        users = check_index(user_idx, "user_idx", n_users, "n_users")
        items = check_index(item_idx, "item_idx", n_items, "n_items")
        if users.size != items.size:
            raise ValueError(f"user_idx and item_idx must have the same length, got {users.size} and {items.size}")
        if users.size == 0:
            raise ValueError("user_idx is empty; fit needs at least one (user, item) interaction")
        self.check_strategy(strategy)
        counts = np.bincount(items, minlength=n_items)
        self.n_users_, self.n_items_ = n_users, n_items
        self.reranker_ = self._make_reranker(strategy, counts)
        return users, items, counts

    def check_strategy(self, strategy: Any) -> None:
        """Raise a StrategyError when ``strategy`` fills a slot this model cannot act on.

        A StrategyError (a LongtailError) marks the combination as one that
        does not exist: the benchmark lists it as skipped, not failed.
        """
        if strategy is None:
            return
        if not strategy.applies_to("retrieval"):
            raise StrategyError(
                f"strategy '{strategy.name}' does not apply to retrieval models such as '{self.model_name}'; "
                f"it applies to {', '.join(strategy.kinds) or 'none'}"
            )
        for slot, piece in strategy.pieces.items():
            if slot not in self.strategy_slots:
                usable = " and ".join(self.strategy_slots)
                raise StrategyError(
                    f"strategy '{strategy.name}' sets the {slot} slot ({piece.name}), which model "
                    f"'{self.model_name}' cannot use; it takes strategies that set only {usable} (e.g. baseline, rerank)"
                )

    @staticmethod
    def _make_reranker(strategy: Any, item_counts: np.ndarray) -> Any:
        if strategy is None or strategy.adjust is None:
            return None
        adjuster = strategy.make_adjuster(item_popularity=item_counts.astype(np.float64))
        if not hasattr(adjuster, "rerank"):
            raise StrategyError(
                f"strategy '{strategy.name}': adjuster {strategy.adjust.name} does not re-rank top-k lists; "
                "recommenders take exposure-rerank"
            )
        return adjuster

    def _require_fitted(self) -> None:
        if self.n_items_ is None:
            raise ValueError(f"{type(self).__name__} is not fitted; call fit(user_idx, item_idx, n_users, n_items) first")

    # ------------------------------------------------------------------ scoring
    def _score_batch(self, users: np.ndarray) -> Any:
        raise NotImplementedError

    def _users(self, user_idx: Any) -> np.ndarray:
        self._require_fitted()
        return check_index(user_idx, "user_idx", self.n_users_, "n_users")

    def scores(self, user_idx: Any) -> np.ndarray:
        """Score of every catalogue item for each user: float32, shape (len(user_idx), n_items)."""
        return as_numpy(self._score_batch(self._users(user_idx)))

    def recommend(self, user_idx: Any, k: int = 10, exclude: Any = None, *, batch_size: int | None = None) -> np.ndarray:
        """Top-``k`` item indices per user, best first, shape (len(user_idx), k).

        ``exclude`` (one array of item indices per user, a boolean mask or a
        sparse matrix, rows in the order of ``user_idx``) is never
        recommended, usually the users' training items; ``-1`` fills the
        slots of a user left with fewer than ``k`` items. A strategy with a
        re-ranker re-ranks each user's candidates (excluded items are its
        user history).
        """
        users = self._users(user_idx)
        k = check_count(k, "k")
        if k > self.n_items_:
            raise ValueError(f"k is {k} but the catalogue has only {self.n_items_} items; lower k")
        excluded = exclusion_matrix(exclude, users.size, self.n_items_)
        rank = None
        if self.reranker_ is not None:
            reranker = self._reranker_for(k)
            rank = lambda scores, batch_exclude: reranker.rerank(as_numpy(scores), exclude=batch_exclude)  # noqa: E731
        return batched_top_k(
            self._score_batch, users, k, self.n_items_, excluded, batch_size=batch_size, device=self.device, rank=rank
        )

    def _reranker_for(self, k: int) -> Any:
        """The fitted re-ranker, cut to lists of ``k`` items."""
        if k == self.reranker_.k:
            return self.reranker_
        reranker = copy.copy(self.reranker_)
        reranker.k = k
        if reranker.n_candidates is not None:
            reranker.n_candidates = max(reranker.n_candidates, k)
        return reranker

    # -------------------------------------------------------------- persistence
    def to(self, device: str) -> "Recommender":
        """Move the model to ``device`` (no-op for models without tensors); returns self."""
        self.device = device
        return self

    def save(self, directory: str | os.PathLike) -> Any:
        """Write the fitted model to ``directory`` (model.safetensors + config.json)."""
        self._require_fitted()
        return save_model(self, directory)

    @classmethod
    def load(cls, directory: str | os.PathLike, device: str | None = None) -> "Recommender":
        """A model saved by :meth:`save`, on ``device`` (default CPU)."""
        model = load_model(directory)
        if not isinstance(model, cls):
            raise LongtailError(f"{directory} holds a {type(model).__name__}, not a {cls.__name__}; load it with that class")
        return model.to(device) if device else model

    def _tensors(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _load_tensors(self, tensors: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def _export(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        tensors = self._tensors()
        reranker = None
        if self.reranker_ is not None:
            r = self.reranker_
            reranker = {"lam": r.lam, "k": r.k, "method": r.method, "n_candidates": r.n_candidates}
            tensors["reranker_groups"] = np.asarray(r.groups_, dtype=np.int64)
        config = {"params": self.get_params(), "n_users": self.n_users_, "n_items": self.n_items_, "reranker": reranker}
        return config, tensors

    @classmethod
    def _restore(cls, config: dict[str, Any], tensors: dict[str, np.ndarray]) -> "Recommender":
        model = cls(**config["params"])
        model.n_users_, model.n_items_ = int(config["n_users"]), int(config["n_items"])
        if config.get("reranker") is not None:
            from longtail.adjust import ExposureReranker

            model.reranker_ = ExposureReranker(**config["reranker"])
            model.reranker_.groups_ = tensors["reranker_groups"]
        model._load_tensors(tensors)
        return model
