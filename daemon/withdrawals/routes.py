"""Queue API and the executor's claim/complete: HTTP in, service calls, JSON out."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from daemon import keys
from daemon.db.types import Connection
from daemon.http import idempotency
from daemon.http.body import read_json
from daemon.http.endpoints import Endpoint, json_response, path_id
from daemon.security.middleware import limit_withdrawal
from daemon.withdrawals import claims, queue_service
from daemon.withdrawals.claims import QUEUE
from daemon.withdrawals.deps import WithdrawalDeps, withdrawal_deps
from daemon.withdrawals.emergency_routes import emergency_endpoints
from daemon.withdrawals.models import (
    ClaimRequest,
    ClaimResponse,
    CompleteRequest,
    QueueEntry,
    WithdrawalRequest,
)
from daemon.withdrawals.payments_routes import payments_endpoints


def partner_of(request: web.Request) -> int:
    """The calling partner's id (routes are partner-only)."""
    partner_id = request[keys.principal].partner_id
    assert partner_id is not None  # the auth middleware admits only partner keys here
    return partner_id


async def enqueue(request: web.Request) -> web.Response:
    """Queue a withdrawal until energy allows; a retry with the same withdrawal_id returns the entry."""
    body = await read_json(request, WithdrawalRequest)
    deps, partner_id = request.app[withdrawal_deps], partner_of(request)
    # A parallel duplicate (same withdrawal, any Idempotency-Key) waits for the first and is its retry.
    async with deps.state.creating.one_at_a_time(("queue", partner_id, body.withdrawal_id)) as dup:
        return await _enqueue(request, deps, partner_id, body, dup)


async def _enqueue(
    request: web.Request, deps: WithdrawalDeps, partner_id: int, body: WithdrawalRequest, dup: bool
) -> web.Response:
    # The key first: a retry (done, or in flight on another replica) is answered before the limit.
    claimed = await idempotency.claim(request)
    if isinstance(claimed, web.Response):
        return claimed

    async def retry() -> bool:
        # A retry gets its entry, never a 429. Asked only past the limit, so enqueue stays one statement.
        async with deps.pool.acquire() as conn:
            return await queue_service.is_retry(conn, partner_id, body)

    async def work(conn: Connection) -> tuple[int, BaseModel]:
        return await queue_service.enqueue(conn, deps, partner_id, body, required)

    try:
        # A duplicate of a request that just ran is not counted at all (asked first: it is rare).
        if not (dup and await retry()):
            await limit_withdrawal(request, partner_id, body.user_id, retry)
        # A chain call: before the transaction.
        required = await queue_service.required_energy(deps, body.to_address)
    except BaseException:
        await idempotency.release(request, claimed)
        raise
    if claimed is not None:
        response = await idempotency.run(request, claimed, work)
    else:
        # One INSERT statement is atomic: no BEGIN/COMMIT round trips (a retry is safe by withdrawal_id).
        async with deps.pool.acquire() as conn:
            status, payload = await work(conn)
        response = json_response(payload, status)
    deps.state.poke()
    return response


async def get_entry(request: web.Request) -> web.Response:
    """One entry with its live position and wait."""
    entry_id, deps = path_id(request), request.app[withdrawal_deps]
    async with deps.pool.acquire() as conn:
        entry = await queue_service.get(conn, deps, partner_of(request), entry_id)
    return json_response(entry)


async def cancel_entry(request: web.Request) -> web.Response:
    """Cancel a waiting entry."""
    entry_id, deps = path_id(request), request.app[withdrawal_deps]
    async with deps.pool.acquire() as conn, conn.transaction():
        entry = await queue_service.cancel(conn, deps, partner_of(request), entry_id)
    return json_response(entry)


async def claim(request: web.Request) -> web.Response:
    """Released queue entries and paid emergencies of this partner, now claimed by the caller."""
    body = await read_json(request, ClaimRequest)
    items = await claims.claim(request.app[withdrawal_deps], partner_of(request), body.limit)
    return json_response(ClaimResponse(items=items))


async def complete_entry(request: web.Request) -> web.Response:
    """The executor reports the broadcast transfer of a claimed entry."""
    entry_id = path_id(request)
    body = await read_json(request, CompleteRequest)
    deps, partner_id = request.app[withdrawal_deps], partner_of(request)
    await claims.complete_queued(deps, partner_id, entry_id, body.tx_hash.lower())
    async with deps.pool.acquire() as conn:
        entry = await queue_service.get(conn, deps, partner_id, entry_id)
    return json_response(entry)


def withdrawal_endpoints() -> list[Endpoint]:
    """Every route of the queue and emergency withdrawals."""
    one = f"{QUEUE}/{{id}}"
    return [
        Endpoint(
            "POST",
            QUEUE,
            enqueue,
            "partner",
            "Queue a USDT withdrawal until energy allows",
            "withdrawals",
            body=WithdrawalRequest,
            response=QueueEntry,
            status=201,
            also_ok=(200,),
            idempotent=True,
            errors=(409,),
        ),
        Endpoint(
            "POST",
            f"{QUEUE}/claim",
            claim,
            "partner",
            "Executor: claim released withdrawals and paid emergencies",
            "withdrawals",
            body=ClaimRequest,
            response=ClaimResponse,
        ),
        Endpoint(
            "GET",
            one,
            get_entry,
            "partner",
            "A queue entry: position, wait, status",
            "withdrawals",
            response=QueueEntry,
        ),
        Endpoint(
            "DELETE",
            one,
            cancel_entry,
            "partner",
            "Cancel a waiting withdrawal",
            "withdrawals",
            response=QueueEntry,
            errors=(409,),
        ),
        Endpoint(
            "POST",
            f"{one}/complete",
            complete_entry,
            "partner",
            "Executor: report the broadcast transfer of a claimed entry",
            "withdrawals",
            body=CompleteRequest,
            response=QueueEntry,
            errors=(409,),
        ),
        *emergency_endpoints(),
        *payments_endpoints(),
    ]
