"""The catalogue: items with category, brand, attributes, title, description, price and latent traits.

Items are laid out leaf after leaf (internal index order); the public item ids
are a random permutation so ids carry no category or popularity signal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from longtail.data import columns as C
from longtail.data.synthetic.config import MarketplaceConfig
from longtail.data.synthetic.tree import CategoryTree, GroupedPool
from longtail.data.synthetic.vocab import COLOURS, MARKETING, UNBRANDED

# How often optional title parts appear: enough variety that titles are not templates.
_P_MARKETING, _P_ATTR1, _P_ATTR2, _P_SPEC, _P_SIZE = 0.12, 0.7, 0.25, 0.6, 0.5
_P_UNBRANDED, _P_NO_NOUN, _P_NOISE_OTHER_DEPT = 0.04, 0.06, 0.25


@dataclass(frozen=True)
class Catalog:
    """Items in internal order (sorted by leaf) with everything search and truth need."""

    item_ids: np.ndarray
    leaf: np.ndarray
    leaf_start: np.ndarray  # first internal index of each leaf; items of leaf l are [start[l], start[l+1])
    brand: np.ndarray  # index into brand_names
    brand_names: tuple[str, ...]
    colour: np.ndarray  # index into COLOURS, -1 for none
    attributes: np.ndarray  # (n, 2) flat indices into attribute_pool, -1 for none
    attribute_pool: GroupedPool
    quality: np.ndarray
    factors: np.ndarray
    popularity: np.ndarray  # exposure share the logging policy's popularity channel gives each item
    table: pl.DataFrame

    @property
    def n_items(self) -> int:
        """Number of items."""
        return len(self.item_ids)


def _title_case(words: np.ndarray) -> np.ndarray:
    out = words.copy()
    present = np.array([w is not None for w in words], dtype=bool)
    out[present] = [" ".join(t[:1].upper() + t[1:] for t in w.split()) for w in words[present]]
    return out


def _leaf_sizes(rng: np.random.Generator, tree: CategoryTree, cfg: MarketplaceConfig) -> np.ndarray:
    if cfg.n_items < tree.n_leaves:
        raise ValueError(f"n_items must be at least {tree.n_leaves} (one item per leaf category); got {cfg.n_items}")
    rank = rng.permutation(tree.n_leaves)
    weights = (rank + 1.0) ** -cfg.category_zipf
    return 1 + rng.multinomial(cfg.n_items - tree.n_leaves, weights / weights.sum())


def _brands(rng: np.random.Generator, tree: CategoryTree, dept: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    names = tuple(dict.fromkeys([b for d in tree.departments for b in d.brands] + [UNBRANDED]))
    code = {b: i for i, b in enumerate(names)}
    brand = np.empty(len(dept), dtype=np.int64)
    for d, department in enumerate(tree.departments):
        rows = np.flatnonzero(dept == d)
        share = 1.0 / np.arange(1, len(department.brands) + 1)  # a few brands dominate each department
        picks = rng.choice(len(department.brands), size=len(rows), p=share / share.sum())
        brand[rows] = np.array([code[department.brands[p]] for p in range(len(department.brands))])[picks]
    brand[rng.random(len(dept)) < _P_UNBRANDED] = code[UNBRANDED]
    return brand, names


def _listing_leaf(rng: np.random.Generator, tree: CategoryTree, leaf: np.ndarray, noise: float) -> np.ndarray:
    """Leaf whose noun the seller wrote: usually the item's own, sometimes a wrong one."""
    out = leaf.copy()
    noisy = np.flatnonzero(rng.random(len(leaf)) < noise)
    anywhere = rng.random(len(noisy)) < _P_NOISE_OTHER_DEPT
    out[noisy[anywhere]] = rng.integers(0, tree.n_leaves, anywhere.sum())
    same_dept = noisy[~anywhere]
    dept_leaves = GroupedPool.of([np.flatnonzero(tree.department == d) for d in range(tree.n_departments)])
    out[same_dept] = dept_leaves.words[dept_leaves.draw(rng, tree.department[leaf[same_dept]])].astype(np.int64)
    return out


