"""The strategy registry: look strategies up by name, register your own."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from longtail.strategies.pieces import StrategyError
from longtail.strategies.strategy import Strategy

_REGISTRY: dict[str, Strategy] = {}


def register(strategy: Strategy | Mapping[str, Any], overwrite: bool = False) -> Strategy:
    """Add a strategy (or a mapping for :meth:`Strategy.from_dict`) so ``get(name)`` finds it."""
    if isinstance(strategy, Mapping):
        strategy = Strategy.from_dict(strategy)
    if not isinstance(strategy, Strategy):
        raise StrategyError(f"register takes a Strategy or a mapping, got {type(strategy).__name__}")
    if strategy.name in _REGISTRY and not overwrite:
        raise StrategyError(f"strategy {strategy.name!r} is registered already; pass overwrite=True to replace it")
    _REGISTRY[strategy.name] = strategy
    return strategy


def unregister(name: str) -> None:
    """Remove a registered strategy (built-in ones too)."""
    _lookup(name)
    del _REGISTRY[name]


def _lookup(name: str) -> Strategy:
    if name not in _REGISTRY:
        close = difflib.get_close_matches(str(name), list(_REGISTRY), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise StrategyError(f"unknown strategy {name!r}; {hint}known strategies: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def get(name: str, **param_overrides: Any) -> Strategy:
    """The registered strategy ``name``, with piece parameters overridden (e.g. ``get("focal", gamma=1.0)``).

    Raises :class:`StrategyError` (a LongtailError) for an unknown name or parameter.
    """
    strategy = _lookup(name)
    return strategy.with_params(**param_overrides) if param_overrides else strategy


def available() -> list[Strategy]:
    """Every registered strategy, in registration order."""
    return list(_REGISTRY.values())


def names() -> list[str]:
    """Names of the registered strategies, in registration order."""
    return list(_REGISTRY)
