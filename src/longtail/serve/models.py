"""Loading what MODEL_DIR serves: the catalogue, the users, and the recommend / rank / categorize models.

Models load through :func:`longtail.models.persist.load_model`
(safetensors + JSON, registered classes only, never pickle). Every file is
resolved inside MODEL_DIR first (:func:`longtail.serve.config.inside`).
Models that read embeddings (the embedding categoriser, the bi-encoder)
get them from the encoder ``serve.json`` names: ``"packaged"`` for the
packaged all-MiniLM-L6-v2 or a folder inside MODEL_DIR, whose weights must be
safetensors too (transformers would unpickle a ``pytorch_model.bin``).
Every model answers one probe request at load time, so a model that cannot
serve (wrong encoder, broken weights) stops the server before it binds.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from scipy import sparse

from longtail.data import columns as C
from longtail.errors import LongtailError
from longtail.models.persist import CONFIG_FILE, WEIGHTS_FILE, load_model
from longtail.serve.catalogue import Catalogue, IdIndex, load_catalogue, normalize_id
from longtail.serve.config import Manifest, inside, read_manifest

Embed = Callable[[list[str]], np.ndarray]
PACKAGED_ENCODER = "packaged"
# Weight formats that load through pickle (torch.load, joblib): refused in an encoder folder.
PICKLE_SUFFIXES = frozenset({".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib"})
PROBE_TEXT = "probe"


@dataclass
class Users:
    """The recommender's users (index), each known user's region, and their past items (never re-recommended)."""

    index: IdIndex | None
    regions: dict[Any, str]
    region_ids_integer: bool
    history: sparse.csr_matrix | None  # (recommender users, catalogue items)

    def region_of(self, user_id: Any) -> str | None:
        """The region the users table gives ``user_id``, or None."""
        return self.regions.get(normalize_id(user_id, self.region_ids_integer))

    def history_of(self, row: int | None) -> np.ndarray:
        """Item indices in the history of the recommender's user ``row`` (empty for None or no history)."""
        if row is None or self.history is None:
            return np.zeros(0, dtype=np.int64)
        return self.history.indices[self.history.indptr[row]:self.history.indptr[row + 1]].astype(np.int64)


@dataclass
class ServedModels:
    """Everything loaded from MODEL_DIR, ready to answer requests."""

    model_dir: Path
    manifest: Manifest
    catalogue: Catalogue
    users: Users
    recommender: Any = None
    ranker: Any = None
    grade_gains: np.ndarray | None = None  # gain of each of ranker.classes_
    categorizer: Any = None
    embed: Embed | None = None

    def rank_proba(self, queries: list[str], titles: list[str]) -> np.ndarray:
        """Grade probabilities of (query, title) pairs, (n, n_grades) in ``ranker.classes_`` order."""
        if reads_embeddings(self.ranker):
            return self.ranker.predict_proba(self.embed(queries), self.embed(titles))
        return self.ranker.predict_proba(queries, titles)

    def categorize_proba(self, titles: list[str]) -> np.ndarray:
        """Category probabilities of product titles, (n, n_categories) in ``categorizer.classes_`` order."""
        if reads_embeddings(self.categorizer):
            return self.categorizer.predict_proba(self.embed(titles))
        return self.categorizer.predict_proba(titles)


def reads_embeddings(model: Any) -> bool:
    """Whether ``model`` takes embedding vectors rather than texts."""
    from longtail.models.categorize import EmbeddingClassifier

    return isinstance(model, EmbeddingClassifier)


def load_served_model(model_dir: Path, relative: str, what: str, required: tuple[str, ...]) -> Any:
    """The model saved in MODEL_DIR/``relative``, its files checked to stay inside MODEL_DIR."""
    folder = inside(model_dir, relative, what, kind="folder")
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        inside(model_dir, str(Path(relative) / name), f"{what} {name}")
    try:
        model = load_model(folder)
    except LongtailError:
        raise
    except Exception as exc:  # safetensors, numpy and the model's own restore raise many kinds
        raise LongtailError(f"{folder}: cannot load the {what} ({type(exc).__name__}: {exc}); a served model must be "
                            f"a longtail model saved as {WEIGHTS_FILE} + {CONFIG_FILE} (pickle is never loaded)") from exc
    missing = [name for name in required if not hasattr(model, name)]
    if missing:
        raise LongtailError(f"{folder}: a {type(model).__name__} cannot serve as the {what} (it has no "
                            f"{', '.join(missing)}); save a model of the right kind there")
    return model


