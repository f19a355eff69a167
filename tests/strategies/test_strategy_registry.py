import pytest

from longtail import strategies
from longtail.errors import LongtailError
from longtail.strategies import Piece, Strategy, StrategyError

REQUIRED = [
    "baseline", "weighted-ce", "cb-focal", "focal", "logit-adjust", "balanced-softmax", "ldam-drw", "random-over",
    "random-under", "smote", "augment-tail", "logq", "ips", "threshold", "rerank", "cb-focal+threshold", "logq+rerank",
    "head-undersample", "tail-oversample", "logq+tail-oversample",
]


@pytest.fixture
def scratch():
    """Strategies registered by a test are removed afterwards."""
    before = set(strategies.names())
    yield
    for name in set(strategies.names()) - before:
        strategies.unregister(name)


def test_builtin_strategies_are_registered():
    assert set(REQUIRED) <= set(strategies.names())
    assert [s.name for s in strategies.available()] == strategies.names()
    assert strategies.names()[0] == "baseline"


def test_unknown_name_is_a_user_error_listing_the_names():
    with pytest.raises(LongtailError, match="unknown strategy 'focall'; did you mean 'focal'.*known strategies: baseline, "):
        strategies.get("focall")
    with pytest.raises(ValueError, match="unknown strategy"):
        strategies.get("nothing-like-it")


def test_overrides_return_a_modified_copy():
    original = strategies.get("focal")
    tuned = strategies.get("focal", gamma=1.0, alpha=0.25)
    assert tuned.loss == Piece("focal", {"gamma": 1.0, "alpha": 0.25})
    assert original.loss.params == {} and strategies.get("focal") is original
    assert strategies.get("ldam-drw", s=1.0).loss.params == {"drw_start_fraction": 0.8, "s": 1.0}


def test_overrides_by_slot_and_their_errors():
    combo = strategies.get("cb-focal+threshold", **{"loss.gamma": 0.5, "objective": "gmean"})
    assert combo.loss.params == {"gamma": 0.5} and combo.adjust.params == {"objective": "gmean"}
    with pytest.raises(LongtailError, match="no parameter 'gama'; its parameters: loss.beta, loss.base, loss.gamma"):
        strategies.get("cb-focal+threshold", gama=1)
    with pytest.raises(StrategyError, match="no parameter 'adjust.gamma'"):
        strategies.get("cb-focal+threshold", **{"adjust.gamma": 1})
    with pytest.raises(StrategyError, match="its parameters: none"):
        strategies.get("baseline", gamma=1)


def test_overrides_shared_by_two_pieces_must_name_the_slot(scratch):
    strategies.register(Strategy("noise+smote", sampler=Piece("smote"), augment=Piece("tail-smote")))
    with pytest.raises(StrategyError, match="ambiguous; use one of sampler.k_neighbors, augment.k_neighbors"):
        strategies.get("noise+smote", k_neighbors=3)
    assert strategies.get("noise+smote", **{"augment.k_neighbors": 3}).augment.params == {"k_neighbors": 3}


def test_register_a_strategy_and_a_mapping(scratch):
    mine = strategies.register(Strategy("my-focal", "gentler focal", loss=Piece("focal", {"gamma": 0.5})))
    assert strategies.get("my-focal") is mine
    from_yaml = strategies.register(
        {"name": "smote-la", "description": "x", "sampler": "smote", "adjust": {"name": "logit-adjuster", "params": {"tau": 0.5}}}
    )
    assert from_yaml.sampler == Piece("smote") and from_yaml.adjust.params == {"tau": 0.5}
    assert strategies.names()[-2:] == ["my-focal", "smote-la"]


def test_register_refuses_duplicates_unless_overwriting(scratch):
    with pytest.raises(StrategyError, match="'focal' is registered already; pass overwrite=True"):
        strategies.register(Strategy("focal", loss="focal"))
    strategies.register(Strategy("temp", loss="focal"))
    replaced = strategies.register(Strategy("temp", loss="ips"), overwrite=True)
    assert strategies.get("temp") is replaced
    with pytest.raises(StrategyError, match="register takes a Strategy or a mapping"):
        strategies.register("focal")


def test_unregister_unknown_name():
    with pytest.raises(StrategyError, match="unknown strategy 'nope'"):
        strategies.unregister("nope")
