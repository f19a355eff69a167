"""The FastAPI application: ``create_app(model_dir, config)``.

Endpoints (docs/serving.md has examples): POST /recommend, /rank,
/categorize, /events; GET /stats, /metrics, /healthz and /openapi.json.
Every endpoint but /healthz requires the bearer token when one is set.
Models load when the app is created, so a broken MODEL_DIR fails before
the server binds its port; shutdown (the lifespan's end) waits for
requests in flight, then flushes and closes the event journal.
"""

from __future__ import annotations

import contextlib
import gc
import os
import time
from collections.abc import Callable
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from longtail.serve import schemas as S
from longtail.serve.auth import bearer_dependency
from longtail.serve.config import ServeConfig
from longtail.serve.guard import Guard, InFlight
from longtail.serve.metrics import build_registry
from longtail.serve.models import Embed, load_served
from longtail.serve.service import RequestError, Service

ENDPOINTS = {"/recommend", "/rank", "/categorize", "/events", "/stats", "/metrics", "/healthz", "/openapi.json"}


def _validation_message(errors: list[dict[str, Any]]) -> str:
    """One line naming the first invalid field: ``body.k: Input should be greater than or equal to 1``."""
    first = errors[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first.get('msg', 'invalid')}{more}"


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestError)
    async def request_error(_: Request, exc: RequestError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        return JSONResponse({"error": _validation_message(errors), "detail": errors}, status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def create_app(
    model_dir: str | os.PathLike,
    config: ServeConfig | None = None,
    *,
    embed: Embed | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """The service for MODEL_DIR (layout in docs/serving.md); ``embed`` overrides the served text encoder."""
    config = config or ServeConfig.from_env()
    service = Service(load_served(model_dir, embed=embed), config, clock=clock)
    # The catalogue's many long-lived objects leave the collector's view, so a full
    # collection during a request no longer walks them (a p99 latency spike otherwise).
    gc.collect()
    gc.freeze()
    metrics = build_registry(service.monitor.snapshot, service.journal.count)
    in_flight = InFlight(metrics)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI):
        try:
            yield
        finally:
            await in_flight.drained(config.drain_seconds)
            service.close()

    app = FastAPI(title="longtail", version="1", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.service = service
    app.state.in_flight = in_flight
    app.add_middleware(Guard, max_body_bytes=service.limits.max_body_bytes, in_flight=in_flight, endpoints=ENDPOINTS)
    _install_error_handlers(app)
    auth = [Depends(bearer_dependency(config.token))]

    @app.get("/healthz", response_model=S.Health)
    def healthz() -> S.Health:
        """Liveness; needs no token."""
        return service.health()

    # /recommend runs on the event loop: a millisecond of numpy costs less than the hop to a worker
    # thread and back. Model inference (/rank, /categorize) and journal writes (/events) run in threads.
    @app.post("/recommend", response_model=S.RecommendResponse, dependencies=auth)
    async def recommend(request: S.RecommendRequest) -> S.RecommendResponse:
        """Top-k items for a user, exposure re-ranked."""
        return service.recommend(request)

    @app.post("/rank", response_model=S.RankResponse, dependencies=auth)
    def rank(request: S.RankRequest) -> S.RankResponse:
        """Items ranked by expected relevance grade for a query."""
        return service.rank(request)

    @app.post("/categorize", response_model=S.CategorizeResponse, dependencies=auth)
    def categorize(request: S.CategorizeRequest) -> S.CategorizeResponse:
        """Categories of product titles."""
        return service.categorize(request)

    @app.post("/events", response_model=S.EventsResponse, dependencies=auth)
    def events(request: S.EventsRequest) -> S.EventsResponse:
        """Journal impressions, clicks and purchases, then count them."""
        return service.events(request)

    @app.get("/stats", dependencies=auth)
    def stats(items: bool = False) -> dict[str, Any]:
        """Sliding-window statistics and online training signals; ``items=true`` adds every item's log q."""
        return service.monitor.snapshot(include_items=items)

    @app.get("/metrics", dependencies=auth)
    def prometheus() -> Response:
        """Prometheus text exposition."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/openapi.json", dependencies=auth, include_in_schema=False)
    def openapi() -> dict[str, Any]:
        """The OpenAPI schema of this API."""
        return app.openapi()

    return app