def _read_ids(path: Path, model: Any) -> tuple[list[Any], list[Any]]:
    try:
        ids = json.loads(path.read_text())
        user_ids, item_ids = list(ids["user_ids"]), list(ids["item_ids"])
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise LongtailError(f"{path}: needs JSON with lists 'user_ids' and 'item_ids' ({exc}); rebuild it") from exc
    if len(user_ids) != model.n_users_ or len(item_ids) != model.n_items_:
        raise LongtailError(
            f"{path}: lists {len(user_ids)} users and {len(item_ids)} items but the model was fitted on "
            f"{model.n_users_} and {model.n_items_}; write the ids the model was trained with"
        )
    return user_ids, item_ids


def _grade_gains(manifest: Manifest, classes: np.ndarray, where: Path) -> np.ndarray:
    """The gain of each grade the ranker predicts: serve.json's ``rank.grades``, else the grade as a number."""
    grades = manifest.rank.grades
    labels = [str(label) for label in classes.tolist()]
    if grades is not None:
        missing = [label for label in labels if label not in grades]
        if missing:
            raise LongtailError(f"{where}: rank.grades has no gain for grade(s) {missing}; list every grade of the model")
        return np.asarray([grades[label] for label in labels], dtype=np.float64)
    try:
        return np.asarray([float(label) for label in labels], dtype=np.float64)
    except ValueError:
        raise LongtailError(f"{where}: the ranker's grades {labels} are not numbers; give rank.grades "
                            "(a gain per grade, e.g. {\"irrelevant\": 0, \"exact\": 3})") from None


def _users(model_dir: Path, manifest: Manifest, user_ids: list[Any] | None, catalogue: Catalogue) -> Users:
    index = IdIndex(user_ids) if user_ids is not None else None
    regions: dict[Any, str] = {}
    integer = bool(index.integer) if index is not None else False
    if manifest.users is not None:
        table = pl.read_parquet(inside(model_dir, manifest.users, "users table"))
        if C.USER_ID in table.columns and C.REGION in table.columns:
            integer = table.schema[C.USER_ID].is_integer()
            regions = {key: str(region) for key, region in table.select(C.USER_ID, C.REGION).drop_nulls().iter_rows()}
    history = None
    if manifest.history is not None and index is not None:
        pairs = pl.read_parquet(inside(model_dir, manifest.history, "history"))
        rows = index.positions(pairs.get_column(C.USER_ID).to_list())
        cols = catalogue.items.positions(pairs.get_column(C.ITEM_ID).to_list())
        keep = (rows >= 0) & (cols >= 0)
        history = sparse.csr_matrix((np.ones(int(keep.sum()), dtype=np.float32), (rows[keep], cols[keep])),
                                    shape=(len(index), catalogue.n_items))
        history.sum_duplicates()
    return Users(index=index, regions=regions, region_ids_integer=integer, history=history)


def _encoder(model_dir: Path, name: str | None, wanted_by: str) -> Embed:
    if name is None:
        raise LongtailError(f"{model_dir}: the {wanted_by} reads text embeddings, but serve.json names no 'encoder'; "
                            f"set it to \"{PACKAGED_ENCODER}\" or to a model folder inside MODEL_DIR")
    from longtail.encoders import TransformerEncoder

    model = None if name == PACKAGED_ENCODER else inside(model_dir, name, "encoder", kind="folder")
    if model is not None:
        _check_encoder_folder(model_dir, model)
    return TransformerEncoder(model, device="cpu", cache_dir=False, progress=False).encode


