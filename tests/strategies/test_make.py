"""Each strategy builds the right pieces, and they work on inputs of the kinds it applies to."""

import numpy as np
import pytest
import torch

from longtail import losses
from longtail.strategies import KINDS, Piece, Strategy, StrategyError, available, get
from longtail.weights import class_weights

CLASS_COUNTS = {"multiclass": np.array([60, 25, 4]), "binary": np.array([90, 10])}
ITEM_COUNTS = np.arange(1, 13)

EXPECTED_LOSS = {
    "weighted-ce": losses.WeightedCrossEntropy,
    "focal": losses.FocalLoss,
    "cb-focal": losses.ClassBalancedLoss,
    "cb-focal+threshold": losses.ClassBalancedLoss,
    "logit-adjust": losses.LogitAdjustedLoss,
    "balanced-softmax": losses.BalancedSoftmaxLoss,
    "ldam-drw": losses.LDAMLoss,
    "logq": losses.SampledSoftmaxLoss,
    "logq+rerank": losses.SampledSoftmaxLoss,
    "logq+tail-oversample": losses.SampledSoftmaxLoss,
    "ips": losses.IPSLoss,
}
#: strategies whose retrieval models weight their own loss: make_loss has nothing to build for them
NO_RETRIEVAL_LOSS = {"ips"}


def inputs(kind):
    generator = torch.Generator().manual_seed(0)
    if kind == "multiclass":
        return torch.randn(6, 3, generator=generator), torch.tensor([0, 0, 1, 2, 0, 1])
    if kind == "binary":
        return torch.randn(6, generator=generator), torch.tensor([0.0, 1, 0, 0, 1, 0])
    return torch.randn(4, 4, generator=generator), torch.arange(4), torch.tensor([3, 0, 11, 3])


def combinations():
    return [(s.name, kind) for s in available() for kind in s.kinds
            if not (kind == "retrieval" and s.name in NO_RETRIEVAL_LOSS)]


@pytest.mark.parametrize(("name", "kind"), combinations())
def test_make_loss_builds_a_working_module_of_the_right_class(name, kind):
    strategy = get(name)
    loss = strategy.make_loss(kind, class_counts=CLASS_COUNTS.get(kind), item_counts=ITEM_COUNTS)
    default = losses.SampledSoftmaxLoss if kind == "retrieval" else losses.WeightedCrossEntropy
    assert type(loss) is EXPECTED_LOSS.get(name, default)
    args = inputs(kind)
    if isinstance(loss, losses.IPSLoss):
        args += (torch.full((6,), 0.3),)
    if hasattr(loss, "set_epoch"):
        loss.set_epoch(0, num_epochs=10)
    value = loss(*args)
    assert value.ndim == 0 and torch.isfinite(value)


@pytest.mark.parametrize(
    ("name", "kind", "direct"),
    [
        ("weighted-ce", "multiclass", lambda: losses.WeightedCrossEntropy(class_weights(CLASS_COUNTS["multiclass"]))),
        ("focal", "binary", lambda: losses.FocalLoss(2.0)),
        ("cb-focal", "multiclass", lambda: losses.ClassBalancedLoss(CLASS_COUNTS["multiclass"], 0.999, "focal", 2.0)),
        ("logit-adjust", "binary", lambda: losses.LogitAdjustedLoss(CLASS_COUNTS["binary"], tau=1.0)),
        ("balanced-softmax", "multiclass", lambda: losses.BalancedSoftmaxLoss(CLASS_COUNTS["multiclass"])),
        ("logq", "retrieval", lambda: losses.SampledSoftmaxLoss(ITEM_COUNTS)),
        ("baseline", "retrieval", lambda: losses.SampledSoftmaxLoss(logq_correction=False)),
    ],
)
def test_built_loss_equals_the_direct_construction(name, kind, direct):
    built = get(name).make_loss(kind, class_counts=CLASS_COUNTS.get(kind), item_counts=ITEM_COUNTS)
    args = inputs(kind)
    assert torch.allclose(built(*args), direct()(*args))


def test_overrides_reach_the_built_loss():
    assert get("focal", gamma=0.5).make_loss("multiclass").gamma == 0.5
    ldam = get("ldam-drw", drw_start_fraction=0.5, s=1.0).make_loss("multiclass", CLASS_COUNTS["multiclass"])
    assert (ldam.s, ldam.drw_start_fraction) == (1.0, 0.5)
    assert get("logq", temperature=0.05).make_loss("retrieval").temperature == 0.05
    assert get("logq").make_loss("retrieval").estimator is not None


def test_ips_has_no_standalone_retrieval_loss():
    assert get("ips").applies_to("retrieval")
    with pytest.raises(StrategyError, match="weight their in-batch softmax / BPR loss by inverse item propensity"):
        get("ips").make_loss("retrieval", item_counts=ITEM_COUNTS)


