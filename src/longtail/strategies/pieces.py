"""The table of known pieces: what each slot name builds, for which kinds, with which parameters.

Implementations are imported only when a piece is built, so this table (and
the registry) imports without torch and without the remedy packages.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from longtail.errors import LongtailError

SLOTS = ("sampler", "loss", "augment", "adjust")
KINDS = ("multiclass", "binary", "retrieval")
CLASSIFICATION = frozenset({"multiclass", "binary"})


class StrategyError(LongtailError, ValueError):
    """A strategy, piece or parameter that does not exist or does not fit.

    Both a :class:`LongtailError` (the CLI shows it as one line) and a
    ``ValueError`` (a bad argument to a library call).
    """


@dataclass(frozen=True)
class BuildContext:
    """What a piece may need besides its parameters, given by the caller of ``make_*``."""

    kind: str | None = None
    class_counts: Any = None
    item_counts: Any = None
    item_popularity: Any = None
    random_state: Any = None

    def require(self, what: str, piece: str) -> Any:
        """The value of ``what``, or a StrategyError saying the piece needs it."""
        value = getattr(self, what)
        if value is None:
            raise StrategyError(f"piece {piece!r} needs {what}; pass {what}= when building it")
        return value


Builder = Callable[[dict, BuildContext], Any]


@dataclass(frozen=True)
class PieceSpec:
    """A named implementation for one slot.

    ``defaults`` lists every parameter the piece takes with its default;
    a parameter left at None is not passed, so the implementation's own
    default applies. ``weight_scheme`` maps the parameters to the
    ``(scheme, params)`` of :func:`longtail.weights.class_weights` that
    approximates the piece for models without a torch loss.
    """

    slot: str
    name: str
    build: Builder
    kinds: frozenset[str]
    description: str
    defaults: Mapping[str, Any] = field(default_factory=dict)
    weight_scheme: Callable[[dict], tuple[str, dict] | None] | None = None

    def make(self, params: Mapping[str, Any], ctx: BuildContext) -> Any:
        """Build the implementation with ``params`` over the defaults."""
        merged = {**self.defaults, **params}
        return self.build({key: value for key, value in merged.items() if value is not None}, ctx)


def resolve(module: str, attribute: str, piece: str) -> Any:
    """``module.attribute``, imported now; a StrategyError if it is not there."""
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError) as exc:
        raise StrategyError(
            f"piece {piece!r} needs {module}.{attribute}, which cannot be imported ({exc}); "
            "install the package's extras (e.g. pip install 'longtail[torch]')"
        ) from exc


def _sampler(attribute: str, piece: str) -> Builder:
    def build(params: dict, ctx: BuildContext) -> Any:
        sampler = resolve("longtail.sampling", attribute, piece)
        # Deterministic samplers (e.g. Tomek links) take no random_state.
        if "random_state" in inspect.signature(sampler).parameters:
            params = {**params, "random_state": ctx.random_state}
        return sampler(**params)

    return build


def _interaction_sampler(attribute: str, piece: str, count: str) -> Builder:
    # The piece's default is a quantile so that it adapts to the log's size; a fixed count replaces it.
    def build(params: dict, ctx: BuildContext) -> Any:
        if count in params and "quantile" in params:
            raise StrategyError(
                f"piece {piece!r} takes {count} or quantile, not both; set quantile to null (None) to use {count}"
            )
        return _sampler(attribute, piece)(params, ctx)

    return build


def _loss(attribute: str, piece: str, needs: tuple[str, ...] = ()) -> Builder:
    def build(params: dict, ctx: BuildContext) -> Any:
        counts = [ctx.require(what, piece) for what in needs]
        return resolve("longtail.losses", attribute, piece)(*counts, **params)

    return build


def _weighted_ce(params: dict, ctx: BuildContext) -> Any:
    loss = resolve("longtail.losses", "WeightedCrossEntropy", "weighted-ce")
    return loss.from_counts(ctx.require("class_counts", "weighted-ce"), **params)


def _ips(params: dict, ctx: BuildContext) -> Any:
    if ctx.kind == "retrieval":
        # Retrieval has no standalone IPS loss: the models weight their own loss per positive item.
        raise StrategyError(
            "piece 'ips' has no retrieval loss of its own: the two-tower and BPR recommenders weight their "
            "in-batch softmax / BPR loss by inverse item propensity (longtail.models.recommend.networks.ips_weights)"
        )
    return resolve("longtail.losses", "IPSLoss", "ips")(**params)


def _sampled_softmax(params: dict, ctx: BuildContext) -> Any:
    return resolve("longtail.losses", "SampledSoftmaxLoss", "sampled-softmax")(ctx.item_counts, **params)


def _tail_augmenter(attribute: str, piece: str, inner_params: tuple[str, ...]) -> Builder:
    def build(params: dict, ctx: BuildContext) -> Any:
        inner = resolve("longtail.augment", attribute, piece)(**{k: params.pop(k) for k in inner_params if k in params})
        return resolve("longtail.augment", "TailAugmenter", piece)(inner, **params)

    return build


def _adjuster(attribute: str, piece: str) -> Builder:
    def build(params: dict, ctx: BuildContext) -> Any:
        return resolve("longtail.adjust", attribute, piece)(**params)

    return build


def _logit_adjuster(params: dict, ctx: BuildContext) -> Any:
    adjuster = resolve("longtail.adjust", "LogitAdjuster", "logit-adjuster")
    # a class absent from training must not make log(prior) infinite
    params.setdefault("smoothing", 1.0)
    return adjuster(**params, prior=ctx.class_counts)


def _exposure_reranker(params: dict, ctx: BuildContext) -> Any:
    fit_params = {key: params.pop(key) for key in ("head_share", "by") if key in params}
    reranker = resolve("longtail.adjust", "ExposureReranker", "exposure-rerank")(**params)
    if ctx.item_popularity is not None:
        reranker.fit(ctx.item_popularity, **fit_params)
    return reranker


def _weighted_ce_scheme(params: dict) -> tuple[str, dict]:
    return params["scheme"], ({} if params.get("beta") is None else {"beta": params["beta"]})


def _effective_number_scheme(params: dict) -> tuple[str, dict]:
    return "effective_number", {"beta": params["beta"]}


_BUILTIN_PIECES = (
    # samplers (longtail.sampling): rebalance the training rows
    PieceSpec("sampler", "random-over", _sampler("RandomOverSampler", "random-over"), CLASSIFICATION,
              "duplicate minority rows at random", {"sampling_strategy": "auto", "shrinkage": None}),
    PieceSpec("sampler", "random-under", _sampler("RandomUnderSampler", "random-under"), CLASSIFICATION,
              "drop majority rows at random", {"sampling_strategy": "auto", "replacement": False}),
    PieceSpec("sampler", "smote", _sampler("SMOTE", "smote"), CLASSIFICATION,
              "interpolate new minority rows between neighbours",
              {"sampling_strategy": "auto", "k_neighbors": 5, "search": "exact", "device": None}),
    PieceSpec("sampler", "borderline-smote", _sampler("BorderlineSMOTE", "borderline-smote"), CLASSIFICATION,
              "SMOTE seeded from rows on the class border",
              {"sampling_strategy": "auto", "k_neighbors": 5, "m_neighbors": 10, "kind": "borderline-1",
               "search": "exact", "device": None}),
    PieceSpec("sampler", "adasyn", _sampler("ADASYN", "adasyn"), CLASSIFICATION,
              "more synthetic rows where the class is hardest to learn",
              {"sampling_strategy": "auto", "n_neighbors": 5, "search": "exact", "device": None}),
    PieceSpec("sampler", "tomek-links", _sampler("TomekLinks", "tomek-links"), CLASSIFICATION,
              "drop majority rows of Tomek links (cross-class nearest pairs)",
              {"sampling_strategy": "auto", "device": None}),
    # interaction samplers (longtail.sampling.interactions): rebalance the training pairs of a recommender
    PieceSpec("sampler", "popularity-under", _interaction_sampler("PopularityUnderSampler", "popularity-under",
                                                                  "max_per_item"), frozenset({"retrieval"}),
              "cap each item's training pairs at a quantile of the per-item counts",
              {"quantile": 0.9, "max_per_item": None}),
    PieceSpec("sampler", "tail-over", _interaction_sampler("TailOverSampler", "tail-over", "min_per_item"),
              frozenset({"retrieval"}), "repeat tail items' training pairs up to a quantile of the per-item counts",
              {"quantile": 0.8, "min_per_item": None}),
    # losses (longtail.losses)
    PieceSpec("loss", "weighted-ce", _weighted_ce, CLASSIFICATION,
              "cross-entropy with class weights", {"scheme": "balanced", "beta": None}, _weighted_ce_scheme),
    PieceSpec("loss", "focal", _loss("FocalLoss", "focal"), CLASSIFICATION,
              "focal loss", {"gamma": 2.0, "alpha": None}),
    PieceSpec("loss", "class-balanced", _loss("ClassBalancedLoss", "class-balanced", ("class_counts",)),
              CLASSIFICATION, "loss weighted by inverse effective number",
              {"beta": 0.999, "base": "focal", "gamma": 2.0}, _effective_number_scheme),
    PieceSpec("loss", "logit-adjusted", _loss("LogitAdjustedLoss", "logit-adjusted", ("class_counts",)),
              CLASSIFICATION, "cross-entropy of logits + tau log prior", {"tau": 1.0}),
    PieceSpec("loss", "balanced-softmax", _loss("BalancedSoftmaxLoss", "balanced-softmax", ("class_counts",)),
              frozenset({"multiclass"}), "softmax of logits + log class count"),
    PieceSpec("loss", "ldam", _loss("LDAMLoss", "ldam", ("class_counts",)), frozenset({"multiclass"}),
              "class margins ~ n^-1/4 with deferred re-weighting",
              {"max_margin": 0.5, "s": 30.0, "drw_start_epoch": None, "drw_start_fraction": None, "beta": 0.9999}),
    PieceSpec("loss", "sampled-softmax", _sampled_softmax, frozenset({"retrieval"}),
              "in-batch softmax with logQ correction",
              {"logq_correction": True, "temperature": 1.0, "mask_duplicates": True}),
    PieceSpec("loss", "ips", _ips, frozenset({"binary", "retrieval"}),
              "inverse-propensity-weighted loss (cross-entropy; in-batch softmax or BPR for retrieval)", {"clip": 0.05}),
    # augmenters (longtail.augment): new rows for rare labels
    PieceSpec("augment", "tail-noise", _tail_augmenter("GaussianNoise", "tail-noise", ("scale",)), CLASSIFICATION,
              "Gaussian feature noise on rare-label rows", {"scale": 0.1, "target_ratio": 0.5}),
    PieceSpec("augment", "tail-smote", _tail_augmenter("EmbeddingSMOTE", "tail-smote", ("k_neighbors",)),
              CLASSIFICATION, "SMOTE in embedding space on rare-label rows", {"k_neighbors": 5, "target_ratio": 0.5}),
    # adjusters (longtail.adjust): change scores after training
    PieceSpec("adjust", "threshold", _adjuster("ThresholdMover", "threshold"), CLASSIFICATION,
              "per-class thresholds tuned on validation", {"objective": "f1"}),
    PieceSpec("adjust", "logit-adjuster", _logit_adjuster, CLASSIFICATION,
              "subtract tau log prior from the logits", {"tau": 1.0}),
    PieceSpec("adjust", "temperature", _adjuster("TemperatureScaler", "temperature"), CLASSIFICATION,
              "temperature scaling on validation"),
    PieceSpec("adjust", "exposure-rerank", _exposure_reranker, frozenset({"retrieval"}),
              "re-rank top-k lists towards tail items", {"lam": 0.5, "k": 10, "method": "xquad", "head_share": 0.2}),
)

_PIECES: dict[str, dict[str, PieceSpec]] = {slot: {} for slot in SLOTS}


def register_piece(spec: PieceSpec, overwrite: bool = False) -> PieceSpec:
    """Add a piece to the table so strategies can name it (e.g. your own loss or sampler)."""
    if spec.slot not in SLOTS:
        raise StrategyError(f"slot {spec.slot!r} is unknown; use one of {', '.join(SLOTS)}")
    unknown = set(spec.kinds) - set(KINDS)
    if unknown or not spec.kinds:
        raise StrategyError(f"kinds {sorted(spec.kinds)} must be a non-empty subset of {', '.join(KINDS)}")
    if spec.name in _PIECES[spec.slot] and not overwrite:
        raise StrategyError(f"{spec.slot} piece {spec.name!r} exists already; pass overwrite=True to replace it")
    _PIECES[spec.slot][spec.name] = spec
    return spec


def piece_spec(slot: str, name: str) -> PieceSpec:
    """The spec of the piece ``name`` in ``slot``; a StrategyError naming the known ones otherwise."""
    known = _PIECES[slot]
    if name not in known:
        raise StrategyError(f"unknown {slot} piece {name!r}; known {slot} pieces: {', '.join(known)}")
    return known[name]


def piece_names(slot: str) -> list[str]:
    """Names of the known pieces for ``slot``."""
    return list(_PIECES[slot])


for _spec in _BUILTIN_PIECES:
    register_piece(_spec)
