"""MostPopular: every user gets the items with the most training interactions."""

from __future__ import annotations

from typing import Any

import numpy as np

from longtail.models.persist import register_model
from longtail.models.recommend.base import Recommender


@register_model
class MostPopular(Recommender):
    """Scores each item by its number of training interactions, the same for every user.

    The yardstick of the long tail: it gives the head all the exposure, so a
    model that does not beat it on accuracy has learned nothing personal.
    """

    __module__ = "longtail.models.recommend"
    model_name = "most-popular"
    # The interaction samplers map each item's count through a monotone function (min(n, cap), max(n, floor)),
    # so a ranking by count would change only among ties: a sampler strategy is no remedy here.
    strategy_slots = ("adjust",)

    def __init__(self) -> None:
        self.popularity_: np.ndarray | None = None

    def fit(
        self,
        user_idx: Any,
        item_idx: Any,
        n_users: int,
        n_items: int,
        strategy: Any = None,
        item_text_emb: Any = None,
        progress: bool = False,
    ) -> "MostPopular":
        """Count the training interactions of each item (``item_text_emb`` and ``progress`` are unused)."""
        _, _, counts = self._begin_fit(user_idx, item_idx, n_users, n_items, strategy)
        self.popularity_ = counts.astype(np.float32)
        return self

    def _score_batch(self, users: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.popularity_, (users.size, self.n_items_))

    def _tensors(self) -> dict[str, np.ndarray]:
        return {"popularity": self.popularity_}

    def _load_tensors(self, tensors: dict[str, np.ndarray]) -> None:
        self.popularity_ = tensors["popularity"]
