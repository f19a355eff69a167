"""EmbeddingClassifier: a linear or MLP head trained on frozen text-encoder embeddings."""

from __future__ import annotations

from typing import Any

import numpy as np

from longtail.models.categorize.base import CategoryClassifier, check_number
from longtail.models.categorize.remedies import remedy_vectors
from longtail.models.persist import register_model
from longtail.models.runtime import pick_device


def as_matrix(X: Any, name: str = "X") -> np.ndarray:
    """``X`` as a finite 2-D float32 array; ValueError otherwise."""
    arr = np.asarray(X, dtype=np.float32)
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise ValueError(f"{name} must be a 2-D array (n_rows, dim) of embeddings, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} holds NaN or infinite values; embed every text (an empty title gives a valid vector)")
    return arr


@register_model
class EmbeddingClassifier(CategoryClassifier):
    """A torch head on frozen encoder embeddings (``hidden=0``: linear; ``> 0``: one hidden ReLU layer).

    Trained with AdamW on the strategy's loss (cross-entropy without one;
    LDAM gets a cosine output layer and its deferred re-weighting per
    epoch). Before training, the strategy's augmenter adds rows for rare
    classes (vector noise / SMOTE in embedding space, or a text augmenter
    whose texts are embedded with ``embed``) and its sampler resamples the
    vectors (SMOTE included). A post-hoc adjuster is fitted on a validation
    slice of the training rows. Deterministic on CPU for a seed.
    """

    __module__ = "longtail.models.categorize"
    model_name = "embedding"
    param_names = ("hidden", "dropout", "epochs", "lr", "weight_decay", "batch_size", "valid_fraction", "seed")

    def __init__(
        self,
        hidden: int = 0,
        dropout: float = 0.1,
        epochs: int = 40,
        lr: float = 3e-3,
        weight_decay: float = 1e-4,
        batch_size: int = 128,
        valid_fraction: float = 0.15,
        seed: int = 0,
        device: str | None = None,
    ) -> None:
        self.hidden = check_number(hidden, "hidden", integer=True)
        self.dropout = check_number(dropout, "dropout")
        if self.dropout >= 1:
            raise ValueError(f"dropout must be below 1, got {dropout!r}")
        self.epochs = check_number(epochs, "epochs", minimum=1, integer=True)
        self.lr = check_number(lr, "lr", open_low=True)
        self.weight_decay = check_number(weight_decay, "weight_decay")
        self.batch_size = check_number(batch_size, "batch_size", minimum=1, integer=True)
        self.valid_fraction = check_number(valid_fraction, "valid_fraction", open_low=True)
        self.seed = check_number(seed, "seed", integer=True)
        self.device = pick_device(device)
        self.model_name = "embedding-mlp" if self.hidden else "embedding-linear"
        self.net_: Any = None
        self.dim_: int | None = None
        self.logit_scale_ = 1.0
        self.loss_history_: list[float] = []

    def fit(
        self,
        X: Any,
        y: Any,
        strategy: Any = None,
        *,
        texts: list[str] | None = None,
        embed: Any = None,
        progress: bool = False,
    ) -> "EmbeddingClassifier":
        """Fit on embeddings ``X`` (n, dim) and labels ``y``.

        ``texts`` (aligned with ``X``) and ``embed`` (texts -> embeddings) are
        needed only by strategies with a text augmenter.
        """
        X = as_matrix(X)
        if texts is not None and len(texts) != X.shape[0]:
            raise ValueError(f"texts has {len(texts)} entries but X has {X.shape[0]} rows; pass one text per row")

        def train(rows: np.ndarray, codes: np.ndarray) -> np.ndarray:
            chosen = None if texts is None else [texts[i] for i in rows]
            X_fit, codes = remedy_vectors(strategy, X[rows], codes, self.seed, chosen, embed, self.model_name)
            self._train(X_fit, codes, strategy, progress)
            return np.bincount(codes, minlength=self.classes_.size)

        self._fit_with_strategy(y, X.shape[0], strategy, train, lambda rows: self._raw_logits(X[rows]))
        return self

    def _train(self, X: np.ndarray, codes: np.ndarray, strategy: Any, progress: bool) -> None:
        import torch

        from longtail.models.categorize.heads import make_head, make_loss, run_epochs
        from longtail.models.runtime import seeded_generator

        generator = seeded_generator(self.seed)
        self.dim_ = int(X.shape[1])
        loss_fn, self.logit_scale_ = make_loss(strategy, np.bincount(codes, minlength=self.classes_.size))
        loss_fn = loss_fn.to(self.device)
        cosine = self.logit_scale_ != 1.0
        self.net_ = make_head(X.shape[1], self.classes_.size, self.hidden, self.dropout, cosine).to(self.device)
        inputs = torch.from_numpy(X).to(self.device)
        targets = torch.from_numpy(codes).to(self.device)
        optimizer = torch.optim.AdamW(self.net_.parameters(), lr=self.lr, weight_decay=self.weight_decay)

        def batch_loss(rows: np.ndarray) -> torch.Tensor:
            index = torch.from_numpy(rows).to(self.device)
            return loss_fn(self.net_(inputs[index]), targets[index])

        self.net_.train()
        self.loss_history_ = run_epochs(
            batch_loss, X.shape[0], epochs=self.epochs, batch_size=self.batch_size, optimizer=optimizer,
            loss_fn=loss_fn, generator=generator, progress=progress, description=self.model_name,
        )
        self.net_.eval()

    def _raw_logits(self, X: Any) -> np.ndarray:
        import torch

        X = as_matrix(X)
        with torch.no_grad():
            logits = self.net_(torch.from_numpy(X).to(self.device)) * self.logit_scale_
        return logits.double().cpu().numpy()

    # ---------------------------------------------------------- persistence
    def to(self, device: str) -> "EmbeddingClassifier":
        """Move the head to ``device``; returns self."""
        self.device = pick_device(device)
        if self.net_ is not None:
            self.net_.to(self.device)
        return self

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        from longtail.models.recommend.networks import state_arrays

        state = {"dim": self.dim_, "logit_scale": self.logit_scale_}
        return state, {f"net.{name}": value for name, value in state_arrays(self.net_).items()}

    def _load_state(self, config: dict[str, Any], tensors: dict[str, np.ndarray]) -> None:
        from longtail.models.categorize.heads import make_head
        from longtail.models.recommend.networks import load_state_arrays

        self.logit_scale_, self.dim_ = float(config["logit_scale"]), int(config["dim"])
        net = make_head(config["dim"], self.classes_.size, self.hidden, self.dropout, self.logit_scale_ != 1.0)
        self.net_ = load_state_arrays(net, tensors, prefix="net.").to(self.device).eval()
