"""Strategies: named recipes of remedies, looked up by name (``strategy: cb-focal`` in a spec).

A :class:`Strategy` fills at most one of each slot (sampler, loss, augment,
adjust) with a :class:`Piece` naming a known implementation. Implementations
are imported only when built, so this package imports without torch.
"""

from longtail.strategies.builtin import BUILTIN
from longtail.strategies.pieces import KINDS, SLOTS, PieceSpec, StrategyError, piece_names, register_piece
from longtail.strategies.registry import available, get, names, register, unregister
from longtail.strategies.strategy import Piece, Strategy

for _strategy in BUILTIN:
    register(_strategy)

__all__ = [
    "KINDS",
    "SLOTS",
    "Piece",
    "PieceSpec",
    "Strategy",
    "StrategyError",
    "available",
    "get",
    "names",
    "piece_names",
    "register",
    "register_piece",
    "unregister",
]
