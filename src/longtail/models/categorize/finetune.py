"""FineTunedClassifier: the transformer text encoder and a linear head, trained end to end."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from longtail.models.categorize.base import CategoryClassifier, check_number
from longtail.models.categorize.remedies import remedy_texts
from longtail.models.categorize.tfidf import as_texts
from longtail.models.persist import register_model
from longtail.models.runtime import pick_device

# rows scored at a time when predicting (no gradients, so larger than training batches)
PREDICT_BATCH = 256


@register_model
class FineTunedClassifier(CategoryClassifier):
    """Mean-pooled transformer features + a linear head, fine-tuned with AdamW.

    ``model``: None for the packaged all-MiniLM-L6-v2 or a local model folder;
    ``encoder_config`` (a dict of BERT config fields) builds a randomly
    initialised encoder instead (small ones make fast tests). The encoder
    learns at ``lr`` and the head at ``head_lr``, both with linear warm-up
    over ``warmup_fraction`` of the steps and linear decay; gradients are
    clipped at norm 1. On CUDA with ``mixed_precision`` the forward pass
    runs in bf16. Strategy slots: loss as in :class:`EmbeddingClassifier`
    (LDAM on a cosine head), samplers pick rows by index (random
    over/under), augmenters must rewrite text, adjusters are fitted on a
    validation slice.
    """

    __module__ = "longtail.models.categorize"
    model_name = "finetune"
    param_names = (
        "model", "encoder_config", "epochs", "lr", "head_lr", "batch_size", "max_length", "warmup_fraction",
        "weight_decay", "mixed_precision", "valid_fraction", "seed",
    )

    def __init__(
        self,
        model: str | None = None,
        encoder_config: dict[str, Any] | None = None,
        epochs: int = 3,
        lr: float = 5e-5,
        head_lr: float = 1e-3,
        batch_size: int = 32,
        max_length: int = 64,
        warmup_fraction: float = 0.1,
        weight_decay: float = 0.01,
        mixed_precision: bool = True,
        valid_fraction: float = 0.15,
        seed: int = 0,
        device: str | None = None,
    ) -> None:
        if model is not None and encoder_config is not None:
            raise ValueError("give model (pretrained weights) or encoder_config (random weights), not both")
        if encoder_config is not None and not isinstance(encoder_config, dict):
            raise ValueError(f"encoder_config must be a dict of BERT config fields, got {type(encoder_config).__name__}")
        self.model = None if model is None else str(model)
        self.encoder_config = encoder_config
        self.epochs = check_number(epochs, "epochs", minimum=1, integer=True)
        self.lr = check_number(lr, "lr", open_low=True)
        self.head_lr = check_number(head_lr, "head_lr", open_low=True)
        self.batch_size = check_number(batch_size, "batch_size", minimum=1, integer=True)
        self.max_length = check_number(max_length, "max_length", minimum=2, integer=True)
        self.warmup_fraction = check_number(warmup_fraction, "warmup_fraction")
        if self.warmup_fraction >= 1:
            raise ValueError(f"warmup_fraction must be below 1, got {warmup_fraction!r}")
        self.weight_decay = check_number(weight_decay, "weight_decay")
        self.mixed_precision = bool(mixed_precision)
        self.valid_fraction = check_number(valid_fraction, "valid_fraction", open_low=True)
        self.seed = check_number(seed, "seed", integer=True)
        self.device = pick_device(device)
        self.encoder_: Any = None
        self.head_: Any = None
        self.logit_scale_ = 1.0
        self.loss_history_: list[float] = []

    # --------------------------------------------------------------- encoder
    def _tokenizer_dir(self) -> Any:
        from longtail.encoders import packaged_model_dir, resolve_model

        return packaged_model_dir() if self.model is None else resolve_model(self.model).folder

    def _new_encoder(self, config: dict[str, Any] | None = None) -> Any:
        """The encoder: pretrained weights, or random ones from ``config`` (weights loaded afterwards)."""
        from longtail.encoders import TransformerEncoder

        options = {"device": self.device, "dtype": "fp32", "cache_dir": False, "max_length": self.max_length}
        if config is not None:
            return TransformerEncoder.from_config(config, tokenizer_dir=self._tokenizer_dir(), seed=self.seed, **options)
        if self.encoder_config is not None:
            return TransformerEncoder.from_config(self.encoder_config, seed=self.seed, **options)
        return TransformerEncoder(self.model, **options)

    def _features(self, texts: list[str]) -> Any:
        from longtail.models.categorize.heads import autocast

        ids, mask = self.encoder_.tokenize(texts)
        with autocast(self.device, self.mixed_precision):
            pooled = self.encoder_.forward_features(ids, mask)
        return pooled.float()

    # --------------------------------------------------------------- fitting
    def fit(self, texts: Any, y: Any, strategy: Any = None, progress: bool = False) -> "FineTunedClassifier":
        """Fine-tune on product texts and their category labels with ``strategy``'s remedies."""
        texts = as_texts(texts)

        def train(rows: np.ndarray, codes: np.ndarray) -> np.ndarray:
            chosen, codes = remedy_texts(strategy, [texts[i] for i in rows], codes, self.model_name, self.seed)
            self._train(chosen, codes, strategy, progress)
            return np.bincount(codes, minlength=self.classes_.size)

        self._fit_with_strategy(y, len(texts), strategy, train, lambda rows: self._raw_logits([texts[i] for i in rows]))
        return self

    def _train(self, texts: list[str], codes: np.ndarray, strategy: Any, progress: bool) -> None:
        import torch

        from longtail.models.categorize.heads import make_head, make_loss, run_epochs, warmup_linear_schedule
        from longtail.models.runtime import seeded_generator

        generator = seeded_generator(self.seed)
        self.encoder_ = self._new_encoder()
        loss_fn, self.logit_scale_ = make_loss(strategy, np.bincount(codes, minlength=self.classes_.size))
        loss_fn = loss_fn.to(self.device)
        self.head_ = make_head(self.encoder_.dim, self.classes_.size, cosine=self.logit_scale_ != 1.0).to(self.device)
        optimizer = torch.optim.AdamW(
            [{"params": self.encoder_.model.parameters(), "lr": self.lr},
             {"params": self.head_.parameters(), "lr": self.head_lr}],
            weight_decay=self.weight_decay,
        )
        total_steps = self.epochs * math.ceil(len(texts) / self.batch_size)
        scheduler = warmup_linear_schedule(optimizer, max(1, round(self.warmup_fraction * total_steps)), total_steps)
        targets = torch.from_numpy(codes).to(self.device)

        def batch_loss(rows: np.ndarray) -> torch.Tensor:
            logits = self.head_(self._features([texts[i] for i in rows]))
            return loss_fn(logits, targets[torch.from_numpy(rows).to(self.device)])

        self.encoder_.model.train()
        self.head_.train()
        try:
            self.loss_history_ = run_epochs(
                batch_loss, len(texts), epochs=self.epochs, batch_size=self.batch_size, optimizer=optimizer,
                loss_fn=loss_fn, generator=generator, progress=progress, description=self.model_name,
                scheduler=scheduler, clip_norm=1.0,
            )
        finally:
            self.encoder_.model.eval()
            self.head_.eval()

    def _raw_logits(self, texts: Any) -> np.ndarray:
        import torch

        texts = as_texts(texts)
        # Scoring texts of similar length together keeps padding small.
        order = np.argsort([len(text) for text in texts], kind="stable")
        out = np.empty((len(texts), self.classes_.size), dtype=np.float64)
        with torch.no_grad():
            for start in range(0, len(texts), PREDICT_BATCH):
                rows = order[start : start + PREDICT_BATCH]
                logits = self.head_(self._features([texts[i] for i in rows])) * self.logit_scale_
                out[rows] = logits.double().cpu().numpy()
        return out

    # ---------------------------------------------------------- persistence
    def to(self, device: str) -> "FineTunedClassifier":
        """Move encoder and head to ``device``; returns self."""
        self.device = pick_device(device)
        if self.encoder_ is not None:
            import torch

            self.encoder_.model.to(self.device)
            self.encoder_.device = torch.device(self.device)
            self.head_.to(self.device)
        return self

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        from longtail.models.recommend.networks import state_arrays

        config = self.encoder_.model.config.to_dict()
        tensors = {f"encoder.{k}": v for k, v in state_arrays(self.encoder_.model).items()}
        tensors.update({f"head.{k}": v for k, v in state_arrays(self.head_).items()})
        return {"encoder": config, "logit_scale": self.logit_scale_}, tensors

    def _load_state(self, config: dict[str, Any], tensors: dict[str, np.ndarray]) -> None:
        from longtail.models.categorize.heads import make_head
        from longtail.models.recommend.networks import load_state_arrays

        self.logit_scale_ = float(config["logit_scale"])
        self.encoder_ = self._new_encoder(config["encoder"])
        load_state_arrays(self.encoder_.model, tensors, prefix="encoder.").eval()
        head = make_head(self.encoder_.dim, self.classes_.size, cosine=self.logit_scale_ != 1.0)
        self.head_ = load_state_arrays(head, tensors, prefix="head.").to(self.device).eval()
