"""What a served MODEL_DIR holds (``serve.json``) and how the server runs (:class:`ServeConfig`).

``serve.json`` names every file the service reads, relative to MODEL_DIR;
:func:`inside` resolves each one (symlinks included) and refuses any path
that would leave MODEL_DIR, so a model folder cannot make the server read
arbitrary files. The layout is documented in docs/serving.md.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from longtail.errors import LongtailError

MANIFEST_FILE = "serve.json"
FORMAT_VERSION = 1
TOKEN_ENV = "LONGTAIL_TOKEN"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RecommendEntry(_Strict):
    """The recommender: its model folder and the JSON file mapping its indices to user and item ids."""

    path: str = "recommend"
    ids: str = "recommend/ids.json"


class RankEntry(_Strict):
    """The relevance model: its folder, the gain of each grade and how many text matches it re-scores."""

    path: str = "rank"
    grades: Optional[dict[str, float]] = None
    candidates: int = Field(100, ge=1, le=10_000)


class CategorizeEntry(_Strict):
    """The product categoriser's model folder."""

    path: str = "categorize"


class RerankEntry(_Strict):
    """Default exposure-aware re-ranking (``lambda`` 0 = plain top-k by score)."""

    lam: float = Field(0.0, ge=0.0, le=1.0, alias="lambda")
    method: Literal["xquad", "calibrated"] = "xquad"
    n_candidates: int = Field(100, ge=1, le=100_000)
    head_share: float = Field(0.2, gt=0.0, lt=1.0)


class Limits(_Strict):
    """Per-request limits; a request beyond one gets a 4xx answer naming it."""

    max_k: int = Field(100, ge=1)
    max_events: int = Field(1000, ge=1)
    max_titles: int = Field(256, ge=1)
    max_rank_items: int = Field(1000, ge=1)
    max_body_bytes: int = Field(1_000_000, ge=1024)


class Manifest(_Strict):
    """The parsed ``serve.json``; every path is relative to MODEL_DIR."""

    format_version: Literal[1] = FORMAT_VERSION
    name: str = "longtail"
    catalogue: str = "catalogue.parquet"
    users: Optional[str] = None
    history: Optional[str] = None
    region_popularity: Optional[str] = None
    category_sep: str = " > "
    recommend: Optional[RecommendEntry] = None
    rank: Optional[RankEntry] = None
    categorize: Optional[CategorizeEntry] = None
    encoder: Optional[str] = None
    exclude_seen: bool = True
    rerank: RerankEntry = RerankEntry()
    limits: Limits = Limits()


def inside(model_dir: Path, relative: str, what: str, *, kind: str = "file") -> Path:
    """``model_dir / relative`` resolved, checked to stay inside ``model_dir`` and to exist as a ``kind``.

    Symlinks are followed before the check, so a link pointing out of
    MODEL_DIR is refused like a ``..`` path.
    """
    root = model_dir.resolve()
    if Path(relative).is_absolute():
        raise LongtailError(f"{model_dir / MANIFEST_FILE}: {what} path '{relative}' is absolute; give it relative to MODEL_DIR")
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise LongtailError(f"{model_dir / MANIFEST_FILE}: {what} path '{relative}' leads outside MODEL_DIR; "
                            "keep every served file inside the model folder")
    exists = path.is_dir() if kind == "folder" else path.is_file()
    if not exists:
        raise LongtailError(f"{model_dir}: {what} {kind} '{relative}' is missing; rebuild the folder with build_model_dir")
    return path


def read_manifest(model_dir: str | os.PathLike) -> Manifest:
    """Parse and validate MODEL_DIR/serve.json; LongtailError naming the file and the field otherwise."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise LongtailError(f"{model_dir}: no such model folder; write one with longtail.serve.export.build_model_dir")
    path = model_dir / MANIFEST_FILE
    if not path.is_file():
        raise LongtailError(f"{path}: missing; a served model folder needs a {MANIFEST_FILE} (see docs/serving.md)")
    try:
        return Manifest.model_validate(json.loads(path.read_text()))
    except json.JSONDecodeError as exc:
        raise LongtailError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}); fix or rebuild it") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise LongtailError(f"{path}: field '{where}': {first['msg']}; fix it (see docs/serving.md)") from exc


@dataclass(frozen=True)
class ServeConfig:
    """How the service runs, apart from what MODEL_DIR says.

    ``token``: bearer token every endpoint but /healthz requires (None: no
    auth). ``journal``: the SQLite event journal (default
    MODEL_DIR/events.sqlite). Statistics cover the last ``window_seconds``,
    kept in ``window_buckets`` slices. ``frequency_alpha`` is the moving-average
    rate of the item-frequency estimator, ``weight_beta`` the effective-number
    beta of the online class weights. Shutdown waits up to ``drain_seconds``
    for requests in flight.
    """

    token: str | None = None
    journal: Path | None = None
    window_seconds: float = 600.0
    window_buckets: int = 60
    frequency_alpha: float = 0.01
    weight_beta: float = 0.999
    drain_seconds: float = 10.0

    def __post_init__(self) -> None:
        if self.token is not None and not self.token.strip():
            raise LongtailError("the bearer token is empty; pass a non-empty --token or unset LONGTAIL_TOKEN")
        checks = {
            "window_seconds": math.isfinite(self.window_seconds) and self.window_seconds > 0,
            "window_buckets": isinstance(self.window_buckets, int) and self.window_buckets >= 1,
            "frequency_alpha": 0 < self.frequency_alpha <= 1,
            "weight_beta": 0 <= self.weight_beta < 1,
            "drain_seconds": self.drain_seconds >= 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"{bad[0]}={getattr(self, bad[0])!r} is out of range; see ServeConfig's docstring")

    @classmethod
    def from_env(cls, token: str | None = None, **options) -> "ServeConfig":
        """A config whose token is ``token``, else the LONGTAIL_TOKEN environment variable, else none."""
        return cls(token=token if token is not None else (os.environ.get(TOKEN_ENV) or None), **options)
