"""DeepFM: will an impression be clicked or bought, from id fields and the item's text."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from longtail.models.ctr.binary import BinaryModel, check_item_field, check_text, row_propensity
from longtail.models.ctr.fields import FieldCodes
from longtail.models.persist import register_model
from longtail.models.recommend.base import check_count, check_positive
from longtail.models.runtime import pick_device

PREDICT_BATCH = 65_536


@contextmanager
def deterministic_torch() -> Iterator[None]:
    """Deterministic torch kernels for the duration, restoring the caller's setting."""
    import torch

    before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before)


@register_model
class DeepFM(BinaryModel):
    """DeepFM (Guo et al. 2017) for impressions; ``deep=False`` is a plain factorisation machine.

    ``X`` holds one column of codes per field (user, item, category, region,
    hour, ...; 0 = unknown). Codes seen fewer than ``min_count`` times in
    training share their field's OOV row (see
    :class:`~longtail.models.ctr.fields.FieldCodes`). With ``item_text`` the
    item's text vector (row = the item code in column ``item_field``) is
    projected into the embedding space as one more field, so unseen and tail
    items are scored by their text.

    The strategy's slots act as follows: ``sampler`` resamples the training
    rows (random over / under only); ``loss`` is the strategy's binary loss
    built from the (negative, positive) counts (IPS takes ``propensity``, or
    item popularity from ``item_field``); ``adjust`` is fitted on
    ``valid`` (or a seeded 10% of the training rows) after training.
    """

    __module__ = "longtail.models.ctr"
    model_name = "deepfm"
    param_names = ("dim", "hidden", "dropout", "deep", "epochs", "batch_size", "lr", "weight_decay", "min_count", "seed")

    def __init__(
        self,
        dim: int = 16,
        hidden: tuple[int, ...] = (64, 32),
        dropout: float = 0.1,
        deep: bool = True,
        epochs: int = 5,
        batch_size: int = 1024,
        lr: float = 0.005,
        weight_decay: float = 1e-6,
        min_count: int = 2,
        seed: int = 0,
        device: str | None = None,
    ) -> None:
        self.dim = check_count(dim, "dim")
        self.hidden = tuple(check_count(h, "hidden") for h in hidden)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.dropout = float(dropout)
        self.deep = bool(deep)
        self.epochs = check_count(epochs, "epochs")
        self.batch_size = check_count(batch_size, "batch_size")
        self.lr = check_positive(lr, "lr")
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
        self.weight_decay = float(weight_decay)
        self.min_count = check_count(min_count, "min_count")
        self.seed = check_count(seed, "seed", minimum=0)
        self.device = pick_device(device)
        self.net_: Any = None
        self.codes_: FieldCodes | None = None
        self.item_field_: int | None = None
        self.loss_history_: list[float] = []

    def fit(
        self,
        X: Any,
        y: Any,
        *,
        strategy: Any = None,
        item_text: Any = None,
        item_field: int | None = None,
        propensity: Any = None,
        valid: tuple[Any, Any] | None = None,
        progress: bool = False,
    ) -> "DeepFM":
        """Train on field codes ``X`` (n, F) and 0/1 labels ``y``.

        ``item_text`` (n_item_codes, d) are the items' text vectors indexed by
        the codes in column ``item_field``; ``propensity`` (n,) the chance each
        row was logged (for IPS); ``valid`` = (X, y) rows for the adjust slot.
        """
        import torch

        from longtail.models.ctr.network import DeepFMNet
        from longtail.models.recommend.networks import train_epochs
        from longtail.models.runtime import seeded_generator

        rows = self._begin_fit(X, y, strategy, propensity, valid)
        self.item_field_ = check_item_field(item_field, rows.X.shape[1])
        text = check_text(item_text, self.item_field_)
        self.codes_ = FieldCodes.fit(rows.X, self.min_count)
        generator = seeded_generator(self.seed)
        self.net_ = DeepFMNet(self.codes_.sizes, self.dim, self.hidden, self.dropout, self.deep, text).to(self.device)
        loss_fn, ips = self._loss(strategy, rows.counts)
        codes, text_rows = self._inputs(rows.X)
        target = torch.as_tensor(rows.y, dtype=torch.float32, device=self.device)
        weight = torch.as_tensor(row_propensity(rows, self.item_field_), dtype=torch.float32, device=self.device) if ips else None

        def step(batch: torch.Tensor) -> torch.Tensor:
            logits = self.net_(codes[batch], None if text_rows is None else text_rows[batch])
            if weight is not None:
                return loss_fn(logits, target[batch], weight[batch])
            return loss_fn(logits, target[batch])

        optimizer = torch.optim.Adam(self.net_.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        self.net_.train()
        with deterministic_torch():
            self.loss_history_ = train_epochs(
                step, rows.y.size, epochs=self.epochs, batch_size=self.batch_size, optimizer=optimizer,
                generator=generator, device=self.device, progress=progress, description=self.model_name,
            )
        self.net_.eval()
        self._finish_fit(strategy, rows)
        return self

    @staticmethod
    def _loss(strategy: Any, counts: np.ndarray) -> tuple[Any, bool]:
        """The training loss and whether it takes propensities."""
        from longtail.losses import IPSLoss, WeightedCrossEntropy

        loss = WeightedCrossEntropy() if strategy is None else strategy.make_loss("binary", class_counts=counts)
        return loss, isinstance(loss, IPSLoss)

    def _inputs(self, X: np.ndarray) -> tuple[Any, Any]:
        """Embedding rows and item text rows of ``X`` as tensors on the model's device."""
        import torch

        codes = torch.as_tensor(self.codes_.transform(X), device=self.device)
        if self.net_.text_proj is None:
            return codes, None
        n_text = self.net_.text.shape[0] - 1
        items = X[:, self.item_field_]
        text_rows = np.where(items < n_text, items, n_text)
        return codes, torch.as_tensor(text_rows, device=self.device)

    def _raw_logits(self, X: np.ndarray) -> np.ndarray:
        import torch

        if self.net_ is None:
            raise ValueError("DeepFM is not fitted; call fit(X, y) first")
        out = []
        with torch.no_grad():
            for start in range(0, X.shape[0], PREDICT_BATCH):
                codes, text_rows = self._inputs(X[start : start + PREDICT_BATCH])
                out.append(self.net_(codes, text_rows).double().cpu().numpy())
        return np.concatenate(out) if out else np.zeros(0)

    def to(self, device: str) -> "DeepFM":
        """Move the network to ``device``; returns self."""
        self.device = pick_device(device)
        if self.net_ is not None:
            self.net_.to(self.device)
        return self

    # -------------------------------------------------------------- persistence
    def _export(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        from longtail.models.recommend.networks import state_arrays

        config = {
            "params": {**self.get_params(), "hidden": list(self.hidden)},
            "n_fields": self.codes_.n_fields,
            "item_field": self.item_field_,
            **self._export_base(),
        }
        tensors = {**self.codes_.to_tensors(), **{f"net.{k}": v for k, v in state_arrays(self.net_).items()}}
        return config, tensors

    @classmethod
    def _restore(cls, config: dict[str, Any], tensors: dict[str, np.ndarray]) -> "DeepFM":
        from longtail.models.ctr.network import DeepFMNet
        from longtail.models.recommend.networks import load_state_arrays

        params = dict(config["params"])
        params["hidden"] = tuple(params["hidden"])
        model = cls(**params, device="cpu")
        model.codes_ = FieldCodes.from_tensors(tensors, int(config["n_fields"]))
        model.item_field_ = config["item_field"]
        text = tensors.get("net.text")
        net = DeepFMNet(model.codes_.sizes, model.dim, model.hidden, model.dropout, model.deep, text)
        model.net_ = load_state_arrays(net, tensors, prefix="net.").eval()
        model._restore_base(config)
        return model