def test_make_loss_errors():
    with pytest.raises(StrategyError, match="'logq' does not apply to multiclass tasks; it applies to retrieval"):
        get("logq").make_loss("multiclass")
    with pytest.raises(StrategyError, match="piece 'class-balanced' needs class_counts"):
        get("cb-focal").make_loss("multiclass")
    with pytest.raises(StrategyError, match="kind 'regression' is unknown"):
        get("baseline").make_loss("regression")


def test_class_weights_for_models_without_a_torch_loss():
    counts = CLASS_COUNTS["multiclass"]
    np.testing.assert_allclose(get("weighted-ce").class_weights(counts), class_weights(counts, "balanced"))
    tuned = get("weighted-ce", scheme="effective_number", beta=0.9)
    assert tuned.sample_weights_scheme == ("effective_number", {"beta": 0.9})
    np.testing.assert_allclose(tuned.class_weights(counts), class_weights(counts, "effective_number", beta=0.9))
    np.testing.assert_allclose(
        get("cb-focal+threshold").class_weights(counts), class_weights(counts, "effective_number", beta=0.999)
    )
    for name in ("baseline", "focal", "logit-adjust", "random-over"):
        assert get(name).sample_weights_scheme is None and get(name).class_weights(counts) is None


def labelled_rows(seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1, 2], [40, 12, 6])
    return rng.normal(size=(y.size, 3)) + y[:, None], y


@pytest.mark.parametrize("name", ["random-over", "random-under", "random-under+threshold", "smote"])
def test_make_sampler_balances_and_is_reproducible(name):
    X, y = labelled_rows()
    first, second = get(name).make_sampler(random_state=3), get(name).make_sampler(random_state=3)
    X1, y1 = first.fit_resample(X, y)
    X2, y2 = second.fit_resample(X, y)
    np.testing.assert_array_equal(X1, X2)
    assert len(set(np.bincount(y1).tolist())) == 1
    assert not np.array_equal(X1, get(name).make_sampler(random_state=4).fit_resample(X, y)[0])


@pytest.mark.parametrize(
    ("piece", "sampler_class", "params"),
    [
        ("borderline-smote", "BorderlineSMOTE", {"m_neighbors": 6}),
        ("adasyn", "ADASYN", {"n_neighbors": 4}),
        ("tomek-links", "TomekLinks", {}),
    ],
)
def test_other_sampler_pieces_build_their_class(piece, sampler_class, params):
    from longtail import sampling

    sampler = Strategy("s", sampler=Piece(piece, params)).make_sampler(random_state=0)
    assert type(sampler) is getattr(sampling, sampler_class)
    assert all(getattr(sampler, key) == value for key, value in params.items())
    X_res, y_res = sampler.fit_resample(*labelled_rows())
    assert X_res.shape[0] == y_res.shape[0] > 0


def pairs_table(seed=0):
    """Distinct (user, item) pairs with Zipf-like item popularity, as the recommend task hands them to a sampler."""
    import polars as pl

    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, 41)
    table = pl.DataFrame({"user_id": rng.integers(0, 300, 3000), "item_id": rng.choice(40, 3000, p=weights / weights.sum())})
    return table.unique(maintain_order=True)


def item_counts(table):
    return np.bincount(table["item_id"].to_numpy(), minlength=40)


def test_interaction_sampler_strategies_build_their_samplers_with_quantile_defaults():
    from longtail.sampling import PopularityUnderSampler, TailOverSampler

    table = pairs_table()
    before = item_counts(table)
    under = get("head-undersample").make_sampler(random_state=5)
    assert type(under) is PopularityUnderSampler and (under.quantile, under.max_per_item) == (0.9, None)
    after = item_counts(under.fit_resample(table))
    cap = int(np.ceil(np.quantile(before[before > 0], 0.9)))
    np.testing.assert_array_equal(after, np.minimum(before, cap))
    assert (before > cap).sum() >= 3  # the cap bites on the head

    over = get("tail-oversample").make_sampler(random_state=5)
    assert type(over) is TailOverSampler and over.quantile == 0.8
    floor = int(np.ceil(np.quantile(before[before > 0], 0.8)))
    lifted = item_counts(over.fit_resample(table))
    np.testing.assert_array_equal(lifted, np.where(before > 0, np.maximum(before, floor), 0))
    assert get("logq+tail-oversample").make_sampler(random_state=5).quantile == 0.5

    again = get("tail-oversample").make_sampler(random_state=5)
    again.fit_resample(table)
    np.testing.assert_array_equal(again.sample_indices_, over.sample_indices_)


def test_interaction_sampler_counts_replace_the_quantile():
    table = pairs_table()
    sampler = get("head-undersample", max_per_item=7, quantile=None).make_sampler(random_state=0)
    assert item_counts(sampler.fit_resample(table)).max() == 7
    sampler = get("tail-oversample", min_per_item=30, quantile=None).make_sampler(random_state=0)
    assert item_counts(sampler.fit_resample(table)).min() == 30
    with pytest.raises(StrategyError, match="takes max_per_item or quantile, not both; set quantile to null"):
        get("head-undersample", max_per_item=7).make_sampler(random_state=0)
    with pytest.raises(StrategyError, match="takes min_per_item or quantile, not both"):
        get("tail-oversample", min_per_item=30).make_sampler(random_state=0)


