"""Queue API and the executor's claim/complete: HTTP in, service calls, JSON out."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from daemon import keys
from daemon.errors import TooManyRequests
from daemon.http.body import read_json
from daemon.http.endpoints import Endpoint, json_response, path_id
from daemon.http.idempotency import HEADER, idempotent, stored_response
from daemon.monitoring.security_middleware import limit_withdrawal
from daemon.withdrawals import emergency_repo, queue_repo, queue_service
from daemon.withdrawals.context import withdrawal_state
from daemon.withdrawals.emergency_routes import emergency_endpoints
from daemon.withdrawals.models import (
    ClaimedItem,
    ClaimRequest,
    ClaimResponse,
    CompleteRequest,
    QueueEntry,
    WithdrawalRequest,
)

QUEUE = "/api/v1/energy/queue"
EMERGENCY = "/api/v1/energy/emergency-withdrawal"
# A cap, not a price: the highest getEnergyFee mainnet ever had (tron.md §3), used only before the
# first chain-parameter read, so a fee_limit is never too low for the energy a transfer needs.
MAX_HISTORIC_ENERGY_FEE = 420


def partner_of(request: web.Request) -> int:
    """The calling partner's id (routes are partner-only)."""
    partner_id = request[keys.principal].partner_id
    assert partner_id is not None  # the auth middleware admits only partner keys here
    return partner_id


async def enqueue(request: web.Request) -> web.Response:
    """Queue a withdrawal until energy allows; a retry with the same withdrawal_id returns the entry."""
    body = await read_json(request, WithdrawalRequest)
    app, partner_id = request.app, partner_of(request)
    stored = await stored_response(request)
    if stored is not None:
        return stored
    try:
        await limit_withdrawal(request, partner_id, body.user_id)
    except TooManyRequests:
        # A retry gets its entry, never a 429. Looked up only here, so enqueue stays one statement.
        async with app[keys.runtime].pool.acquire() as conn:
            if not await queue_service.is_retry(conn, partner_id, body):
                raise
    required = await queue_service.required_energy(app, body.to_address)  # chain call: before the transaction

    async def work(conn: Any) -> tuple[int, BaseModel]:
        return await queue_service.enqueue(conn, app, partner_id, body, required)

    if HEADER in request.headers:
        response = await idempotent(request, work)
    else:
        # One INSERT statement is atomic: no BEGIN/COMMIT round trips (a retry is safe by withdrawal_id).
        async with app[keys.runtime].pool.acquire() as conn:
            status, payload = await work(conn)
        response = json_response(payload, status)
    app[withdrawal_state].poke()
    return response


async def get_entry(request: web.Request) -> web.Response:
    """One entry with its live position and wait."""
    entry_id = path_id(request)
    async with request.app[keys.runtime].pool.acquire() as conn:
        entry = await queue_service.get(conn, request.app, partner_of(request), entry_id)
    return json_response(entry)


async def cancel_entry(request: web.Request) -> web.Response:
    """Cancel a waiting entry."""
    entry_id = path_id(request)
    async with request.app[keys.runtime].pool.acquire() as conn, conn.transaction():
        entry = await queue_service.cancel(conn, request.app, partner_of(request), entry_id)
    return json_response(entry)


def fee_limit(energy: int, energy_fee_sun: int | None, margin: float) -> int:
    """fee_limit caps energy even when it is staked (§3): room for the estimate times the margin."""
    return math.ceil(energy * (energy_fee_sun or MAX_HISTORIC_ENERGY_FEE) * margin)


async def claim(request: web.Request) -> web.Response:
    """Released queue entries and paid emergencies of this partner, now claimed by the caller."""
    body = await read_json(request, ClaimRequest)
    app, partner_id = request.app, partner_of(request)
    state = app[withdrawal_state]
    energy = app[keys.runtime].energy
    fee = energy.holder.current.energy_fee_sun if energy is not None else None
    now, margin = state.clock(), state.settings.fee_limit_margin
    expires = now + timedelta(seconds=state.settings.claim_timeout)
    limit = min(body.limit, state.settings.claim_limit)
    async with app[keys.runtime].pool.acquire() as conn, conn.transaction():
        emergencies = await emergency_repo.claim(conn, partner_id, limit, now)
        queued = (
            await queue_repo.claim(conn, partner_id, limit - len(emergencies), now)
            if limit > len(emergencies)
            else []
        )
    items = [
        ClaimedItem(
            kind="emergency",
            id=r["id"],
            withdrawal_id=r["withdrawal_id"],
            user_id=r["user_id"],
            to_address=r["to_address"],
            amount=r["amount"],
            currency=r["currency"],
            from_address=r["pay_to"],
            pool=None,
            required_energy=r["energy_estimate"],
            # The price may have risen since the quote: the transfer must still not run out of energy.
            fee_limit_sun=fee_limit(r["energy_estimate"], max(r["energy_fee_sun"], fee or 0), margin),
            claim_expires_at=expires,
            complete_url=f"{EMERGENCY}/{r['id']}/complete",
        )
        for r in emergencies
    ] + [
        ClaimedItem(
            kind="queue",
            id=r["id"],
            withdrawal_id=r["withdrawal_id"],
            user_id=r["user_id"],
            to_address=r["to_address"],
            amount=r["amount"],
            currency=r["currency"],
            from_address=r["from_address"],
            pool=r["pool_name"],
            required_energy=r["required_energy"],
            fee_limit_sun=fee_limit(r["required_energy"], fee, margin),
            claim_expires_at=expires,
            complete_url=f"{QUEUE}/{r['id']}/complete",
        )
        for r in queued
    ]
    for _ in emergencies:
        state.metrics.emergency.labels("processing").inc()
    return json_response(ClaimResponse(items=items))


async def complete_entry(request: web.Request) -> web.Response:
    """The executor reports the broadcast transfer of a claimed entry."""
    entry_id = path_id(request)
    body = await read_json(request, CompleteRequest)
    app, partner_id = request.app, partner_of(request)
    state = app[withdrawal_state]
    async with app[keys.runtime].pool.acquire() as conn:
        async with conn.transaction():
            await queue_service.complete(conn, partner_id, entry_id, body.tx_hash.lower(), state.clock())
        entry = await queue_service.get(conn, app, partner_id, entry_id)
    state.inflight_cache = None
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
    ]