def _prices(rng: np.random.Generator, tree: CategoryTree, leaf: np.ndarray, brand: np.ndarray, n_brands: int) -> np.ndarray:
    median = np.array([lf.median_price for lf in tree.leaves])[leaf]
    sigma = np.array([tree.departments[d].price_sigma for d in tree.department])[leaf]
    brand_tier = rng.lognormal(0.0, 0.25, n_brands)[brand]
    raw = median * brand_tier * rng.lognormal(0.0, sigma)
    # Shop prices end in .99 / .49 and round more coarsely as they grow.
    price = np.where(raw < 20, np.ceil(raw * 2) / 2, np.where(raw < 200, np.ceil(raw), np.ceil(raw / 10) * 10)) - 0.01
    return np.round(np.maximum(price, 0.49), 2)


def _latent_traits(rng: np.random.Generator, tree: CategoryTree, leaf: np.ndarray, brand: np.ndarray,
                   n_brands: int, n_factors: int) -> tuple[np.ndarray, np.ndarray]:
    """Factors nest department > leaf > item, so items of one category are alike."""
    dept_centre = rng.normal(0.0, 0.8, (tree.n_departments, n_factors))
    leaf_centre = dept_centre[tree.department] + rng.normal(0.0, 0.6, (tree.n_leaves, n_factors))
    factors = leaf_centre[leaf] + rng.normal(0.0, 0.6, (len(leaf), n_factors))
    quality = rng.normal(0.0, 0.3, n_brands)[brand] + rng.normal(0.0, 0.5, len(leaf))
    return factors, quality


def _popularity(rng: np.random.Generator, quality: np.ndarray, cfg: MarketplaceConfig) -> np.ndarray:
    """Zipf popularity over a ranking only loosely tied to quality: the old system's bestsellers."""
    rho = cfg.popularity_quality_corr
    z = (quality - quality.mean()) / (quality.std() + 1e-12)
    hype = rho * z + np.sqrt(1.0 - rho**2) * rng.standard_normal(len(quality))
    rank = np.empty(len(quality), dtype=np.int64)
    rank[np.argsort(-hype, kind="stable")] = np.arange(len(quality))
    weight = (rank + 1.0) ** -cfg.item_popularity_exponent
    return weight / weight.sum()


def _texts(rng: np.random.Generator, tree: CategoryTree, leaf: np.ndarray, brand_name: np.ndarray,
           colour: np.ndarray, attributes: np.ndarray, attr_pool: GroupedPool, noise: float) -> tuple[pl.Series, pl.Series]:
    n = len(leaf)
    dept = tree.department[leaf]
    nouns = GroupedPool.of([lf.nouns for lf in tree.leaves])
    noun = nouns.text(nouns.draw(rng, _listing_leaf(rng, tree, leaf, noise)))
    title_noun = _title_case(noun)
    branded = brand_name != UNBRANDED
    title_noun[(rng.random(n) < _P_NO_NOUN) & branded] = None  # the brand alone still names the listing
    brand_text = np.where(branded, brand_name, None)
    specs = GroupedPool.of([lf.specs for lf in tree.leaves])
    spec = specs.text(np.where(rng.random(n) < _P_SPEC, specs.draw(rng, leaf), -1))
    sizes = GroupedPool.of(tree.leaf_sizes())
    size = sizes.text(np.where(rng.random(n) < _P_SIZE, sizes.draw(rng, leaf), -1))
    marketing = np.where(rng.random(n) < _P_MARKETING, np.array(MARKETING, dtype=object)[rng.integers(0, len(MARKETING), n)], None)
    colour_text = np.where(colour >= 0, np.array(COLOURS, dtype=object)[np.maximum(colour, 0)], None)
    features = GroupedPool.of([d.features for d in tree.departments])
    parts = {
        "marketing": marketing, "brand": brand_text, "attr1": attr_pool.text(attributes[:, 0]),
        "attr2": attr_pool.text(attributes[:, 1]), "colour": colour_text, "noun": title_noun,
        "spec": spec, "size": size, "desc_noun": noun,
        "feature1": features.text(first := features.draw(rng, dept)),
        "feature2": features.text(np.where((second := features.draw(rng, dept)) == first, -1, second)),
    }
    # Via lists: polars reads an object array that starts with None as Object, not String.
    frame = pl.DataFrame([pl.Series(name, values.tolist(), dtype=pl.String) for name, values in parts.items()])
    title = frame.select(
        pl.concat_str(
            [pl.concat_str(["marketing", "brand", "attr1", "attr2", "colour", "noun", "spec"], separator=" ", ignore_nulls=True),
             pl.col("size")],
            separator=", ", ignore_nulls=True,
        )
    ).to_series()
    description = frame.select(
        pl.concat_str(
            [
                pl.col("desc_noun").str.slice(0, 1).str.to_uppercase() + pl.col("desc_noun").str.slice(1),
                pl.lit(" from "), pl.col("brand").fill_null("an independent maker"),
                pl.when(pl.col("colour").is_not_null()).then(pl.lit(" in ") + pl.col("colour").str.to_lowercase()),
                pl.lit(". "), pl.col("feature1"), pl.lit(". "), pl.col("feature2"), pl.lit("."),
            ],
            ignore_nulls=True,
        )
    ).to_series()
    return title, description


