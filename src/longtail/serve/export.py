"""Write a MODEL_DIR the service can load, from a Dataset and fitted (or saved) models.

Layout (docs/serving.md)::

    MODEL_DIR/
      serve.json                 what is where, default re-rank lambda, limits
      catalogue.parquet          item_id, title, category, popularity (distinct users)
      users.parquet              user_id, region (when the data has regions)
      region_popularity.parquet  region, item_id, count (distinct users per region)
      history.parquet            user_id, item_id: pairs never recommended again
      recommend/                 model.safetensors, config.json, ids.json
      rank/                      model.safetensors, config.json
      categorize/                model.safetensors, config.json
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from longtail.data import Dataset
from longtail.data import columns as C
from longtail.errors import LongtailError
from longtail.models.persist import CONFIG_FILE, WEIGHTS_FILE, load_model
from longtail.serve.catalogue import COUNT, POPULARITY
from longtail.serve.config import (
    MANIFEST_FILE,
    CategorizeEntry,
    Limits,
    Manifest,
    RankEntry,
    RecommendEntry,
    RerankEntry,
)

IDS_FILE = "ids.json"


@dataclass(frozen=True)
class IndexedInteractions:
    """A dataset's distinct (user, item) pairs as indices, with the ids behind each index."""

    user_ids: np.ndarray
    item_ids: np.ndarray  # catalogue items first, then items seen only in interactions
    users: np.ndarray
    items: np.ndarray

    @property
    def n_users(self) -> int:
        return int(self.user_ids.size)

    @property
    def n_items(self) -> int:
        return int(self.item_ids.size)


def index_interactions(dataset: Dataset) -> IndexedInteractions:
    """Index every distinct (user, item) pair the way the recommend task does, to train a model to serve."""
    from longtail.data.splits import Split
    from longtail.tasks.recommend import index_split

    empty = dataset.replace(interactions=dataset.interactions.clear())
    ix = index_split(Split(train=dataset, test=empty))
    return IndexedInteractions(ix.user_ids, ix.item_ids, ix.train_users, ix.train_items)


def _user_regions(dataset: Dataset) -> pl.DataFrame | None:
    """user_id, region: the users table's, else each user's latest interaction's."""
    if dataset.users is not None and C.REGION in dataset.users.columns:
        return dataset.users.select(C.USER_ID, pl.col(C.REGION).cast(pl.String)).drop_nulls()
    if C.REGION in dataset.interactions.columns:
        return (dataset.interactions.sort(C.TIMESTAMP).group_by(C.USER_ID)
                .agg(pl.col(C.REGION).drop_nulls().last().cast(pl.String)).drop_nulls())
    return None


def _catalogue(dataset: Dataset, pairs: pl.DataFrame) -> pl.DataFrame:
    popularity = pairs.group_by(C.ITEM_ID).agg(pl.len().cast(pl.Int64).alias(POPULARITY))
    columns = [C.ITEM_ID, C.TITLE] + ([C.CATEGORY] if C.CATEGORY in dataset.items.columns else [])
    return (dataset.items.select(columns).join(popularity, on=C.ITEM_ID, how="left", maintain_order="left")
            .with_columns(pl.col(POPULARITY).fill_null(0)))


def _region_popularity(dataset: Dataset, regions: pl.DataFrame | None) -> pl.DataFrame | None:
    inter = dataset.interactions
    if C.REGION in inter.columns:
        located = inter.select(C.USER_ID, C.ITEM_ID, pl.col(C.REGION).cast(pl.String))
    elif regions is not None:
        located = inter.select(C.USER_ID, C.ITEM_ID).join(regions, on=C.USER_ID)
    else:
        return None
    return (located.drop_nulls(C.REGION).unique([C.USER_ID, C.ITEM_ID, C.REGION])
            .group_by(C.REGION, C.ITEM_ID).agg(pl.len().cast(pl.Int64).alias(COUNT)).sort(C.REGION, C.ITEM_ID))


def _place_model(model: Any, folder: Path, what: str) -> Any:
    """Save ``model`` (fitted object) or copy a saved model folder into ``folder``; returns the loaded model."""
    if isinstance(model, (str, os.PathLike)):
        source = Path(model)
        for name in (CONFIG_FILE, WEIGHTS_FILE):
            if not (source / name).is_file():
                raise LongtailError(f"{source}: not a saved model folder (no {name}); pass a fitted model or a folder it saved")
        folder.mkdir(parents=True, exist_ok=True)
        for name in (CONFIG_FILE, WEIGHTS_FILE, IDS_FILE):
            if (source / name).is_file():
                shutil.copyfile(source / name, folder / name)
        return load_model(folder)
    if not hasattr(model, "save"):
        raise LongtailError(f"the {what} ({type(model).__name__}) has no save(); pass a fitted longtail model")
    model.save(folder)
    return model


