"""make_marketplace: a whole simulated shop as a Dataset that knows its own truth."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import numpy as np

from longtail.data import columns as C
from longtail.data.dataset import Dataset
from longtail.data.synthetic.catalog import build_catalog
from longtail.data.synthetic.config import MarketplaceConfig
from longtail.data.synthetic.events import EVENT_ORDER, simulate_events
from longtail.data.synthetic.exposure import LoggingPolicy
from longtail.data.synthetic.funnel import Funnel
from longtail.data.synthetic.population import build_population
from longtail.data.synthetic.search import LABEL_ORDER, build_judgments
from longtail.data.synthetic.tree import CategoryTree
from longtail.data.synthetic.truth import MarketplaceTruth

_STAGES = ("catalogue", "shoppers", "logging policy", "event log", "search judgments", "dataset")


@contextmanager
def _stages(show: bool) -> Iterator[Callable[[str], None]]:
    """Yield a function that marks the start of each stage (on a progress bar when ``show``)."""
    if not show:
        yield lambda _name: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("synthetic marketplace", total=len(_STAGES))
        done = [0]

        def step(name: str) -> None:
            bar.update(task, completed=done[0], description=f"synthetic marketplace: {name}")
            done[0] += 1

        yield step
        bar.update(task, completed=len(_STAGES))


def make_marketplace(seed: int = 0, *, config: MarketplaceConfig | None = None, progress: bool = False,
                     **knobs: Any) -> Dataset:
    """Simulate a shop: catalogue, shoppers, a popularity-biased event log and search judgments.

    Knobs are the fields of :class:`MarketplaceConfig` (pass them as keywords
    or as ``config``). The result is a Dataset named ``"synthetic"`` whose
    ``truth`` is a :class:`MarketplaceTruth`; the same seed and knobs give
    identical tables. ``meta`` holds the generator, seed, knobs,
    ``label_order`` of the judgments and the promotion days.
    """
    if config is not None and knobs:
        raise ValueError(f"pass knobs either in config or as keywords, not both (got {sorted(knobs)})")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
    cfg = config or MarketplaceConfig.from_knobs(**knobs)
    rng_catalog, rng_users, rng_policy, rng_events, rng_search = (
        np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(5)
    )
    tree = CategoryTree.build()
    with _stages(progress) as stage:
        stage(_STAGES[0])
        catalog = build_catalog(rng_catalog, tree, cfg)
        stage(_STAGES[1])
        population = build_population(rng_users, tree, np.diff(catalog.leaf_start), cfg)
        truth = MarketplaceTruth(
            user_ids=population.user_ids, item_ids=catalog.item_ids, user_factors=population.factors,
            item_factors=catalog.factors, item_quality=catalog.quality, user_taste=population.taste,
            item_leaf=catalog.leaf, categories=tree.paths, funnel=Funnel(),
        )
        stage(_STAGES[2])
        policy = LoggingPolicy(catalog.popularity, catalog.leaf_start, cfg.preference_share, cfg.n_candidates)
        truth = truth.with_policy(catalog.popularity, policy.propensity(rng_policy, truth, population.activity))
        stage(_STAGES[3])
        log = simulate_events(rng_events, cfg, population, truth, policy)
        truth = truth.with_funnel(log.funnel)
        stage(_STAGES[4])
        judgments = build_judgments(rng_search, tree, catalog, cfg)
        stage(_STAGES[5])
        promotion_days = [(cfg.start + timedelta(days=int(d))).date().isoformat() for d in log.promotion_days]
        return Dataset(
            interactions=log.table,
            items=catalog.table,
            users=population.table,
            judgments=judgments,
            name="synthetic",
            event_order=EVENT_ORDER,
            category_sep=C.DEFAULT_CATEGORY_SEP,
            truth=truth,
            meta={
                "generator": "synthetic",
                "seed": int(seed),
                "config": cfg.as_meta(),
                "label_order": list(LABEL_ORDER),
                "promotion_days": promotion_days,
                "regions": list(population.region_names),
            },
        )

