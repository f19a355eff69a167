"""Shoppers: a skewed spread over regions, region-shaped category tastes, latent factors, activity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from longtail.data import columns as C
from longtail.data.synthetic.config import MarketplaceConfig
from longtail.data.synthetic.tree import CategoryTree
from longtail.data.synthetic.vocab import REGIONS


@dataclass(frozen=True)
class Population:
    """Users in internal order (user id = index + 1)."""

    user_ids: np.ndarray
    region: np.ndarray  # index into region_names
    region_names: tuple[str, ...]
    taste: np.ndarray  # (n_users, n_leaves) log-affinity per leaf category, centred per user
    factors: np.ndarray  # (n_users, n_factors)
    activity: np.ndarray  # share of all sessions each user starts (sums to 1)
    table: pl.DataFrame

    def leaf_choice_cdf(self) -> np.ndarray:
        """Per user, the cumulative probability of browsing each leaf category (softmax of taste)."""
        weights = np.exp(self.taste - self.taste.max(axis=1, keepdims=True))
        cdf = np.cumsum(weights, axis=1)
        return cdf / cdf[:, -1:]


def region_shares(n_regions: int, skew: float) -> np.ndarray:
    """Zipf shares over regions: one dominant home market and a tail of smaller ones."""
    weights = np.arange(1, n_regions + 1, dtype=float) ** -skew
    return weights / weights.sum()


def build_population(rng: np.random.Generator, tree: CategoryTree, leaf_sizes: np.ndarray,
                     cfg: MarketplaceConfig) -> Population:
    """Draw users: region, category taste (global + region + personal), factors and activity."""
    n = cfg.n_users
    region = rng.choice(cfg.n_regions, size=n, p=region_shares(cfg.n_regions, cfg.region_skew))
    # Bigger categories draw more traffic, less than in proportion to their size.
    base = 0.5 * np.log(leaf_sizes / leaf_sizes.sum()) + rng.normal(0.0, 0.3, tree.n_leaves)
    region_dept = rng.normal(0.0, 0.5, (cfg.n_regions, tree.n_departments))
    region_leaf = base + region_dept[:, tree.department] + rng.normal(0.0, 0.25, (cfg.n_regions, tree.n_leaves))
    taste = region_leaf[region] + rng.normal(0.0, 0.8, (n, tree.n_leaves))
    taste -= taste.mean(axis=1, keepdims=True)
    factors = rng.standard_normal((n, cfg.n_factors)) / np.sqrt(cfg.n_factors)
    activity = rng.lognormal(0.0, 1.1, n)  # a few heavy shoppers, many occasional ones
    user_ids = np.arange(1, n + 1, dtype=np.int64)
    names = REGIONS[: cfg.n_regions]
    table = pl.DataFrame(
        {C.USER_ID: user_ids, C.REGION: np.array(names, dtype=object)[region]},
        schema={C.USER_ID: pl.Int64, C.REGION: pl.String},
    )
    return Population(
        user_ids=user_ids, region=region, region_names=names, taste=taste, factors=factors,
        activity=activity / activity.sum(), table=table,
    )
