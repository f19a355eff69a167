"""Put a file's event values in order (lowest, most common first).

The values stay the file's own (``pv`` stays ``pv``); only their order is
inferred, from words shops commonly use. Anything unknown needs an explicit
order, because guessing wrong would turn a rare event into a common one.
"""

from __future__ import annotations

import polars as pl

from longtail.errors import InputError

# Level of each known word (lower case, separators removed), lowest first. A
# favourite is weaker intent than a cart (Taobao's own order pv < fav < cart < buy).
_WORDS_BY_LEVEL = (
    ("view", "views", "viewed", "impression", "impressions", "pv", "detail", "detailview", "pageview"),
    ("click", "clicks", "clicked"),
    ("fav", "favorite", "favourite", "like", "wishlist", "addtowishlist"),
    ("cart", "basket", "addtocart", "addtobasket"),
    ("purchase", "purchased", "order", "buy", "bought", "transaction", "checkout"),
)
_LEVELS = {word: level for level, words in enumerate(_WORDS_BY_LEVEL) for word in words}


def _level(value: str) -> int | None:
    """The level of a known word; case, spaces, '-' and '_' do not matter."""
    return _LEVELS.get("".join(ch for ch in value.lower() if ch not in " -_"))


def infer_event_order(events: pl.Series, *, file: str | None = None, column: str | None = None) -> tuple[str, ...]:
    """The distinct values of ``events`` ordered from weakest to strongest signal.

    Raises :class:`InputError` when a value is not a known word or two values
    mean the same level (e.g. ``order`` and ``purchase``): the order must then
    be given with ``--event-order``.
    """
    values = events.drop_nulls().unique(maintain_order=True).to_list()
    fix = "give the order, lowest first, with --event-order a,b,c (event_order=[...])"
    unknown = [v for v in values if _level(v) is None]
    if unknown:
        row = int(events.is_in(unknown).arg_true()[0])
        raise InputError(
            f"cannot tell the order of the event values {sorted(values)}: {sorted(unknown)} are not known event words",
            file=file,
            column=column,
            row=row,
            value=events[row],
            fix=fix,
        )
    by_level: dict[int, str] = {}
    for value in values:
        level = _level(value)
        if level in by_level:
            raise InputError(
                f"event values '{by_level[level]}' and '{value}' mean the same step, so their order is unclear",
                file=file,
                column=column,
                fix=fix,
            )
        by_level[level] = value  # type: ignore[index]
    return tuple(by_level[level] for level in sorted(by_level))
