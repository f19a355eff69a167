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
      encoder/                   the text encoder (safetensors), when a model reads embeddings

:func:`build_model_dir` takes fitted models or the folders they were saved
to; :func:`build_from_bench` picks them out of a ``longtail bench
--save-models`` results folder (``longtail serve-build`` on the command line).
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
ENCODER_FOLDER = "encoder"
# the task folders of a bench run that the service can serve, and the serve.json entry each fills
BENCH_TASKS = {"recommend": "recommend", "relevance": "rank", "categorize": "categorize"}


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


def _rerank_entry(model: Any, lam: float | None, method: str | None) -> RerankEntry:
    """The default re-ranking: as given, else the recommender's own re-ranker (a strategy's adjust slot), else none.

    A model trained with an exposure re-ranking strategy was evaluated with
    its lists re-ranked; serving it with the same lambda and method keeps
    the served lists the ones the benchmark scored.
    """
    own = getattr(model, "reranker_", None)
    entry: dict[str, Any] = {}
    if own is not None:
        entry = {"lam": float(own.lam), "method": own.method}
        if own.n_candidates is not None:
            entry["n_candidates"] = int(own.n_candidates)
    if lam is not None:
        entry["lam"] = lam
    if method is not None:
        entry["method"] = method
    return RerankEntry(**entry)


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
    rerank_lambda: float | None = None,
    rerank_method: str | None = None,
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
    ``rerank_lambda`` / ``rerank_method`` set the default exposure re-ranking;
    left out, a recommender trained with a re-ranking strategy keeps its own
    settings, any other gets lambda 0 (plain top-k) and xQuAD.
    """
    dest = Path(dest)
    if (dest / MANIFEST_FILE).exists() and not overwrite:
        raise LongtailError(f"{dest} already holds a {MANIFEST_FILE}; pass overwrite=True (--overwrite) or choose another folder")
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
    recommender = None
    if recommend_model is not None:
        recommender = _place_model(recommend_model, dest / "recommend", "recommend model")
        _recommend_ids(recommender, dest / "recommend", dataset, recommend_ids)
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
        rerank=_rerank_entry(recommender, rerank_lambda, rerank_method), limits=Limits(**(limits or {})), **entries,
    )
    (dest / MANIFEST_FILE).write_text(json.dumps(manifest.model_dump(by_alias=True, exclude_none=True), indent=2))
    return dest


# --------------------------------------------------------------------- from a bench run
@dataclass(frozen=True)
class BenchChoice:
    """A saved model of a bench run: its task folder name, model, strategy, seed and folder."""

    task: str
    model: str
    strategy: str
    seed: str
    folder: Path

    @property
    def label(self) -> str:
        return f"{self.model}/{self.strategy}/{self.seed}"


def _saved_models(task_root: Path) -> list[BenchChoice]:
    """Every ``<model>/<strategy>/seed<k>`` folder under a task folder that holds a saved model."""
    found = []
    for folder in sorted(task_root.glob("*/*/seed*")):
        if (folder / CONFIG_FILE).is_file() and (folder / WEIGHTS_FILE).is_file():
            model, strategy, seed = folder.relative_to(task_root).parts
            found.append(BenchChoice(task_root.name, model, strategy, seed, folder))
    return found


def _choose(task_root: Path, option: str, wanted: str | None, strategy: str | None, seed: int | None) -> BenchChoice:
    """The one saved model of the task that matches ``wanted`` (``MODEL[/STRATEGY[/seedK]]``) and the filters."""
    parts: list[str | None] = [] if wanted is None else [part for part in wanted.strip("/").split("/") if part]
    if len(parts) > 3:
        raise LongtailError(f"{option} {wanted!r}: give MODEL, MODEL/STRATEGY or MODEL/STRATEGY/seedK")
    parts += [None] * (3 - len(parts))
    for position, value, flag in ((1, strategy, "--strategy"), (2, None if seed is None else f"seed{seed}", "--seed")):
        if value is not None:
            if parts[position] not in (None, value):
                raise LongtailError(f"{option} {wanted!r} and {flag} {value} disagree; give one of them")
            parts[position] = value
    found = _saved_models(task_root)
    matches = [c for c in found if all(want in (None, got) for want, got in zip(parts, (c.model, c.strategy, c.seed)))]
    if len(matches) == 1:
        return matches[0]
    pattern = "/".join(part or "*" for part in parts)
    if not matches:
        raise LongtailError(f"{task_root}: no saved model matches {pattern} (saved: "
                            f"{', '.join(c.label for c in found) or 'none'}); choose one with {option} MODEL/STRATEGY/seedK")
    raise LongtailError(f"{task_root}: {len(matches)} saved models match {pattern} ({', '.join(c.label for c in matches)}); "
                        f"choose one with {option} MODEL/STRATEGY/seedK, --strategy or --seed")


def _bench_encoder(spec: Any, override: str | os.PathLike | None) -> str | Path:
    """The encoder for models that read embeddings: ``"packaged"`` or the local folder to copy into MODEL_DIR."""
    from longtail.serve.models import PACKAGED_ENCODER

    if override is None:
        if not spec.encoder.enabled:
            raise LongtailError(
                "the bench ran with the encoder off (spec encoder.enabled: false), so a model that reads embeddings "
                "was fitted on TF-IDF vectors the run did not keep and cannot be served; rerun the bench with the "
                "encoder on, or name only the tasks to serve (--recommend, --rank, --categorize)"
            )
        override = PACKAGED_ENCODER if spec.encoder.model is None else spec.encoder.model
    if str(override) == PACKAGED_ENCODER:
        return PACKAGED_ENCODER
    source = Path(override).expanduser()
    if not source.is_dir():
        raise LongtailError(f"encoder {str(override)!r} is not a local model folder; pass --encoder packaged or "
                            "--encoder PATH of the folder the bench's encoder was loaded from")
    return source


def _copy_encoder(source: Path, dest: Path) -> str:
    """Copy an encoder folder into MODEL_DIR (links resolved: the service refuses files that lead outside it)."""
    target = dest / ENCODER_FOLDER
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, symlinks=False)
    return ENCODER_FOLDER


def build_from_bench(
    bench_dir: str | os.PathLike,
    dest: str | os.PathLike,
    *,
    dataset: str | None = None,
    recommend: str | None = None,
    rank: str | None = None,
    categorize: str | None = None,
    strategy: str | None = None,
    seed: int | None = None,
    tasks: tuple[str, ...] | None = None,
    encoder: str | os.PathLike | None = None,
    rerank_lambda: float | None = None,
    rerank_method: str | None = None,
    limits: dict[str, int] | None = None,
    overwrite: bool = False,
) -> tuple[Path, list[BenchChoice]]:
    """Write MODEL_DIR ``dest`` from the models a ``longtail bench --save-models`` run kept in ``bench_dir``.

    The dataset is loaded again from the run's ``spec.yaml`` (``dataset``:
    its label, needed when the run kept models of several). ``recommend``,
    ``rank`` (the relevance task) and ``categorize`` pick a saved model as
    ``MODEL``, ``MODEL/STRATEGY`` or ``MODEL/STRATEGY/seedK``; ``strategy``
    and ``seed`` narrow every choice. Serves the tasks in ``tasks`` (names
    of :data:`BENCH_TASKS`; default: those picked, else every task the run
    saved models for); each must come down to exactly one saved model.
    Models that read embeddings get the bench's encoder (``encoder``
    overrides it: ``"packaged"`` or a local folder, copied in). Returns the
    folder and the models chosen.
    """
    from longtail.bench.spec import load_spec
    from longtail.bench.trials import load_dataset
    from longtail.serve.models import reads_embeddings

    bench_dir, dest = Path(bench_dir), Path(dest)
    spec_path, models_root = bench_dir / "spec.yaml", bench_dir / "models"
    if not spec_path.is_file():
        raise LongtailError(f"{bench_dir}: no spec.yaml; give the results folder of a `longtail bench` run")
    if not models_root.is_dir():
        raise LongtailError(f"{bench_dir}: no models/ folder; run the bench with --save-models to keep the fitted models")
    spec = load_spec(spec_path)
    keys = sorted(folder.name for folder in models_root.iterdir() if folder.is_dir())
    if dataset is None:
        if len(keys) != 1:
            raise LongtailError(f"{models_root}: models of {len(keys)} datasets ({', '.join(keys) or 'none'}); "
                                "choose one with --dataset LABEL")
        dataset = keys[0]
    entry = next((d for d in spec.datasets if d.key == dataset), None)
    if entry is None or dataset not in keys:
        raise LongtailError(f"{bench_dir}: no saved models of dataset '{dataset}' (saved: {', '.join(keys) or 'none'})")
    root = models_root / dataset
    wanted = {"recommend": recommend, "relevance": rank, "categorize": categorize}
    unknown = sorted(set(tasks or ()) - set(BENCH_TASKS))
    if unknown:
        raise LongtailError(f"task '{unknown[0]}' cannot be served; choose from {', '.join(BENCH_TASKS)}")
    picked = [task for task, value in wanted.items() if value is not None]
    if tasks is None:
        tasks = tuple(picked) or tuple(task for task in BENCH_TASKS if (root / task).is_dir())
    left_out = [task for task in picked if task not in tasks]
    if left_out:
        raise LongtailError(f"a {left_out[0]} model was chosen but the tasks to serve are {', '.join(tasks)}; "
                            f"add {left_out[0]} to them")
    if not tasks:
        raise LongtailError(f"{root}: no saved recommend, relevance or categorize models to serve")
    options = {"recommend": "--recommend", "relevance": "--rank", "categorize": "--categorize"}
    chosen = []
    for task in tasks:
        if not (root / task).is_dir():
            raise LongtailError(f"{root}: the run saved no {task} models (saved: "
                                f"{', '.join(sorted(f.name for f in root.iterdir())) or 'none'})")
        chosen.append(_choose(root / task, options[task], wanted[task], strategy, seed))
    if (dest / MANIFEST_FILE).exists() and not overwrite:
        raise LongtailError(f"{dest} already holds a {MANIFEST_FILE}; pass overwrite=True (--overwrite) or choose another folder")
    needs_encoder = any(reads_embeddings(load_model(choice.folder)) for choice in chosen if choice.task != "recommend")
    served_encoder = _bench_encoder(spec, encoder) if needs_encoder else None
    data = load_dataset(entry)
    folders = {BENCH_TASKS[choice.task]: choice.folder for choice in chosen}
    dest.mkdir(parents=True, exist_ok=True)
    if isinstance(served_encoder, Path):
        served_encoder = _copy_encoder(served_encoder, dest)
    build_model_dir(
        dest, data, folders.get("recommend"), folders.get("rank"), folders.get("categorize"),
        encoder=served_encoder, rerank_lambda=rerank_lambda, rerank_method=rerank_method, limits=limits,
        name=f"{spec.name or 'bench'}:{dataset}", overwrite=True,
    )
    return dest, chosen
