"""imbalanced-learn's samplers as strategy pieces, the way a user registers them."""

from __future__ import annotations

import inspect

from longtail.strategies import PieceSpec, Strategy, register_piece
from longtail.strategies.pieces import _PIECES


def imblearn_strategy(monkeypatch, sampler_cls, **params) -> Strategy:
    """A strategy whose sampler is ``sampler_cls(**params)`` from imbalanced-learn, seeded like ours.

    The piece table is restored when the test ends.
    """
    monkeypatch.setitem(_PIECES, "sampler", dict(_PIECES["sampler"]))
    seeded = "random_state" in inspect.signature(sampler_cls).parameters

    def build(piece_params, ctx):
        return sampler_cls(**piece_params, **({"random_state": ctx.random_state} if seeded else {}))

    name = f"imblearn-{sampler_cls.__name__.lower()}"
    register_piece(PieceSpec("sampler", name, build, frozenset({"multiclass", "binary"}),
                             f"imbalanced-learn's {sampler_cls.__name__}", params))
    return Strategy(name, sampler=name)
