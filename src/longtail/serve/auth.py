"""Optional bearer-token auth: every endpoint but /healthz, compared in constant time."""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request

SCHEME = "bearer"


def bearer_dependency(token: str | None):
    """A FastAPI dependency that lets a request through only with ``Authorization: Bearer <token>``.

    With ``token`` None every request passes. The comparison is
    :func:`hmac.compare_digest`, so the answer time does not reveal how much
    of a guessed token was right.
    """
    expected = None if token is None else token.encode()

    async def require_token(request: Request) -> None:  # async: no worker-thread hop per request
        if expected is None:
            return
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != SCHEME or not given:
            raise HTTPException(401, "missing bearer token; send the header 'Authorization: Bearer <token>'",
                                headers={"WWW-Authenticate": "Bearer"})
        if not hmac.compare_digest(given.strip().encode(), expected):
            raise HTTPException(401, "wrong bearer token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})

    return require_token
