"""BPRMF: matrix factorisation trained with Bayesian personalised ranking (Rendle et al. 2009)."""

from __future__ import annotations

from typing import Any

import numpy as np

from longtail.models.persist import register_model
from longtail.models.recommend.base import Recommender, check_count, check_positive, user_item_matrix
from longtail.models.runtime import pick_device
from longtail.strategies import StrategyError

NEGATIVES = ("uniform", "popularity")
#: loss pieces BPR knows how to honour (see negatives_for and networks.ips_weights)
LOSS_PIECES = ("sampled-softmax", "ips")


def negatives_for(strategy: Any, default: str) -> str:
    """How BPR draws negatives under ``strategy``.

    A logQ strategy (loss ``sampled-softmax`` with ``logq_correction``) corrects
    a softmax for popularity; BPR has no softmax, and its counterpart is to
    stop popular items from winning nearly every pair: negatives drawn in
    proportion to popularity^alpha. Any other strategy keeps ``default``.
    """
    loss = None if strategy is None else strategy.loss
    if loss is not None and loss.name == "sampled-softmax" and strategy.effective_params("loss").get("logq_correction", True):
        return "popularity"
    return default


@register_model
class BPRMF(Recommender):
    """``score(u, i) = <p_u, q_i> + b_i`` trained on (user, positive, negative) triples.

    The loss is ``-log sigmoid(score(u, i) - score(u, j))`` plus ``reg`` times
    the squared norms of the batch's embeddings. Negatives ``j`` come from
    longtail.sampling's negative samplers: uniform over the catalogue, or in
    proportion to ``popularity^negative_alpha`` (``negatives="popularity"``,
    or a logQ strategy, see :func:`negatives_for`). An ``ips`` strategy weights
    each triple by its positive item's inverse popularity propensity.
    """

    __module__ = "longtail.models.recommend"
    model_name = "bpr"
    param_names = ("dim", "epochs", "batch_size", "lr", "reg", "negatives", "negative_alpha", "seed")
    strategy_slots = ("sampler", "loss", "adjust")

    def __init__(
        self,
        dim: int = 64,
        epochs: int = 10,
        batch_size: int = 1024,
        lr: float = 0.005,
        reg: float = 1e-4,
        negatives: str = "uniform",
        negative_alpha: float = 0.75,
        seed: int = 0,
        device: str | None = None,
    ) -> None:
        self.dim = check_count(dim, "dim")
        self.epochs = check_count(epochs, "epochs")
        self.batch_size = check_count(batch_size, "batch_size")
        self.lr = check_positive(lr, "lr")
        if not reg >= 0:
            raise ValueError(f"reg must be >= 0, got {reg!r}")
        self.reg = float(reg)
        if negatives not in NEGATIVES:
            raise ValueError(f"negatives must be one of {', '.join(NEGATIVES)}, got {negatives!r}")
        self.negatives = negatives
        self.negative_alpha = check_positive(negative_alpha, "negative_alpha")
        self.seed = check_count(seed, "seed", minimum=0)
        self.device = pick_device(device)
        self.net_: Any = None
        self.loss_history_: list[float] = []
        self.negatives_used_: str | None = None

    def check_strategy(self, strategy: Any) -> None:
        """Also refuse loss pieces that BPR's pairwise loss has no counterpart for."""
        super().check_strategy(strategy)
        if strategy is not None and strategy.loss is not None and strategy.loss.name not in LOSS_PIECES:
            raise StrategyError(
                f"strategy '{strategy.name}': model 'bpr' has no counterpart for the {strategy.loss.name} loss; "
                f"it takes {' or '.join(LOSS_PIECES)}"
            )

    def _negative_sampler(self, how: str, counts: np.ndarray) -> Any:
        from longtail.sampling import PopularityNegativeSampler, UniformNegativeSampler

        if how == "popularity":
            return PopularityNegativeSampler(counts, alpha=self.negative_alpha)
        return UniformNegativeSampler(counts.size)

    def fit(
        self,
        user_idx: Any,
        item_idx: Any,
        n_users: int,
        n_items: int,
        strategy: Any = None,
        item_text_emb: Any = None,
        progress: bool = False,
    ) -> "BPRMF":
        """Train on the (user, item) pairs (``item_text_emb`` is unused: BPR sees IDs only)."""
        import torch
        import torch.nn.functional as F

        from longtail.models.recommend.networks import MatrixFactorization, ips_weights, train_epochs, weighted_mean
        from longtail.models.runtime import seeded_generator

        users, items, counts = self._begin_fit(user_idx, item_idx, n_users, n_items, strategy)
        generator = seeded_generator(self.seed)
        self.negatives_used_ = negatives_for(strategy, self.negatives)
        sampler = self._negative_sampler(self.negatives_used_, counts)
        positives = user_item_matrix(users, items, n_users, n_items)
        rng = np.random.default_rng(self.seed)
        self.net_ = MatrixFactorization(n_users, n_items, self.dim).to(self.device)
        weights = ips_weights(strategy, counts)
        weights = None if weights is None else weights.to(self.device)
        users_t = torch.tensor(users, device=self.device)
        items_t = torch.tensor(items, device=self.device)
        optimizer = torch.optim.Adam(self.net_.parameters(), lr=self.lr)

        def step(rows: np.ndarray) -> torch.Tensor:
            # Negatives are drawn among the items each user has not interacted with (Rendle et al.).
            j = torch.from_numpy(sampler.sample(users[rows], 1, seed=rng, exclude=positives)[:, 0]).to(self.device)
            rows = torch.from_numpy(rows).to(self.device)
            u, i = users_t[rows], items_t[rows]
            margin = self.net_.pair_scores(u, i) - self.net_.pair_scores(u, j)
            norms = self.net_.user(u).square().sum(-1) + self.net_.item(i).square().sum(-1) + self.net_.item(j).square().sum(-1)
            return weighted_mean(-F.logsigmoid(margin), None if weights is None else weights[i]) + self.reg * norms.mean()

        self.net_.train()
        self.loss_history_ = train_epochs(
            step, users.size, epochs=self.epochs, batch_size=self.batch_size, optimizer=optimizer,
            generator=generator, device=self.device, progress=progress, description="bpr",
        )
        self.net_.eval()
        return self

    def _score_batch(self, users: np.ndarray) -> Any:
        import torch

        with torch.no_grad():
            return self.net_.all_scores(torch.from_numpy(users).to(self.device))

    def to(self, device: str) -> "BPRMF":
        """Move the factors to ``device``; returns self."""
        self.device = pick_device(device)
        if self.net_ is not None:
            self.net_.to(self.device)
        return self

    def _tensors(self) -> dict[str, np.ndarray]:
        from longtail.models.recommend.networks import state_arrays

        return {f"net.{name}": value for name, value in state_arrays(self.net_).items()}

    def _load_tensors(self, tensors: dict[str, np.ndarray]) -> None:
        from longtail.models.recommend.networks import MatrixFactorization, load_state_arrays

        net = MatrixFactorization(self.n_users_, self.n_items_, self.dim)
        self.net_ = load_state_arrays(net, tensors, prefix="net.").to(self.device).eval()