def test_strategies_without_a_slot_build_none():
    baseline = get("baseline")
    assert baseline.make_sampler() is None and baseline.make_adjuster() is None and baseline.make_augmenter() is None


def test_make_adjuster():
    from longtail.adjust import ExposureReranker, LogitAdjuster, NotFittedError, ThresholdMover

    rng = np.random.default_rng(1)
    mover = get("cb-focal+threshold").make_adjuster()
    assert isinstance(mover, ThresholdMover) and mover.objective == "f1"
    scores, y = rng.normal(size=(30, 3)), rng.integers(0, 3, 30)
    assert mover.fit(scores, y).transform(scores).shape == (30, 3)

    counts = CLASS_COUNTS["multiclass"]
    adjuster = get("posthoc-logit-adjust").make_adjuster(class_counts=counts)
    assert isinstance(adjuster, LogitAdjuster)
    np.testing.assert_allclose(
        adjuster.transform(scores) - scores, np.broadcast_to(-np.log(counts / counts.sum()) + np.log(1 / 3), scores.shape)
    )

    reranker = get("logq+rerank", k=5).make_adjuster(item_popularity=rng.integers(1, 100, 20))
    assert isinstance(reranker, ExposureReranker) and reranker.rerank(rng.normal(size=(3, 20))).shape == (3, 5)
    with pytest.raises(NotFittedError):
        get("rerank").make_adjuster().rerank(rng.normal(size=(3, 20)))


def test_make_augmenter_adds_rows_for_rare_labels():
    from longtail.augment import GaussianNoise, TailAugmenter

    augmenter = get("augment-tail").make_augmenter()
    assert isinstance(augmenter, TailAugmenter) and isinstance(augmenter.augmenter, GaussianNoise)
    X, y = labelled_rows()
    new = augmenter.augment(X, y, np.random.default_rng(0))
    assert np.bincount(new.labels, minlength=3).tolist() == [0, 8, 14]


def test_every_strategy_applies_somewhere():
    for strategy in available():
        assert strategy.kinds, strategy.name
        assert all(kind in KINDS for kind in strategy.kinds)
    assert Strategy("nothing").kinds == KINDS


@pytest.fixture
def imblearn_pieces():
    """Sampler pieces built from imbalanced-learn's own classes, removed from the table afterwards."""
    from imblearn import over_sampling, under_sampling

    from longtail.strategies import PieceSpec, register_piece
    from longtail.strategies.pieces import _PIECES

    made = {
        "imblearn-smote": (over_sampling.SMOTE, {"sampling_strategy": "auto", "k_neighbors": 5}),
        "imblearn-under": (under_sampling.RandomUnderSampler, {"sampling_strategy": "auto"}),
    }
    for name, (cls, defaults) in made.items():
        register_piece(PieceSpec(
            "sampler", name, lambda params, ctx, cls=cls: cls(random_state=ctx.random_state, **params),
            frozenset({"multiclass", "binary"}), f"imbalanced-learn's {cls.__name__}", defaults,
        ))
    yield
    for name in made:
        del _PIECES["sampler"][name]


@pytest.mark.parametrize(("ours", "theirs"), [("smote", "imblearn-smote"), ("random-under", "imblearn-under")])
def test_imblearn_samplers_plug_into_strategies_where_ours_do(imblearn_pieces, ours, theirs):
    X, y = labelled_rows()
    results = {}
    for piece in (ours, theirs):
        strategy = Strategy(f"via-{piece}", sampler=Piece(piece, {"sampling_strategy": "auto"}))
        tuned = strategy.with_params(sampling_strategy={0: 40, 1: 30, 2: 20} if "smote" in piece else {0: 12})
        sampler = tuned.make_sampler(random_state=7)
        X_res, y_res = sampler.fit_resample(X, y)
        assert X_res.shape == (y_res.size, 3)
        if hasattr(sampler, "sample_indices_"):
            np.testing.assert_array_equal(X_res, X[sampler.sample_indices_])
        results[piece] = np.bincount(y_res).tolist()
    assert results[ours] == results[theirs]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: get("focal", gamma=-1.0).make_loss("multiclass"), r"gamma must be >= 0, got -1.0; 0 gives cross-entropy"),
        (lambda: get("cb-focal", beta=1.0).make_loss("multiclass", CLASS_COUNTS["multiclass"]), r"beta must be in \[0, 1\)"),
        (lambda: get("smote", k_neighbors=6).make_sampler(0).fit_resample(*labelled_rows()), "lower k_neighbors to at most 5"),
        (lambda: Strategy("bad", loss="focus"), "unknown loss piece 'focus'; known loss pieces: weighted-ce"),
    ],
)
def test_bad_parameters_through_a_strategy_are_value_errors_naming_the_fix(build, message):
    with pytest.raises(ValueError, match=message):
        build()
