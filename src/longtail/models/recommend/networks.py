"""The torch parts of the recommenders: networks, the training loop, the strategy's loss weights.

Imported only when a torch model is fitted or loaded, so importing
``longtail.models.recommend`` does not import torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from longtail.models.runtime import minibatches, training_progress

#: exponent of the popularity-based propensity (n_i / max n)^eta used by IPS (Yang et al. 2018)
IPS_ETA = 0.5


def ips_weights(strategy: Any, item_counts: np.ndarray) -> torch.Tensor | None:
    """Per-item inverse propensities when the strategy's loss is IPS, else None.

    The propensity that an item is observed is estimated from its popularity,
    ``(n_i / max n)^eta``, and clipped from below at the strategy's ``clip``.
    """
    if strategy is None or strategy.loss is None or strategy.loss.name != "ips":
        return None
    clip = float(strategy.effective_params("loss")["clip"])
    counts = np.asarray(item_counts, dtype=np.float64)
    propensity = (counts / counts.max()) ** IPS_ETA
    return torch.from_numpy(1.0 / np.maximum(propensity, clip)).float()


def weighted_mean(losses: torch.Tensor, weights: torch.Tensor | None) -> torch.Tensor:
    """Plain mean, or the self-normalised weighted mean ``sum(w l) / sum(w)``."""
    if weights is None:
        return losses.mean()
    return (weights * losses).sum() / weights.sum()


def train_epochs(
    step: Callable[[np.ndarray], torch.Tensor],
    n_rows: int,
    *,
    epochs: int,
    batch_size: int,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    device: str,
    progress: bool,
    description: str,
) -> list[float]:
    """Run ``epochs`` passes of shuffled minibatches; ``step(rows)`` returns the loss of the batch's row indices.

    Returns the mean loss of each epoch.
    """
    n_batches = math.ceil(n_rows / batch_size)
    history = []
    with training_progress(epochs * n_batches, description, progress) as advance:
        for _ in range(epochs):
            total = torch.zeros((), device=device)
            for rows in minibatches(n_rows, batch_size, generator):
                loss = step(rows)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total += loss.detach()
                advance()
            history.append(float(total) / n_batches)
    return history


class TwoTowerNet(nn.Module):
    """User tower (ID embedding + optional features) and item tower (ID embedding gated with text).

    The item vector is ``g * id + (1 - g) * W text`` with a gate
    ``g = sigmoid(a log(1 + n_i) + b)`` on the item's training count ``n_i``:
    items with many interactions lean on their ID embedding, tail items on
    their text. Items never seen in training keep a zero ID embedding, so
    their vector is their projected text alone. Both towers' outputs are
    L2-normalised (scores are cosines).
    """

    def __init__(
        self,
        n_users: int,
        n_items: int,
        dim: int,
        item_counts: np.ndarray,
        text: np.ndarray | None = None,
        user_features: np.ndarray | None = None,
    ) -> None:
        super().__init__()
        self.user_id = nn.Embedding(n_users, dim)
        self.item_id = nn.Embedding(n_items, dim)
        nn.init.normal_(self.user_id.weight, std=0.1)
        nn.init.normal_(self.item_id.weight, std=0.1)
        with torch.no_grad():
            self.item_id.weight[torch.from_numpy(np.asarray(item_counts) == 0)] = 0.0
        self.register_buffer("log_count", torch.log1p(torch.as_tensor(np.asarray(item_counts), dtype=torch.float32)))
        self.user_proj = None
        if user_features is not None:
            self.register_buffer("user_x", torch.as_tensor(user_features, dtype=torch.float32))
            self.user_proj = nn.Linear(self.user_x.shape[1], dim, bias=False)
        self.text_proj = None
        if text is not None:
            self.register_buffer("text", torch.as_tensor(text, dtype=torch.float32))
            self.text_proj = nn.Linear(self.text.shape[1], dim)
            self.gate = nn.Linear(1, 1)
            with torch.no_grad():
                self.gate.weight.fill_(1.0)
                self.gate.bias.fill_(-1.0)

    def users(self, idx: torch.Tensor) -> torch.Tensor:
        """Normalised user vectors of the given user indices."""
        vec = self.user_id(idx)
        if self.user_proj is not None:
            vec = vec + self.user_proj(self.user_x[idx])
        return F.normalize(vec, dim=-1)

    def items(self, idx: torch.Tensor | None = None) -> torch.Tensor:
        """Normalised item vectors of the given item indices (all items when ``idx`` is None)."""
        if idx is None:
            idx = torch.arange(self.item_id.num_embeddings, device=self.item_id.weight.device)
        vec = self.item_id(idx)
        if self.text_proj is not None:
            gate = torch.sigmoid(self.gate(self.log_count[idx, None]))
            vec = gate * vec + (1 - gate) * self.text_proj(self.text[idx])
        return F.normalize(vec, dim=-1)


class MatrixFactorization(nn.Module):
    """``score(u, i) = <p_u, q_i> + b_i``: the model BPR trains."""

    def __init__(self, n_users: int, n_items: int, dim: int) -> None:
        super().__init__()
        self.user = nn.Embedding(n_users, dim)
        self.item = nn.Embedding(n_items, dim)
        self.bias = nn.Embedding(n_items, 1)
        nn.init.normal_(self.user.weight, std=0.1)
        nn.init.normal_(self.item.weight, std=0.1)
        nn.init.zeros_(self.bias.weight)

    def pair_scores(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Score of each (user, item) pair; ``items`` may be (B,) or (B, n) for n items per user."""
        p = self.user(users)
        if items.ndim == 2:
            return torch.einsum("bd,bnd->bn", p, self.item(items)) + self.bias(items).squeeze(-1)
        return (p * self.item(items)).sum(-1) + self.bias(items).squeeze(-1)

    def all_scores(self, users: torch.Tensor) -> torch.Tensor:
        """Scores of the given users against every item, (len(users), n_items)."""
        return self.user(users) @ self.item.weight.T + self.bias.weight.T


def state_arrays(module: nn.Module) -> dict[str, np.ndarray]:
    """Parameters and buffers of ``module`` as numpy arrays (for safetensors)."""
    return {name: value.detach().cpu().numpy() for name, value in module.state_dict().items()}


def load_state_arrays(module: nn.Module, arrays: dict[str, np.ndarray], prefix: str = "") -> nn.Module:
    """Load arrays written by :func:`state_arrays` (keys optionally prefixed) into ``module``."""
    state = {name[len(prefix):]: torch.from_numpy(np.array(value)) for name, value in arrays.items() if name.startswith(prefix)}
    module.load_state_dict(state)
    return module
