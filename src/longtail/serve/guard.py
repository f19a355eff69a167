"""ASGI middleware around the whole app: body-size limit (413), requests in flight, request metrics.

Written as plain ASGI rather than Starlette's ``BaseHTTPMiddleware``, which
costs a task and a stream per request on the hot path.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from longtail.serve.metrics import RequestMetrics

UNMATCHED = "unmatched"


class BodyTooLarge(Exception):
    """Raised inside ``receive`` once a streamed body passes the limit."""


async def send_error(send: Any, status: int, message: str) -> None:
    """Send a whole JSON ``{"error": message}`` response."""
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class InFlight:
    """How many requests are being answered; shutdown waits for it to reach zero."""

    def __init__(self, metrics: RequestMetrics) -> None:
        self.count = 0
        self.metrics = metrics

    def enter(self) -> None:
        """One more request in flight."""
        self.count += 1
        self.metrics.in_flight.inc()

    def leave(self) -> None:
        """One request answered."""
        self.count -= 1
        self.metrics.in_flight.dec()

    async def drained(self, timeout: float, poll: float = 0.01) -> bool:
        """Wait until no request is in flight, at most ``timeout`` seconds; True when drained.

        Polls rather than waiting on an event, which would tie it to the loop that created it.
        """
        deadline = time.monotonic() + timeout
        while self.count > 0 and time.monotonic() < deadline:
            await asyncio.sleep(poll)
        return self.count == 0


class Guard:
    """Rejects bodies above ``max_body_bytes`` with 413, counts requests in flight, times every request.

    A declared Content-Length above the limit is refused before the app
    runs; a chunked body is counted as it streams and the app's answer is
    replaced by the 413 once it passes the limit. ``endpoints`` are the
    paths metrics are labelled with (anything else is ``unmatched``, so
    random paths cannot blow up the number of series).
    """

    def __init__(self, app: Any, *, max_body_bytes: int, in_flight: InFlight, endpoints: set[str]) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.in_flight = in_flight
        self.endpoints = endpoints

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        endpoint = scope["path"] if scope["path"] in self.endpoints else UNMATCHED
        status = {"code": 500}
        self.in_flight.enter()
        try:
            await self._guarded(scope, receive, send, status)
        finally:
            self.in_flight.leave()
            self.in_flight.metrics.observe(endpoint, scope["method"], status["code"], time.perf_counter() - started)

    async def _guarded(self, scope: dict, receive: Any, send: Any, status: dict) -> None:
        limit = self.max_body_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        too_large = f"request body is larger than {limit} bytes (serve.json limits.max_body_bytes); send smaller batches"
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            status["code"] = 413 if declared.isdigit() else 400
            await send_error(send, status["code"], too_large if declared.isdigit() else "Content-Length is not a number")
            return
        seen = {"bytes": 0, "over": False}

        async def counted_receive() -> dict:
            message = await receive()
            if message["type"] == "http.request":
                seen["bytes"] += len(message.get("body", b""))
                if seen["bytes"] > limit:
                    seen["over"] = True
                    raise BodyTooLarge()
            return message

        async def watched_send(message: dict) -> None:
            if seen["over"]:
                return  # the app's own answer to the cut-off body is replaced by the 413 below
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            pass
        if seen["over"]:
            status["code"] = 413
            await send_error(send, 413, too_large)
