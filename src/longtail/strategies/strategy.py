"""A strategy: a named recipe of at most one sampler, loss, augmenter and adjuster."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from longtail.strategies.pieces import KINDS, SLOTS, BuildContext, StrategyError, piece_spec


def _format_value(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class Piece:
    """One slot of a strategy: a known piece name and its parameters."""

    name: str
    params: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise StrategyError(f"a piece name must be a non-empty string, got {self.name!r}")
        if not isinstance(self.params, Mapping) or not all(isinstance(key, str) for key in self.params):
            raise StrategyError(f"params of piece {self.name!r} must be a mapping with string keys")
        object.__setattr__(self, "params", dict(self.params))

    def __hash__(self) -> int:
        return hash((self.name, repr(sorted(self.params.items()))))

    @classmethod
    def coerce(cls, value: Any, slot: str) -> Piece | None:
        """A Piece from a Piece, a name, or a mapping ``{"name": ..., "params": {...}}``."""
        if value is None or isinstance(value, Piece):
            return value
        if isinstance(value, str):
            return cls(value)
        if isinstance(value, Mapping):
            extra = set(value) - {"name", "params"}
            if "name" not in value or extra:
                raise StrategyError(
                    f"{slot} must be a name or a mapping with 'name' and optional 'params', got keys {sorted(value)}"
                )
            return cls(value["name"], value.get("params") or {})
        raise StrategyError(f"{slot} must be a piece name, a mapping or a Piece, got {type(value).__name__}")

    def to_dict(self) -> dict:
        """``{"name": ..., "params": {...}}``."""
        return {"name": self.name, "params": dict(self.params)}

    def __str__(self) -> str:
        args = ", ".join(f"{key}={_format_value(value)}" for key, value in self.params.items())
        return f"{self.name}({args})" if args else self.name


@dataclass(frozen=True)
class Strategy:
    """A named remedy recipe; each slot is None or a :class:`Piece` naming a known piece.

    Slots may also be given as a piece name or ``{"name": ..., "params": {...}}``.
    Unknown pieces and parameters raise :class:`StrategyError` (a ValueError).
    """

    name: str
    description: str = ""
    sampler: Piece | None = None
    loss: Piece | None = None
    augment: Piece | None = None
    adjust: Piece | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip() or any(c.isspace() for c in self.name):
            raise StrategyError(f"strategy name must be a non-empty string without spaces, got {self.name!r}")
        if not isinstance(self.description, str):
            raise StrategyError(f"description of strategy {self.name!r} must be a string")
        for slot in SLOTS:
            piece = Piece.coerce(getattr(self, slot), slot)
            object.__setattr__(self, slot, piece)
            if piece is not None:
                spec = piece_spec(slot, piece.name)
                unknown = set(piece.params) - set(spec.defaults)
                if unknown:
                    accepted = ", ".join(spec.defaults) or "none"
                    raise StrategyError(
                        f"{slot} piece {piece.name!r} of strategy {self.name!r} takes no parameter(s) "
                        f"{', '.join(sorted(unknown))}; it takes: {accepted}"
                    )

    # -- description -----------------------------------------------------------------
    @property
    def pieces(self) -> dict[str, Piece]:
        """The filled slots, in slot order."""
        return {slot: getattr(self, slot) for slot in SLOTS if getattr(self, slot) is not None}

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds every piece applies to (all kinds for a strategy without pieces)."""
        allowed = set(KINDS)
        for slot, piece in self.pieces.items():
            allowed &= piece_spec(slot, piece.name).kinds
        return tuple(kind for kind in KINDS if kind in allowed)

    def applies_to(self, kind: str) -> bool:
        """Whether the strategy makes sense for a task of this kind (multiclass, binary, retrieval)."""
        if kind not in KINDS:
            raise StrategyError(f"kind {kind!r} is unknown; use one of {', '.join(KINDS)}")
        return kind in self.kinds

    def effective_params(self, slot: str) -> dict:
        """The parameters the slot's piece is built with: its defaults overridden by the strategy's."""
        piece = getattr(self, slot)
        if piece is None:
            return {}
        merged = {**piece_spec(slot, piece.name).defaults, **piece.params}
        return {key: value for key, value in merged.items() if value is not None}

    def slots_text(self) -> str:
        """One line naming the filled slots with their parameters, e.g. ``loss=focal(gamma=2.0)``."""
        parts = [f"{slot}={Piece(piece.name, self.effective_params(slot))}" for slot, piece in self.pieces.items()]
        return ", ".join(parts) or "-"

    def to_dict(self) -> dict:
        """A plain mapping that :meth:`from_dict` turns back into the same strategy."""
        out: dict[str, Any] = {"name": self.name, "description": self.description}
        out.update({slot: None if getattr(self, slot) is None else getattr(self, slot).to_dict() for slot in SLOTS})
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Strategy:
        """A strategy from a mapping (e.g. parsed YAML) with ``name``, ``description`` and slots."""
        if not isinstance(data, Mapping):
            raise StrategyError(f"a strategy must be a mapping, got {type(data).__name__}")
        extra = set(data) - {"name", "description", *SLOTS}
        if extra:
            raise StrategyError(
                f"strategy mapping has unknown key(s) {', '.join(sorted(extra))}; use name, description, {', '.join(SLOTS)}"
            )
        if "name" not in data:
            raise StrategyError("strategy mapping needs a 'name'")
        return cls(**{key: data[key] for key in ("name", "description", *SLOTS) if key in data})

    # -- parameters ----------------------------------------------------------------------
    def with_params(self, **overrides: Any) -> Strategy:
        """A copy with piece parameters replaced; ``slot.param`` names a slot when two pieces share a name."""
        params = {slot: dict(piece.params) for slot, piece in self.pieces.items()}
        for key, value in overrides.items():
            params[self._slot_for(key)][key.rpartition(".")[2]] = value
        changed = {slot: Piece(getattr(self, slot).name, new) for slot, new in params.items()}
        return dataclasses.replace(self, **changed)

    def _slot_for(self, key: str) -> str:
        slot, _, param = key.rpartition(".")
        candidates = [slot] if slot else list(self.pieces)
        found = [s for s in candidates if s in self.pieces and param in piece_spec(s, self.pieces[s].name).defaults]
        if len(found) == 1:
            return found[0]
        tunable = [f"{s}.{p}" for s, piece in self.pieces.items() for p in piece_spec(s, piece.name).defaults]
        if found:
            raise StrategyError(f"parameter {param!r} of strategy {self.name!r} is ambiguous; use one of {found[0]}.{param}, {found[1]}.{param}")
        raise StrategyError(
            f"strategy {self.name!r} has no parameter {key!r}; its parameters: {', '.join(tunable) or 'none'}"
        )

    # -- building --------------------------------------------------------------------------
    def _make(self, slot: str, ctx: BuildContext) -> Any:
        piece = getattr(self, slot)
        return None if piece is None else piece_spec(slot, piece.name).make(piece.params, ctx)

    def make_sampler(self, random_state: Any = None) -> Any:
        """The sampler (``fit_resample(X, y)``), or None."""
        return self._make("sampler", BuildContext(random_state=random_state))

    def make_loss(self, kind: str, class_counts: Any = None, item_counts: Any = None) -> Any:
        """The torch loss for a task of ``kind``.

        ``class_counts`` are the training counts per class ((negative, positive)
        for binary); ``item_counts`` the interactions per item index for
        retrieval (without them, ``logq`` estimates frequencies while training).
        Without a loss piece: cross-entropy (multiclass, binary) or the
        uncorrected in-batch softmax (retrieval).
        """
        if not self.applies_to(kind):
            raise StrategyError(
                f"strategy {self.name!r} does not apply to {kind} tasks; it applies to {', '.join(self.kinds) or 'none'}"
            )
        if self.loss is None:
            from longtail.losses import SampledSoftmaxLoss, WeightedCrossEntropy

            return SampledSoftmaxLoss(logq_correction=False) if kind == "retrieval" else WeightedCrossEntropy()
        return self._make("loss", BuildContext(kind=kind, class_counts=class_counts, item_counts=item_counts))

    @property
    def sample_weights_scheme(self) -> tuple[str, dict] | None:
        """``(scheme, params)`` for :func:`longtail.weights.class_weights` standing in for the loss, or None."""
        if self.loss is None:
            return None
        spec = piece_spec("loss", self.loss.name)
        return None if spec.weight_scheme is None else spec.weight_scheme({**spec.defaults, **self.loss.params})

    def class_weights(self, class_counts: Any) -> np.ndarray | None:
        """Per-class weights for models that take ``class_weight``/``sample_weight`` (scikit-learn, GBMs)."""
        scheme = self.sample_weights_scheme
        if scheme is None:
            return None
        from longtail.weights import class_weights

        return class_weights(class_counts, scheme[0], **scheme[1])

    def make_augmenter(self) -> Any:
        """The augmenter (a :class:`longtail.augment.TailAugmenter`), or None."""
        return self._make("augment", BuildContext())

    def make_adjuster(self, class_counts: Any = None, item_popularity: Any = None) -> Any:
        """The post-hoc adjuster, or None.

        ``class_counts`` gives a prior adjuster its training prior; with
        ``item_popularity`` the exposure re-ranker comes back already fitted.
        Others are fitted by the caller on validation scores.
        """
        return self._make("adjust", BuildContext(class_counts=class_counts, item_popularity=item_popularity))
