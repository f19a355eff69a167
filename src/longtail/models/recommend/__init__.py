"""Top-K recommenders: MostPopular, ItemKNN, BPRMF and TwoTower.

Every model takes (user index, item index) pairs (numpy arrays, never
polars), ``fit(user_idx, item_idx, n_users, n_items, strategy=..., ...)``,
and gives ``scores(user_idx) -> (n, n_items)`` and ``recommend(user_idx, k,
exclude) -> (n, k)`` item indices over the full catalogue. Importing this
package does not import torch; the torch models import it when fitted or
loaded.
"""

from longtail.models.recommend.base import Recommender
from longtail.models.recommend.bpr import BPRMF
from longtail.models.recommend.itemknn import ItemKNN
from longtail.models.recommend.popular import MostPopular
from longtail.models.recommend.topk import batched_top_k, top_k_batch
from longtail.models.recommend.two_tower import TwoTower

#: the recommend task's model names
MODELS = {cls.model_name: cls for cls in (TwoTower, BPRMF, ItemKNN, MostPopular)}

__all__ = ["BPRMF", "MODELS", "ItemKNN", "MostPopular", "Recommender", "TwoTower", "batched_top_k", "top_k_batch"]
