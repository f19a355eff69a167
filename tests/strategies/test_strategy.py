import subprocess
import sys

import pytest

from longtail.strategies import KINDS, Piece, PieceSpec, Strategy, StrategyError, get, piece_names, register_piece

APPLIES = {
    "baseline": {"multiclass", "binary", "retrieval"},
    "weighted-ce": {"multiclass", "binary"},
    "focal": {"multiclass", "binary"},
    "cb-focal": {"multiclass", "binary"},
    "logit-adjust": {"multiclass", "binary"},
    "balanced-softmax": {"multiclass"},
    "ldam-drw": {"multiclass"},
    "random-over": {"multiclass", "binary"},
    "random-under": {"multiclass", "binary"},
    "smote": {"multiclass", "binary"},
    "augment-tail": {"multiclass", "binary"},
    "logq": {"retrieval"},
    "ips": {"binary", "retrieval"},
    "head-undersample": {"retrieval"},
    "tail-oversample": {"retrieval"},
    "logq+tail-oversample": {"retrieval"},
    "threshold": {"multiclass", "binary"},
    "rerank": {"retrieval"},
    "cb-focal+threshold": {"multiclass", "binary"},
    "logq+rerank": {"retrieval"},
}


@pytest.mark.parametrize(("name", "kinds"), APPLIES.items())
def test_applies_to(name, kinds):
    strategy = get(name)
    assert {kind for kind in KINDS if strategy.applies_to(kind)} == kinds
    assert set(strategy.kinds) == kinds


def test_applies_to_rejects_unknown_kinds():
    with pytest.raises(StrategyError, match="kind 'ranking' is unknown; use one of multiclass, binary, retrieval"):
        get("focal").applies_to("ranking")


def test_combination_applies_where_all_its_pieces_do():
    assert Strategy("x", loss="ips", adjust="threshold").kinds == ("binary",)
    assert Strategy("y", loss="balanced-softmax", sampler="smote").kinds == ("multiclass",)
    assert Strategy("z", loss="sampled-softmax", adjust="threshold").kinds == ()


def test_unknown_piece_names_the_known_ones():
    with pytest.raises(ValueError, match="unknown loss piece 'focus'; known loss pieces: weighted-ce, focal, "):
        Strategy("bad", loss=Piece("focus"))
    with pytest.raises(StrategyError, match="unknown sampler piece 'focal'"):
        Strategy("bad", sampler="focal")


def test_unknown_piece_parameters_name_the_accepted_ones():
    with pytest.raises(ValueError, match="loss piece 'focal' of strategy 'bad' takes no parameter.s. beta; it takes: gamma, alpha"):
        Strategy("bad", loss=Piece("focal", {"beta": 0.9}))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "non-empty string without spaces"),
        ({"name": "my focal"}, "without spaces"),
        ({"name": "x", "description": 3}, "description"),
        ({"name": "x", "loss": {"name": "focal", "gamma": 1}}, "optional 'params'"),
        ({"name": "x", "loss": 3}, "must be a piece name"),
        ({"name": "x", "loss": {"name": "focal", "params": [1]}}, "mapping with string keys"),
    ],
)
def test_bad_strategy_definitions(kwargs, message):
    with pytest.raises(StrategyError, match=message):
        Strategy(**kwargs)


def test_dict_round_trip_and_mapping_errors():
    for name in APPLIES:
        strategy = get(name)
        assert Strategy.from_dict(strategy.to_dict()) == strategy
    with pytest.raises(StrategyError, match="unknown key.s. sampling"):
        Strategy.from_dict({"name": "x", "sampling": "smote"})
    with pytest.raises(StrategyError, match="needs a 'name'"):
        Strategy.from_dict({"loss": "focal"})


def test_strategies_are_frozen_and_hashable():
    strategy = get("focal", gamma=1.0)
    with pytest.raises(AttributeError):
        strategy.name = "other"
    assert hash(strategy) == hash(get("focal", gamma=1.0))
    assert len({get("focal"), get("focal"), get("focal", gamma=1.0)}) == 2


def test_slots_text_shows_the_parameters_used():
    assert get("baseline").slots_text() == "-"
    assert get("focal", gamma=1.0).slots_text() == "loss=focal(gamma=1.0)"
    assert get("cb-focal+threshold").slots_text() == (
        "loss=class-balanced(beta=0.999, base='focal', gamma=2.0), adjust=threshold(objective='f1')"
    )


def test_register_piece_adds_a_usable_implementation():
    spec = PieceSpec("loss", "squared-hinge-test", lambda params, ctx: ("built", params, ctx.kind),
                     frozenset({"binary"}), "test piece", {"margin": 1.0})
    register_piece(spec)
    assert "squared-hinge-test" in piece_names("loss")
    strategy = Strategy("hinge", loss=Piece("squared-hinge-test", {"margin": 2.0}))
    assert strategy.kinds == ("binary",)
    assert strategy.make_loss("binary") == ("built", {"margin": 2.0}, "binary")
    with pytest.raises(StrategyError, match="exists already"):
        register_piece(spec)
    with pytest.raises(StrategyError, match="slot 'model' is unknown"):
        register_piece(PieceSpec("model", "m", spec.build, frozenset({"binary"}), ""))
    with pytest.raises(StrategyError, match="non-empty subset"):
        register_piece(PieceSpec("loss", "m", spec.build, frozenset({"ranking"}), ""))


def test_importing_the_registry_does_not_import_torch():
    code = "import sys, longtail.strategies, longtail.weights; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
