"""Search queries and graded relevance judgments, shaped like ESCI.

A query names a category noun, often with one constraint taken from a real
item (an attribute, a colour or a brand). Judged items are mostly what a
search engine would return (matches), plus near misses, accessories and
strays. Labels follow from the catalogue: exact (right category, constraint
met), complement (a category bought together with it), substitute (right
category but constraint missed, or a sibling category), irrelevant.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from longtail.data import columns as C
from longtail.data.synthetic.catalog import Catalog
from longtail.data.synthetic.config import MarketplaceConfig
from longtail.data.synthetic.tree import CategoryTree
from longtail.data.synthetic.vocab import COLOURS, UNBRANDED

LABEL_ORDER = ("irrelevant", "complement", "substitute", "exact")
EXACT, SUBSTITUTE, COMPLEMENT, IRRELEVANT = 3, 2, 1, 0
# Query kinds: bare noun, attribute + noun, colour + noun, brand + noun.
_KIND_SHARE = np.array([0.35, 0.25, 0.20, 0.20])
# What the judged list is drawn from: matches, near misses, complements, anything.
_POOL_SHARE = np.array([0.68, 0.18, 0.05, 0.09])


def _constraint_mask(catalog: Catalog, items: np.ndarray, kind: int, seed: int) -> np.ndarray:
    """Which items meet the query's constraint (taken from the seed item)."""
    if kind == 1:
        wanted = catalog.attributes[seed, 0]
        return (catalog.attributes[items] == wanted).any(axis=1)
    if kind == 2:
        return catalog.colour[items] == catalog.colour[seed]
    if kind == 3:
        return catalog.brand[items] == catalog.brand[seed]
    return np.ones(len(items), dtype=bool)


def _usable_kind(catalog: Catalog, kind: int, seed: int) -> int:
    missing = (
        (kind == 1 and catalog.attributes[seed, 0] < 0)
        or (kind == 2 and catalog.colour[seed] < 0)
        or (kind == 3 and catalog.brand_names[catalog.brand[seed]] == UNBRANDED)
    )
    return 0 if missing else kind


def _query_text(catalog: Catalog, kind: int, seed: int, noun: str) -> str:
    prefix = {
        1: lambda: catalog.attribute_pool.words[catalog.attributes[seed, 0]],
        2: lambda: COLOURS[catalog.colour[seed]],
        3: lambda: catalog.brand_names[catalog.brand[seed]],
    }.get(kind)
    return f"{prefix()} {noun}".lower() if prefix else noun


def label_items(tree: CategoryTree, catalog: Catalog, leaf: int, kind: int, seed: int, items: np.ndarray) -> np.ndarray:
    """Grade (0 irrelevant .. 3 exact) of each item for a query on ``leaf`` with the seed's constraint."""
    item_leaf = catalog.leaf[items]
    exact = (item_leaf == leaf) & _constraint_mask(catalog, items, kind, seed)
    sibling = tree.parent[item_leaf] == tree.parent[leaf]
    complement = np.isin(item_leaf, tree.complements[leaf])
    # A complement in a sibling category (a case for a phone) is still a complement.
    return np.where(exact, EXACT, np.where(complement, COMPLEMENT, np.where(sibling, SUBSTITUTE, IRRELEVANT)))


def _judged_items(rng: np.random.Generator, tree: CategoryTree, catalog: Catalog, leaf: int, kind: int, seed: int,
                  n: int) -> np.ndarray:
    start, stop = catalog.leaf_start[leaf], catalog.leaf_start[leaf + 1]
    in_leaf = np.arange(start, stop)
    meets = _constraint_mask(catalog, in_leaf, kind, seed)
    siblings = np.flatnonzero((tree.parent[catalog.leaf] == tree.parent[leaf]) & (catalog.leaf != leaf))
    complements = np.flatnonzero(np.isin(catalog.leaf, tree.complements[leaf]))
    pools = (in_leaf[meets], np.concatenate([in_leaf[~meets], siblings]), complements, np.arange(catalog.n_items))
    picks = []
    for pool_id, count in enumerate(rng.multinomial(n, _POOL_SHARE)):
        pool = pools[pool_id] if len(pools[pool_id]) else pools[0]  # pools[0] always holds the seed item
        picks.append(pool[rng.integers(0, len(pool), size=count)])
    return np.unique(np.concatenate(picks))


def build_judgments(rng: np.random.Generator, tree: CategoryTree, catalog: Catalog, cfg: MarketplaceConfig) -> pl.DataFrame:
    """The judgments table (query, item_id, label) with ``cfg.n_queries`` queries."""
    leaf_size = np.diff(catalog.leaf_start)
    searched = leaf_size**0.7 / (leaf_size**0.7).sum()  # big categories are searched more, less than in proportion
    queries, item_rows, grades = [], [], []
    low, high = max(1, cfg.judgments_per_query // 2), cfg.judgments_per_query * 3 // 2
    for leaf in rng.choice(tree.n_leaves, size=cfg.n_queries, p=searched):
        seed = int(rng.integers(catalog.leaf_start[leaf], catalog.leaf_start[leaf + 1]))
        kind = _usable_kind(catalog, int(rng.choice(len(_KIND_SHARE), p=_KIND_SHARE)), seed)
        nouns = tree.leaves[leaf].nouns
        text = _query_text(catalog, kind, seed, nouns[rng.integers(0, len(nouns))])
        items = _judged_items(rng, tree, catalog, leaf, kind, seed, int(rng.integers(low, high + 1)))
        queries.append(np.full(len(items), text, dtype=object))
        item_rows.append(items)
        grades.append(label_items(tree, catalog, leaf, kind, seed, items))
    grade = np.concatenate(grades) if grades else np.empty(0, dtype=np.int64)
    # Annotators disagree: some labels move one grade up or down.
    noisy = rng.random(len(grade)) < cfg.label_noise
    grade = np.where(noisy, np.clip(grade + rng.choice([-1, 1], size=len(grade)), 0, len(LABEL_ORDER) - 1), grade)
    frame = pl.DataFrame(
        {
            C.QUERY: np.concatenate(queries) if queries else np.empty(0, dtype=object),
            C.ITEM_ID: catalog.item_ids[np.concatenate(item_rows)] if item_rows else np.empty(0, dtype=np.int64),
            C.LABEL: np.array(LABEL_ORDER, dtype=object)[grade],
        },
        schema={C.QUERY: pl.String, C.ITEM_ID: pl.Int64, C.LABEL: pl.String},
    )
    # The same query text can come up twice; keep one judgment per (query, item).
    return frame.unique(subset=[C.QUERY, C.ITEM_ID], keep="first", maintain_order=True)
