"""Plain-words pieces shared by the readings and the advice."""

from __future__ import annotations

from longtail.profile.stats import TOP_FRACTION

GROUP_NOUNS = {
    "event": "event types",
    "category": "categories",
    "category_top": "top-level categories",
    "item": "items",
    "user": "users",
    "region": "regions",
    "hour": "hours",
    "day": "days",
    "query": "queries",
    "label": "labels",
}

# Upper bounds on the Gini coefficient and the words used below each.
SKEW_WORDS = ((0.2, "nearly even"), (0.4, "a mild skew"), (0.6, "a clear skew"), (0.8, "a steep long tail"))
EXTREME_SKEW = "extreme concentration"


def percent(share: float) -> str:
    """``0.014`` -> ``'1.4 %'``; two significant digits below 1 %."""
    value = 100.0 * share
    if value != 0 and abs(value) < 1:
        return f"{value:.2g} %"
    return f"{value:.1f} %".replace(".0 %", " %")


def skew_words(gini: float) -> str:
    """A few words for how concentrated a distribution is."""
    for bound, words in SKEW_WORDS:
        if gini < bound:
            return words
    return EXTREME_SKEW


def top_phrase(name: str, share: float, unit: str) -> str:
    """``'top 20 % of items take 83 % of interactions'``."""
    return f"top {percent(TOP_FRACTION)} of {GROUP_NOUNS.get(name, name)} take {percent(share)} of {unit}"
