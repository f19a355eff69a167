"""TwoTower: a user tower and a text-aware item tower trained with in-batch sampled softmax."""

from __future__ import annotations

from typing import Any

import numpy as np

from longtail.models.persist import register_model
from longtail.models.recommend.base import Recommender, check_count, check_positive
from longtail.models.runtime import pick_device


def _as_matrix(values: Any, name: str, rows: int, rows_name: str) -> np.ndarray | None:
    if values is None:
        return None
    arr = np.asarray(values, dtype=np.float32)
    if arr.ndim != 2 or arr.shape[0] != rows:
        raise ValueError(f"{name} must have shape ({rows_name}={rows}, dim), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values; embed every item (zeros for items without text)")
    return arr


@register_model
class TwoTower(Recommender):
    """Two-tower retrieval model (Yi et al. 2019) with text-gated item vectors.

    Trained on (user, item) pairs with the strategy's retrieval loss: the
    in-batch sampled softmax, with logQ correction for ``logq`` strategies
    and plain for ``baseline``; an ``ips`` loss weights each pair by its
    item's inverse popularity propensity. Scores are cosines divided by
    ``temperature`` (the loss's own temperature divides them once more).
    With ``item_text_emb`` every item's vector mixes its ID embedding with a
    projection of its text through a count-driven gate (see
    :class:`~longtail.models.recommend.networks.TwoTowerNet`), so tail and
    unseen items still get a vector.

    In-batch negatives are drawn in proportion to popularity, so without
    the logQ correction the softmax fits ``log p(i | u) - log q(i)`` rather
    than ``log p(i | u)``: the plain model ranks items by how much more a
    user likes them than the average user does, which pushes popular items
    down. On logs where popularity explains most choices this ranks far
    below MostPopular on logged accuracy; adding ``log q(i)`` to its scores
    restores the popularity-aware ranking the ``logq`` strategy learns.

    For the same reason a sampler strategy (head-undersample,
    tail-oversample: the recommend task resamples the pairs before ``fit``)
    changes the plain model little: scaling an item's pairs scales both
    ``p(i | u)`` and ``q(i)``, and their ratio stays. With the logQ
    correction the model fits ``p(i | u)`` of the resampled pairs, so
    ``logq+tail-oversample`` moves exposure to the tail.
    """

    __module__ = "longtail.models.recommend"
    model_name = "two-tower"
    param_names = ("dim", "epochs", "batch_size", "lr", "weight_decay", "temperature", "seed")
    strategy_slots = ("sampler", "loss", "adjust")
    uses_text = True

    def __init__(
        self,
        dim: int = 64,
        epochs: int = 5,
        batch_size: int = 1024,
        lr: float = 0.01,
        weight_decay: float = 0.0,
        temperature: float = 0.1,
        seed: int = 0,
        device: str | None = None,
    ) -> None:
        self.dim = check_count(dim, "dim")
        self.epochs = check_count(epochs, "epochs")
        self.batch_size = check_count(batch_size, "batch_size", minimum=2)
        self.lr = check_positive(lr, "lr")
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
        self.weight_decay = float(weight_decay)
        self.temperature = check_positive(temperature, "temperature")
        self.seed = check_count(seed, "seed", minimum=0)
        self.device = pick_device(device)
        self.net_: Any = None
        self.loss_history_: list[float] = []
        self._item_vectors: Any = None

    def fit(
        self,
        user_idx: Any,
        item_idx: Any,
        n_users: int,
        n_items: int,
        strategy: Any = None,
        item_text_emb: Any = None,
        user_features: Any = None,
        progress: bool = False,
    ) -> "TwoTower":
        """Train on the (user, item) pairs.

        ``item_text_emb`` (n_items, t) are the items' text embeddings (zeros for
        items without text); ``user_features`` (n_users, f) optional dense user
        features (e.g. a one-hot region).
        """
        import torch

        from longtail.losses import SampledSoftmaxLoss
        from longtail.models.recommend.networks import TwoTowerNet, ips_weights, train_epochs, weighted_mean
        from longtail.models.runtime import seeded_generator

        users, items, counts = self._begin_fit(user_idx, item_idx, n_users, n_items, strategy)
        text = _as_matrix(item_text_emb, "item_text_emb", n_items, "n_items")
        features = _as_matrix(user_features, "user_features", n_users, "n_users")
        generator = seeded_generator(self.seed)
        self.net_ = TwoTowerNet(n_users, n_items, self.dim, counts, text, features).to(self.device)
        weights = ips_weights(strategy, counts)
        if weights is not None:
            loss_fn = SampledSoftmaxLoss(logq_correction=False, reduction="none")
            weights = weights.to(self.device)
        elif strategy is None:
            loss_fn = SampledSoftmaxLoss(logq_correction=False)
        else:
            loss_fn = strategy.make_loss("retrieval", item_counts=counts)
        users_t = torch.tensor(users, device=self.device)
        items_t = torch.tensor(items, device=self.device)
        optimizer = torch.optim.Adam(self.net_.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        target = torch.arange(self.batch_size, device=self.device)

        def step(rows: np.ndarray) -> torch.Tensor:
            rows = torch.from_numpy(rows).to(self.device)
            u, i = users_t[rows], items_t[rows]
            logits = self.net_.users(u) @ self.net_.items(i).T / self.temperature
            losses = loss_fn(logits, target[: rows.numel()], i)
            return losses if weights is None else weighted_mean(losses, weights[i])

        self.net_.train()
        self.loss_history_ = train_epochs(
            step, users.size, epochs=self.epochs, batch_size=self.batch_size, optimizer=optimizer,
            generator=generator, device=self.device, progress=progress, description="two-tower",
        )
        self.net_.eval()
        self._item_vectors = None
        return self

    def _all_items(self) -> Any:
        """Every item's vector (computed once after fitting or loading)."""
        import torch

        if self._item_vectors is None:
            with torch.no_grad():
                self._item_vectors = self.net_.items()
        return self._item_vectors

    def _score_batch(self, users: np.ndarray) -> Any:
        import torch

        with torch.no_grad():
            return self.net_.users(torch.from_numpy(users).to(self.device)) @ self._all_items().T / self.temperature

    def item_vectors(self) -> np.ndarray:
        """The normalised item vectors, (n_items, dim) float32 (e.g. for an ANN index)."""
        self._require_fitted()
        return self._all_items().cpu().numpy()

    def to(self, device: str) -> "TwoTower":
        """Move the network to ``device``; returns self."""
        self.device = pick_device(device)
        if self.net_ is not None:
            self.net_.to(self.device)
        self._item_vectors = None
        return self

    def _tensors(self) -> dict[str, np.ndarray]:
        from longtail.models.recommend.networks import state_arrays

        return {f"net.{name}": value for name, value in state_arrays(self.net_).items()}

    def _load_tensors(self, tensors: dict[str, np.ndarray]) -> None:
        from longtail.models.recommend.networks import TwoTowerNet, load_state_arrays

        counts = np.rint(np.expm1(tensors["net.log_count"])).astype(np.int64)
        net = TwoTowerNet(
            self.n_users_, self.n_items_, self.dim, counts, tensors.get("net.text"), tensors.get("net.user_x")
        )
        self.net_ = load_state_arrays(net, tensors, prefix="net.").to(self.device).eval()
