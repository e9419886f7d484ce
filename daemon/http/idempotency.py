"""Idempotency-Key for create endpoints: the work and its stored response commit together."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from pydantic import BaseModel

from daemon import keys
from daemon.db import idempotency_repo as repo
from daemon.db.types import Connection, Record
from daemon.errors import BadRequest, Conflict, ValidationFailed
from daemon.http.body import read_body

HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
# An in-flight record older than this belongs to a request that died with its process.
STALE_SECONDS = 60.0

Work = Callable[[Connection], Awaitable[tuple[int, BaseModel]]]


async def _request_hash(request: web.Request) -> bytes:
    body = await read_body(request)
    canonical = json.dumps([request.method, request.path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).digest()


def _replay(record: Record) -> web.Response:
    return web.Response(
        status=record["response_status"],
        body=record["response_body"],
        content_type=record["response_content_type"],
        headers={"Idempotent-Replayed": "true"},
    )


@dataclass(frozen=True, slots=True)
class Claim:
    """This request holds the in-flight record of its Idempotency-Key."""

    scope: str
    key: str


async def claim(request: web.Request) -> web.Response | Claim | None:
    """Take the request's Idempotency-Key before any costly or limited work.

    None without a key; the stored response when this same request already completed; 422 for
    another body under the key; 409 with Retry-After while another request holds it (a retry in
    flight: never counted against a limit). Otherwise this request's claim.
    """
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not _KEY.match(key):
        raise BadRequest("Idempotency-Key must be 1-255 visible ASCII characters", field=HEADER)
    scope = request[keys.principal].scope
    digest = await _request_hash(request)
    async with request.app[keys.runtime].pool.acquire() as conn:
        if await repo.claim(conn, scope, key, digest):
            return Claim(scope, key)
        record = await repo.get(conn, scope, key)
        if record is None:  # purged between the two statements: treat as a fresh conflict
            raise Conflict("the request with this Idempotency-Key is being processed; retry", field=HEADER)
        if record["request_hash"] != digest:
            raise ValidationFailed("this Idempotency-Key was used with a different request", field=HEADER)
        if record["state"] == "done":
            return _replay(record)
        if not await repo.take_over_stale(conn, scope, key, digest, STALE_SECONDS):
            raise Conflict(
                "a request with this Idempotency-Key is still in progress; retry later",
                field=HEADER,
                headers={"Retry-After": "1"},
            )
    return Claim(scope, key)


async def run(
    request: web.Request, claimed: Claim | None, work: Work, *, redact: frozenset[str] = frozenset()
) -> web.Response:
    """Run `work(conn)` in a transaction; with a claim, store its response in that same transaction.

    Fields in `redact` (secrets) are stored as null, so a replay returns them as null.
    """
    pool = request.app[keys.runtime].pool
    async with pool.acquire() as conn:
        if claimed is None:
            async with conn.transaction():
                status, payload = await work(conn)
            return web.Response(
                status=status, text=payload.model_dump_json(), content_type="application/json"
            )
        try:
            async with conn.transaction():
                status, payload = await work(conn)
                stored = payload.model_copy(update=dict.fromkeys(redact)).model_dump_json().encode()
                await repo.complete(conn, claimed.scope, claimed.key, status, stored, "application/json")
        except BaseException:
            # If even this fails the record goes stale and a retry adopts it after STALE_SECONDS.
            with contextlib.suppress(Exception):
                await repo.release(conn, claimed.scope, claimed.key)
            raise
    return web.Response(status=status, text=payload.model_dump_json(), content_type="application/json")


async def release(request: web.Request, claimed: Claim | None) -> None:
    """Give the key back after the request failed before `run` (e.g. refused by a limit)."""
    if claimed is None:
        return
    with contextlib.suppress(Exception):  # else it goes stale and a retry adopts it
        async with request.app[keys.runtime].pool.acquire() as conn:
            await repo.release(conn, claimed.scope, claimed.key)


async def idempotent(
    request: web.Request, work: Work, *, redact: frozenset[str] = frozenset()
) -> web.Response:
    """Run `work(conn)` in a transaction, at most once per (caller, Idempotency-Key)."""
    claimed = await claim(request)
    if isinstance(claimed, web.Response):
        return claimed
    return await run(request, claimed, work, redact=redact)


async def stored_response(request: web.Request) -> web.Response | None:
    """The recorded response when this caller's Idempotency-Key already completed this same request.

    For routes that do costly or limited work (a rate limit, a chain call) before `idempotent`: a retry
    must get the first answer, not a 429 or a 503. Anything else (no key, unknown, in flight, another
    body) is left to `idempotent`.
    """
    key = request.headers.get(HEADER)
    if key is None or not _KEY.match(key):
        return None
    async with request.app[keys.runtime].pool.acquire() as conn:
        record = await repo.get(conn, request[keys.principal].scope, key)
    if record is None or record["state"] != "done" or record["request_hash"] != await _request_hash(request):
        return None
    return _replay(record)
