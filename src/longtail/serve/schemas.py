"""Request and response bodies of the HTTP API (pydantic), with the static checks on every field.

Limits that depend on MODEL_DIR (largest ``k``, batch sizes) are checked by
the service against ``serve.json``'s ``limits``; the bounds here only keep
absurd values (huge strings, negative positions) out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, model_validator

Id = Union[StrictInt, Annotated[str, StringConstraints(min_length=1, max_length=256)]]
Text = Annotated[str, StringConstraints(max_length=2000)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecommendRequest(_Body):
    """Top-``k`` items for a user; ``region`` and ``query`` help when the user is new."""

    user_id: Id
    k: int = Field(10, ge=1)
    exclude: list[Id] = Field(default_factory=list, max_length=10_000)
    rerank_lambda: Optional[float] = Field(None, ge=0.0, le=1.0)
    region: Optional[Name] = None
    query: Optional[Text] = None


class ScoredItem(BaseModel):
    """An item in a recommendation list, with the model's score."""

    item_id: Id
    score: float
    title: str
    category: str


class RecommendResponse(BaseModel):
    """A recommendation list; ``cold_start`` says the user was unknown and ``cold_start_source`` what was used."""

    user_id: Id
    items: list[ScoredItem]
    cold_start: bool
    cold_start_source: Optional[Literal["text", "region", "popular"]] = None
    rerank_lambda: float
    excluded_unknown: int = 0


class RankRequest(_Body):
    """Rank ``item_ids`` for ``query``, or, with ``k``, the best ``k`` items of the catalogue."""

    query: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    item_ids: Optional[list[Id]] = Field(None, min_length=1)
    k: Optional[int] = Field(None, ge=1)
    rerank_lambda: Optional[float] = Field(None, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _one_of(self) -> "RankRequest":
        if (self.item_ids is None) == (self.k is None):
            raise ValueError("give exactly one of item_ids (items to rank) or k (best k of the catalogue)")
        return self


class RankedItem(BaseModel):
    """An item ranked by its expected relevance grade."""

    item_id: Id
    title: str
    expected_grade: float
    grade: str
    probabilities: dict[str, float]


class RankResponse(BaseModel):
    """Items best first; ``candidates`` is how many items the relevance model scored."""

    query: str
    items: list[RankedItem]
    candidates: int
    rerank_lambda: float


class CategorizeRequest(_Body):
    """Product titles to categorise; ``top`` categories are listed per title."""

    titles: list[Text] = Field(min_length=1)
    top: int = Field(3, ge=1, le=100)


class CategoryScore(BaseModel):
    """A category and its probability."""

    category: str
    probability: float


class CategorizeResult(BaseModel):
    """The most likely category of one title, and the ``top`` most likely."""

    title: str
    category: str
    probability: float
    top: list[CategoryScore]


class CategorizeResponse(BaseModel):
    """One result per title, in order."""

    results: list[CategorizeResult]


class Event(_Body):
    """An impression, click or purchase; ``position`` is the 0-based slot the item was shown in."""

    type: Literal["impression", "click", "purchase"]
    user_id: Id
    item_id: Id
    region: Optional[Name] = None
    query: Optional[Text] = None
    position: Optional[int] = Field(None, ge=0, le=100_000)
    timestamp: Optional[datetime] = None
    request_id: Optional[Name] = None


class EventsRequest(_Body):
    """A batch of events, journaled together."""

    events: list[Event] = Field(min_length=1)


class EventsResponse(BaseModel):
    """What was stored: journal ids ``first_id``..``last_id``; ``not_in_catalogue`` counts unknown items (kept)."""

    accepted: int
    not_in_catalogue: int
    first_id: int
    last_id: int


class Health(BaseModel):
    """Liveness and what is loaded."""

    status: Literal["ok"]
    name: str
    n_items: int
    endpoints: dict[str, bool]