def build_catalog(rng: np.random.Generator, tree: CategoryTree, cfg: MarketplaceConfig) -> Catalog:
    """Draw the catalogue: leaf sizes, brands, attributes, texts, prices, latent traits, popularity."""
    sizes = _leaf_sizes(rng, tree, cfg)
    leaf = np.repeat(np.arange(tree.n_leaves), sizes)
    dept = tree.department[leaf]
    n = len(leaf)
    brand, brand_names = _brands(rng, tree, dept)
    attr_pool = GroupedPool.of([d.attributes for d in tree.departments])
    attributes = np.stack(
        [np.where(rng.random(n) < _P_ATTR1, attr_pool.draw(rng, dept), -1),
         np.where(rng.random(n) < _P_ATTR2, attr_pool.draw(rng, dept), -1)], axis=1)
    attributes[attributes[:, 1] == attributes[:, 0], 1] = -1
    colour_rate = np.array([d.colour_rate for d in tree.departments])[dept]
    colour_share = 1.0 / np.arange(1, len(COLOURS) + 1) ** 0.8  # black and white sell most
    colour = np.where(rng.random(n) < colour_rate,
                      rng.choice(len(COLOURS), size=n, p=colour_share / colour_share.sum()), -1)
    named = np.array(brand_names, dtype=object)[brand]
    title, description = _texts(rng, tree, leaf, named, colour, attributes, attr_pool, cfg.catalogue_noise)
    price = _prices(rng, tree, leaf, brand, len(brand_names))
    factors, quality = _latent_traits(rng, tree, leaf, brand, len(brand_names), cfg.n_factors)
    popularity = _popularity(rng, quality, cfg)
    item_ids = rng.permutation(n).astype(np.int64) + 1
    table = pl.DataFrame(
        {
            C.ITEM_ID: item_ids,
            C.TITLE: title,
            C.DESCRIPTION: description,
            C.CATEGORY: np.array(tree.paths, dtype=object)[leaf],
            C.BRAND: named,
            C.PRICE: price,
        },
        schema={C.ITEM_ID: pl.Int64, C.TITLE: pl.String, C.DESCRIPTION: pl.String, C.CATEGORY: pl.String,
                C.BRAND: pl.String, C.PRICE: pl.Float64},
    ).sort(C.ITEM_ID)
    return Catalog(
        item_ids=item_ids, leaf=leaf, leaf_start=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        brand=brand, brand_names=brand_names, colour=colour, attributes=attributes, attribute_pool=attr_pool,
        quality=quality, factors=factors, popularity=popularity, table=table,
    )