def _check_encoder_folder(model_dir: Path, folder: Path) -> None:
    """Every entry of the encoder folder stays inside MODEL_DIR and the weights are safetensors, not pickle."""
    root = model_dir.resolve()
    weights = 0
    for parent, dirs, files in os.walk(folder):  # links are not followed: each one is checked below
        for name in dirs + files:
            path = Path(parent) / name
            relative = path.relative_to(folder)
            if not path.resolve().is_relative_to(root):
                raise LongtailError(f"{folder}: encoder file '{relative}' leads outside MODEL_DIR; "
                                    "copy the encoder's files into the folder instead of linking them")
            if path.suffix.lower() in PICKLE_SUFFIXES:
                raise LongtailError(f"{folder}: encoder file '{relative}' is a pickle-based weight file, which the "
                                    "service never loads; export the encoder as model.safetensors")
            weights += path.suffix.lower() == ".safetensors"
    if not weights:
        raise LongtailError(f"{folder}: the encoder folder holds no .safetensors weights; export the encoder with them")


def _probe(served: "ServedModels") -> None:
    """Ask every loaded model for one answer and check its shape, so a model that cannot serve fails at start-up."""
    checks: list[tuple[str, Any, Callable[[], Any], tuple[int, ...]]] = []
    if served.recommender is not None and served.users.index is not None and len(served.users.index):
        checks.append(("recommend model", served.recommender, lambda: served.recommender.scores(np.asarray([0])),
                       (1, served.catalogue.n_items)))
    if served.ranker is not None:
        checks.append(("rank model", served.ranker, lambda: served.rank_proba([PROBE_TEXT], [PROBE_TEXT]),
                       (1, served.grade_gains.size)))
    if served.categorizer is not None:
        checks.append(("categorize model", served.categorizer, lambda: served.categorize_proba([PROBE_TEXT]),
                       (1, len(served.categorizer.classes_))))
    for what, model, answer, shape in checks:
        try:
            got = tuple(np.shape(answer()))
        except Exception as exc:  # whatever the model raises, the message names the model and the likely cause
            hint = " (is serve.json's encoder the one it was trained with?)" if reads_embeddings(model) else ""
            raise LongtailError(f"{served.model_dir}: the {what} fails on a probe request{hint}: "
                                f"{type(exc).__name__}: {exc}") from exc
        if got != shape:
            raise LongtailError(f"{served.model_dir}: the {what} answers a probe request with shape {got}, "
                                f"not {shape}; rebuild the folder with the model it was trained with")


def load_served(model_dir: str | Path, *, embed: Embed | None = None) -> ServedModels:
    """Read MODEL_DIR (see docs/serving.md); ``embed`` overrides the encoder serve.json names."""
    model_dir = Path(model_dir)
    manifest = read_manifest(model_dir)
    recommender, user_ids, item_ids = None, None, None
    if manifest.recommend is not None:
        recommender = load_served_model(model_dir, manifest.recommend.path, "recommend model", ("scores", "n_items_"))
        user_ids, item_ids = _read_ids(inside(model_dir, manifest.recommend.ids, "recommend ids"), recommender)
    region_path = None if manifest.region_popularity is None else inside(model_dir, manifest.region_popularity, "region popularity")
    catalogue = load_catalogue(inside(model_dir, manifest.catalogue, "catalogue"), manifest.category_sep, item_ids, region_path)
    served = ServedModels(model_dir, manifest, catalogue, _users(model_dir, manifest, user_ids, catalogue), recommender)
    if manifest.rank is not None:
        served.ranker = load_served_model(model_dir, manifest.rank.path, "rank model", ("predict_proba", "classes_"))
        served.grade_gains = _grade_gains(manifest, served.ranker.classes_, model_dir / "serve.json")
    if manifest.categorize is not None:
        served.categorizer = load_served_model(model_dir, manifest.categorize.path, "categorize model",
                                               ("predict_proba", "classes_"))
    readers = [what for what, model in (("rank model", served.ranker), ("categorize model", served.categorizer))
               if model is not None and reads_embeddings(model)]
    if readers:
        served.embed = embed or _encoder(model_dir, manifest.encoder, readers[0])
    _probe(served)
    return served
