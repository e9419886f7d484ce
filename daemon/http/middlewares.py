"""The core middleware: request id, metrics and problem+json errors."""

from __future__ import annotations

import json
import logging
import random
import re
import time
from typing import Any

from aiohttp import web

from daemon import keys
from daemon.db import outage
from daemon.errors import ProblemError
from daemon.http.endpoints import Handler

log = logging.getLogger("daemon.http")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
PROBLEM_TYPE = "about:blank"
_PASSED_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    request_id: str | None = None,
) -> web.Response:
    """An application/problem+json response (RFC 9457)."""
    body: dict[str, Any] = {"type": PROBLEM_TYPE, "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    if request_id:
        body["request_id"] = request_id
    return web.Response(
        status=status,
        text=json.dumps(body, ensure_ascii=False),
        content_type="application/problem+json",
        headers=headers,
    )


@web.middleware
async def core_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Request id, metrics by route template and problem+json errors, in one frame per request."""
    incoming = request.headers.get("X-Request-Id", "")
    # Ids only correlate logs and answers, so they need not be secret: no urandom system call per request
    # (and 16 bytes' hex is a fifth of the cost of formatting the integer as 32 hex digits).
    rid = incoming if incoming and _REQUEST_ID.match(incoming) else random.getrandbits(128).to_bytes(16).hex()
    request[keys.request_id] = rid
    metrics = request.app[keys.metrics]
    start = time.perf_counter()
    try:
        try:
            response = await handler(request)
        except ProblemError as exc:
            response = problem_response(
                exc.status, exc.title, exc.detail, errors=exc.errors, headers=exc.headers, request_id=rid
            )
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            response = _http_problem(exc, request, rid)
        except Exception as exc:
            response = _unexpected(exc, request, rid)
    except BaseException as exc:
        # A redirect the problem layer passes on, or a cancel (the client went away): count it too.
        status = exc.status if isinstance(exc, web.HTTPException) else 500
        metrics.observe_http(request, status, time.perf_counter() - start)
        raise
    response.headers["X-Request-Id"] = rid
    metrics.observe_http(request, response.status, time.perf_counter() - start)
    # Only the access middleware sets a principal, from an Authorization header: a keyless request
    # skips the lookup (a missing request key costs a raised KeyError).
    principal = request.get(keys.principal) if "Authorization" in request.headers else None
    if principal is not None and principal.partner_id is not None:
        metrics.partner_traffic.count(principal.partner_id, response.status)
    return response


def _http_problem(exc: web.HTTPException, request: web.Request, rid: str) -> web.Response:
    headers = {h: exc.headers[h] for h in _PASSED_HEADERS if h in exc.headers}
    detail = _http_detail(exc, request)
    return problem_response(exc.status, exc.reason, detail, headers=headers, request_id=rid)


def _unexpected(exc: Exception, request: web.Request, rid: str) -> web.Response:
    """A database outage is a 503 with a retry hint; anything else is logged and hidden behind a 500.

    Called inside the `except` block, so the log line carries the traceback.
    """
    if outage.is_outage(exc):
        # Not the client's fault and not a bug: one log line per outage, a retry hint per request.
        request.app[keys.runtime].database.failed(exc)
        return problem_response(
            503,
            "Service Unavailable",
            "the database is unavailable; retry shortly",
            headers={"Retry-After": str(outage.RETRY_AFTER)},
            request_id=rid,
        )
    log.exception("unhandled error method=%s route=%s request_id=%s", request.method, request.path, rid)
    return problem_response(500, "Internal Server Error", "an unexpected error occurred", request_id=rid)


def _http_detail(exc: web.HTTPException, request: web.Request) -> str:
    if exc.status == 404:
        return f"no route for {request.path}"
    if exc.status == 405:
        return f"method {request.method} not allowed; allowed: {exc.headers.get('Allow', '')}"
    if exc.status == 413:
        return f"request body exceeds {request.app[keys.settings].server.max_body_bytes} bytes"
    return exc.text or exc.reason
