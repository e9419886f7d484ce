"""Declared endpoints: one record per route drives routing, auth and the OpenAPI document."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel

from daemon.errors import NotFound

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Access = Literal["public", "any_key", "partner", "admin"]


@dataclass(frozen=True)
class Endpoint:
    """One route: who may call it, what it takes and what it returns."""

    method: str
    path: str
    handler: Handler
    access: Access
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    # Other success statuses with the same body (e.g. 200 when a create is retried and finds its row).
    also_ok: tuple[int, ...] = ()
    idempotent: bool = False
    errors: tuple[int, ...] = ()
    media_type: str = "application/json"
    # Error statuses whose body is `response` rather than a problem (e.g. /readyz's 503).
    errors_with_response: tuple[int, ...] = ()
    # A WebSocket route: upgrade requests skip the auth middleware and authenticate in the handler.
    websocket: bool = False


def json_response(payload: BaseModel | dict[str, Any] | None, status: int = 200) -> web.Response:
    """Serialise a model (or dict) as the response body; None means 204."""
    if payload is None:
        return web.Response(status=204)
    if isinstance(payload, BaseModel):  # pydantic's bytes as they are: no decode to str and encode back
        body = payload.__pydantic_serializer__.to_json(payload)
    else:
        body = json.dumps(payload, default=str).encode()
    return web.Response(body=body, status=status, content_type="application/json", charset="utf-8")


def path_id(request: web.Request, name: str = "id") -> int:
    """A positive 64-bit id from the path; anything else is a resource that cannot exist."""
    raw = request.match_info[name]
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) < 2**63:
        raise NotFound(f"no such object: {raw!r}")
    return int(raw)
