"""The built-in synthetic marketplace: a realistic shop that knows every user's true taste.

``make_marketplace(seed, **knobs)`` returns a :class:`~longtail.data.Dataset`
with items, users, a popularity-biased event log (view < click < cart <
purchase), ESCI-style search judgments and ``truth``, a
:class:`MarketplaceTruth` for scoring against true preference.
"""

from longtail.data.synthetic.config import MarketplaceConfig
from longtail.data.synthetic.events import EVENT_ORDER
from longtail.data.synthetic.marketplace import make_marketplace
from longtail.data.synthetic.search import LABEL_ORDER
from longtail.data.synthetic.truth import MarketplaceTruth

__all__ = ["EVENT_ORDER", "LABEL_ORDER", "MarketplaceConfig", "MarketplaceTruth", "make_marketplace"]