def _recommend_ids(model: Any, folder: Path, dataset: Dataset, ids: tuple[Any, Any] | None) -> None:
    """Write ids.json: the ids given, those copied with a saved model, or the dataset's own index."""
    if ids is None and (folder / IDS_FILE).is_file():
        return
    if ids is None:
        ix = index_interactions(dataset)
        ids = (ix.user_ids, ix.item_ids)
    user_ids, item_ids = (np.asarray(part).tolist() for part in ids)
    if len(user_ids) != model.n_users_ or len(item_ids) != model.n_items_:
        raise LongtailError(
            f"the recommend model was fitted on {model.n_users_} users and {model.n_items_} items but the ids list "
            f"{len(user_ids)} and {len(item_ids)}; pass recommend_ids=(user_ids, item_ids) as used in training"
        )
    (folder / IDS_FILE).write_text(json.dumps({"user_ids": user_ids, "item_ids": item_ids}))


def _is_number(label: Any) -> bool:
    try:
        float(label)
    except (TypeError, ValueError):
        return False
    return True


def _default_grades(dataset: Dataset, model: Any, grades: dict[str, float] | None) -> dict[str, float] | None:
    """Gain per grade: as given, else the position in the dataset's label order; None when grades are numbers."""
    if grades is not None:
        return {str(k): float(v) for k, v in grades.items()}
    order = dataset.meta.get("label_order")
    if order:
        return {str(label): float(gain) for gain, label in enumerate(order)}
    if all(_is_number(label) for label in model.classes_.tolist()):
        return None
    raise LongtailError("the rank model's grades are not numbers and the dataset has no meta['label_order']; "
                        "pass grades={label: gain}")


def build_model_dir(
    dest: str | os.PathLike,
    dataset: Dataset,
    recommend_model: Any = None,
    rank_model: Any = None,
    categorize_model: Any = None,
    *,
    recommend_ids: tuple[Any, Any] | None = None,
    grades: dict[str, float] | None = None,
    encoder: str | None = None,
    rerank_lambda: float = 0.0,
    rerank_method: str = "xquad",
    limits: dict[str, int] | None = None,
    name: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write MODEL_DIR ``dest`` for ``longtail serve`` (layout in the module docstring).

    Each model is a fitted longtail model or the folder it was saved to.
    ``recommend_ids`` = (user_ids, item_ids) in the recommender's index order;
    by default a saved folder's ids.json, else :func:`index_interactions` of
    ``dataset``. ``grades`` gives each relevance grade its gain (default: the
    position in ``dataset.meta['label_order']``). ``encoder`` (``"packaged"``
    or a folder inside ``dest``) feeds models that read embeddings.
    """
    dest = Path(dest)
    if (dest / MANIFEST_FILE).exists() and not overwrite:
        raise LongtailError(f"{dest} already holds a {MANIFEST_FILE}; pass overwrite=True or choose another folder")
    dest.mkdir(parents=True, exist_ok=True)
    pairs = dataset.interactions.select(C.USER_ID, C.ITEM_ID).unique()
    _catalogue(dataset, pairs).write_parquet(dest / "catalogue.parquet")
    regions = _user_regions(dataset)
    entries: dict[str, Any] = {}
    if regions is not None:
        regions.write_parquet(dest / "users.parquet")
        entries["users"] = "users.parquet"
    located = _region_popularity(dataset, regions)
    if located is not None:
        located.write_parquet(dest / "region_popularity.parquet")
        entries["region_popularity"] = "region_popularity.parquet"
    if recommend_model is not None:
        model = _place_model(recommend_model, dest / "recommend", "recommend model")
        _recommend_ids(model, dest / "recommend", dataset, recommend_ids)
        pairs.sort(C.USER_ID, C.ITEM_ID).write_parquet(dest / "history.parquet")
        entries.update(recommend=RecommendEntry(), history="history.parquet")
    if rank_model is not None:
        model = _place_model(rank_model, dest / "rank", "rank model")
        entries["rank"] = RankEntry(grades=_default_grades(dataset, model, grades))
    if categorize_model is not None:
        _place_model(categorize_model, dest / "categorize", "categorize model")
        entries["categorize"] = CategorizeEntry()
    manifest = Manifest(
        name=name or dataset.name, category_sep=dataset.category_sep, encoder=encoder,
        rerank=RerankEntry(lam=rerank_lambda, method=rerank_method), limits=Limits(**(limits or {})), **entries,
    )
    (dest / MANIFEST_FILE).write_text(json.dumps(manifest.model_dump(by_alias=True, exclude_none=True), indent=2))
    return dest
