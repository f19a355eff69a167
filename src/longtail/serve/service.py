"""What each endpoint does, without HTTP: recommend, rank, categorize, take events, report statistics.

:class:`Service` is built from the loaded MODEL_DIR and a :class:`ServeConfig`;
the FastAPI app (:mod:`longtail.serve.app`) only parses requests, calls it
and turns :class:`RequestError` into a 4xx answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from longtail.adjust import ExposureReranker
from longtail.metrics import top_k_excluding
from longtail.serve import schemas as S
from longtail.serve.config import ServeConfig
from longtail.serve.journal import Journal, JournalClosed
from longtail.serve.models import ServedModels
from longtail.serve.monitor import Monitor

JOURNAL_FILE = "events.sqlite"
# Text-match scores get TIE_BREAK times the item's popularity share added: far below a real
# difference in match, it only orders items that match the query equally.
TIE_BREAK = 1e-3


class RequestError(Exception):
    """A request the service cannot answer as asked; ``status`` is the HTTP status (4xx, or 503 while shutting down)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _sample(values: list[Any], n: int = 5) -> str:
    return ", ".join(repr(v) for v in values[:n]) + (" ..." if len(values) > n else "")


class Service:
    """The served models plus the live monitor and the event journal."""

    def __init__(self, served: ServedModels, config: ServeConfig, clock: Callable[[], float] = time.time) -> None:
        self.served = served
        self.config = config
        self.clock = clock
        self.limits = served.manifest.limits
        catalogue = served.catalogue
        regions = set(catalogue.region_popularity) | set(served.users.regions.values())
        self.monitor = Monitor(catalogue, regions, config, clock=clock)
        self.groups = ExposureReranker(k=1).fit(catalogue.popularity, head_share=served.manifest.rerank.head_share).groups_
        self.popularity_share = (catalogue.popularity / max(catalogue.popularity.max(), 1.0)).astype(np.float32)
        self.journal = Journal(config.journal or served.model_dir / JOURNAL_FILE)
        self.replayed = self._replay()

    # ------------------------------------------------------ shared steps
    def _check_k(self, k: int) -> None:
        if k > self.limits.max_k:
            raise RequestError(422, f"k is {k}; this service returns at most {self.limits.max_k} items (serve.json limits.max_k)")
        if k > self.served.catalogue.n_items:
            raise RequestError(422, f"k is {k} but the catalogue has only {self.served.catalogue.n_items} items; lower k")

    def _lambda(self, requested: float | None) -> float:
        return self.served.manifest.rerank.lam if requested is None else float(requested)

    def _top(self, scores: np.ndarray, k: int, lam: float, blocked: np.ndarray, history: np.ndarray) -> np.ndarray:
        """Best ``k`` item indices of one score row (``-1`` = empty slot), re-ranked for exposure when ``lam`` > 0.

        The re-ranker works on the candidates it would pick anyway (the best
        ``n_candidates`` allowed items) plus the user's history as extra
        columns scored -inf (never picked), which carry the head/tail mix of
        the history: the same greedy choice as over the whole catalogue, on
        about a hundred columns instead of every item.
        """
        allowed = np.array(scores, dtype=np.result_type(scores.dtype, np.float32))  # float32 models stay float32
        allowed[blocked] = -np.inf
        if lam == 0:
            return top_k_excluding(allowed[None], k)[0]
        rerank = self.served.manifest.rerank
        candidates = top_k_excluding(allowed[None], min(max(rerank.n_candidates, k), allowed.size))[0]
        candidates = candidates[candidates >= 0]
        out = np.full(k, -1, dtype=np.int64)
        if candidates.size == 0:
            return out
        columns = np.concatenate([candidates, history])
        reranker = ExposureReranker(lam=lam, k=min(k, candidates.size), method=rerank.method, n_candidates=None)
        reranker.groups_ = self.groups[columns]
        sub_scores = np.concatenate([allowed[candidates], np.full(history.size, -np.inf)])
        picked = reranker.rerank(sub_scores[None], history=[np.arange(candidates.size, columns.size)])[0]
        out[: picked.size] = np.where(picked >= 0, columns[np.maximum(picked, 0)], -1)
        return out

    def _cold_scores(self, query: str | None, region: str | None) -> tuple[np.ndarray, str]:
        """Scores for a user the recommender does not know: their query's text match, else their region's, else global popularity."""
        catalogue = self.served.catalogue
        if query and query.strip():
            text = catalogue.text_scores(query)
            if text.max() > 0:
                return text + TIE_BREAK * self.popularity_share, "text"
        local = catalogue.region_popularity.get(region) if region is not None else None
        if local is not None and local.sum() > 0:
            # half the global popularity share (< 1) only orders items with the same regional count
            return local + 0.5 * self.popularity_share, "region"
        return catalogue.popularity, "popular"

    # ---------------------------------------------------------- endpoints
    def recommend(self, request: S.RecommendRequest) -> S.RecommendResponse:
        """Top-k items for a user (cold-start answer for unknown users), exposure re-ranked with lambda."""
        served, catalogue = self.served, self.served.catalogue
        self._check_k(request.k)
        lam = self._lambda(request.rerank_lambda)
        row = None
        if served.recommender is not None and served.users.index is not None:
            row = served.users.index.get(request.user_id)
        region = request.region or served.users.region_of(request.user_id)
        source = None
        if row is not None:
            scores = served.recommender.scores(np.asarray([row]))[0]
        else:
            scores, source = self._cold_scores(request.query, region)
        excluded, unknown = catalogue.items.lookup(request.exclude)
        history = served.users.history_of(row)
        blocked = np.concatenate([excluded, history]) if served.manifest.exclude_seen else excluded
        top = self._top(np.asarray(scores), request.k, lam, blocked, history)
        top = top[top >= 0]
        self.monitor.record_served(top, region, source)
        return S.RecommendResponse(
            user_id=request.user_id, items=self._scored(top, scores), cold_start=row is None,
            cold_start_source=source, rerank_lambda=lam, excluded_unknown=len(unknown),
        )

    def _scored(self, rows: np.ndarray, scores: np.ndarray) -> list[S.ScoredItem]:
        catalogue = self.served.catalogue
        return [
            S.ScoredItem(item_id=catalogue.items.ids[i], score=float(scores[i]), title=catalogue.titles[i],
                         category=str(catalogue.categories[i]))
            for i in rows.tolist()
        ]

    def rank(self, request: S.RankRequest) -> S.RankResponse:
        """Items ranked by expected relevance grade for the query (given items, or the best k text matches)."""
        served, catalogue = self.served, self.served.catalogue
        if served.ranker is None:
            raise RequestError(404, "this MODEL_DIR has no rank model; add one with build_model_dir(rank_model=...)")
        if request.item_ids is not None:
            if len(request.item_ids) > self.limits.max_rank_items:
                raise RequestError(422, f"item_ids holds {len(request.item_ids)} items; the limit is "
                                        f"{self.limits.max_rank_items} (serve.json limits.max_rank_items)")
            rows, unknown = catalogue.items.lookup(request.item_ids)
            if unknown:
                raise RequestError(422, f"item_ids holds {len(unknown)} id(s) not in the catalogue: {_sample(unknown)}")
            candidates = np.asarray(list(dict.fromkeys(rows.tolist())), dtype=np.int64)
            k = candidates.size
        else:
            self._check_k(request.k)
            k = request.k
            pool = min(max(k, served.manifest.rank.candidates), catalogue.n_items)
            candidates = top_k_excluding(catalogue.text_scores(request.query)[None], pool)[0]
        titles = [catalogue.titles[i] for i in candidates.tolist()]
        proba = served.rank_proba([request.query] * candidates.size, titles)
        expected = proba @ served.grade_gains
        scores = np.full(catalogue.n_items, -np.inf)
        scores[candidates] = expected
        lam = self._lambda(request.rerank_lambda)
        top = self._top(scores, k, lam, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        top = top[top >= 0]
        self.monitor.record_served(top, None)
        position = {item: p for p, item in enumerate(candidates.tolist())}
        grades = [str(label) for label in served.ranker.classes_.tolist()]
        items = []
        for item in top.tolist():
            p = proba[position[item]]
            items.append(S.RankedItem(
                item_id=catalogue.items.ids[item], title=catalogue.titles[item], expected_grade=float(scores[item]),
                grade=grades[int(np.argmax(p))], probabilities={g: float(v) for g, v in zip(grades, p)},
            ))
        return S.RankResponse(query=request.query, items=items, candidates=int(candidates.size), rerank_lambda=lam)

    def categorize(self, request: S.CategorizeRequest) -> S.CategorizeResponse:
        """Most likely categories of each title."""
        model = self.served.categorizer
        if model is None:
            raise RequestError(404, "this MODEL_DIR has no categorize model; add one with build_model_dir(categorize_model=...)")
        if len(request.titles) > self.limits.max_titles:
            raise RequestError(422, f"titles holds {len(request.titles)} titles; the limit is {self.limits.max_titles} "
                                    "per request (serve.json limits.max_titles); split the batch")
        proba = self.served.categorize_proba(list(request.titles))
        classes = [str(label) for label in model.classes_.tolist()]
        width = min(request.top, len(classes))
        best = np.argsort(-proba, axis=1, kind="stable")[:, :width]
        results = []
        for title, p, order in zip(request.titles, proba, best):
            top = [S.CategoryScore(category=classes[c], probability=float(p[c])) for c in order.tolist()]
            results.append(S.CategorizeResult(title=title, category=top[0].category, probability=top[0].probability, top=top))
        return S.CategorizeResponse(results=results)

    def events(self, request: S.EventsRequest) -> S.EventsResponse:
        """Journal a batch of events durably, then count them in the live statistics."""
        if len(request.events) > self.limits.max_events:
            raise RequestError(422, f"events holds {len(request.events)} events; the limit is {self.limits.max_events} "
                                    "per request (serve.json limits.max_events); split the batch")
        records = [
            {"type": ev.type, "user_id": ev.user_id, "item_id": ev.item_id,
             "region": ev.region or self.served.users.region_of(ev.user_id), "query": ev.query,
             "position": ev.position, "occurred_at": None if ev.timestamp is None else ev.timestamp.isoformat(),
             "request_id": ev.request_id}
            for ev in request.events
        ]
        received = self.clock()
        try:
            first, last = self.journal.append(records, received)
        except JournalClosed:
            # Nothing was stored: 503 tells the client to send the batch again (to the next instance).
            raise RequestError(503, "the service is shutting down and no longer journals events; "
                                    "nothing of this batch was stored, send it again") from None
        rows = self._count_events(records, received)
        return S.EventsResponse(accepted=len(records), not_in_catalogue=int((rows < 0).sum()), first_id=first, last_id=last)

    def _count_events(self, records: list[dict[str, Any]], when: float) -> np.ndarray:
        rows = self.served.catalogue.items.positions([r["item_id"] for r in records])
        self.monitor.record_events([r["type"] for r in records], rows, [r["region"] for r in records], when=when)
        return rows

    def _replay(self) -> int:
        """Count the journal's events of the current window again (after a restart); returns how many."""
        since = self.clock() - self.config.window_seconds
        batch: list[dict[str, Any]] = []
        replayed = 0
        current = None
        for event in self.journal.read(since=since):
            if current is not None and event.batch != current[0]:
                self._count_events(batch, current[1])
                replayed, batch = replayed + len(batch), []
            current = (event.batch, event.received_at)
            batch.append({"type": event.type, "item_id": event.item_id, "region": event.region})
        if batch:
            self._count_events(batch, current[1])
            replayed += len(batch)
        return replayed

    def health(self) -> S.Health:
        """Liveness and which endpoints have a model behind them."""
        served = self.served
        return S.Health(status="ok", name=served.manifest.name, n_items=served.catalogue.n_items, endpoints={
            "recommend": True, "rank": served.ranker is not None, "categorize": served.categorizer is not None,
        })

    def close(self) -> None:
        """Flush and close the journal."""
        self.journal.close()
