"""Emergency withdrawal API: quote, payment, state, and the executor's completion."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel

from daemon import keys
from daemon.db.types import Connection
from daemon.energy.status import pick_language
from daemon.errors import NotFound
from daemon.http import idempotency
from daemon.http.body import read_json
from daemon.http.endpoints import Endpoint, json_response, path_id
from daemon.security.middleware import limit_withdrawal
from daemon.withdrawals import claims, emergency_repo, emergency_service, payments_repo
from daemon.withdrawals.claims import EMERGENCY
from daemon.withdrawals.deps import WithdrawalDeps, withdrawal_deps
from daemon.withdrawals.models import CompleteRequest, Emergency, EmergencyRequest, PaymentRequest


def _partner(request: web.Request) -> int:
    partner_id = request[keys.principal].partner_id
    assert partner_id is not None  # partner-only routes
    return partner_id


def _lang(request: web.Request) -> str:
    return pick_language(request.headers.get("Accept-Language"))


async def create_emergency(request: web.Request) -> web.Response:
    """Quote the live TRX fee and record the emergency; cancels the withdrawal's waiting queue entry."""
    body = await read_json(request, EmergencyRequest)
    deps, partner_id = request.app[withdrawal_deps], _partner(request)
    # A parallel duplicate waits for the first, then finds its emergency live: a retry, not counted.
    async with deps.state.creating.one_at_a_time(("emergency", partner_id, body.withdrawal_id)):
        return await _create_emergency(request, deps, partner_id, body)


async def _create_emergency(
    request: web.Request, deps: WithdrawalDeps, partner_id: int, body: EmergencyRequest
) -> web.Response:
    lang = _lang(request)
    # A retry gets the stored answer before the rate limit and the chain call (no 429, no 503);
    # one still in flight on another replica gets 409, not a 429.
    claimed = await idempotency.claim(request)
    if isinstance(claimed, web.Response):
        return claimed
    held = claimed

    async def record(values: dict[str, Any] | None) -> web.Response:
        async def work(conn: Connection) -> tuple[int, BaseModel]:
            status, row = await emergency_service.record(conn, partner_id, body, values)
            return status, emergency_service.view(row, lang)

        return await idempotency.run(request, held, work)

    try:
        async with deps.pool.acquire() as conn:
            live = await emergency_repo.live_for(conn, partner_id, body.withdrawal_id)
        if live is not None:
            return await record(None)
        await limit_withdrawal(request, partner_id, body.user_id)
        response: web.Response = await emergency_service.create(deps, partner_id, body, record)
    except BaseException:
        await idempotency.release(request, held)  # a no-op once `run` stored the response
        raise
    if response.status == 201 and "Idempotent-Replayed" not in response.headers:
        deps.state.metrics.emergency.labels("pending_trx_payment").inc()
    return response


async def get_emergency(request: web.Request) -> web.Response:
    """One emergency withdrawal."""
    emergency_id = path_id(request)
    async with request.app[withdrawal_deps].pool.acquire() as conn:
        row = await emergency_repo.get(conn, _partner(request), emergency_id)
        payments = await payments_repo.for_emergency(conn, emergency_id) if row is not None else []
    if row is None:
        raise NotFound(f"no emergency withdrawal {emergency_id}")
    return json_response(emergency_service.view(row, _lang(request), payments))


async def submit_payment(request: web.Request) -> web.Response:
    """Submit the user's TRX payment: 200 paid, 202 not solid yet, 4xx naming the reason."""
    emergency_id = path_id(request)
    body = await read_json(request, PaymentRequest)
    status, row = await emergency_service.submit_payment(
        request.app[withdrawal_deps], _partner(request), emergency_id, body.tx_hash.lower()
    )
    return json_response(emergency_service.view(row, _lang(request)), status)


async def complete_emergency(request: web.Request) -> web.Response:
    """The executor reports the broadcast transfer of a claimed emergency."""
    emergency_id = path_id(request)
    body = await read_json(request, CompleteRequest)
    deps = request.app[withdrawal_deps]
    row = await claims.complete_emergency(deps, _partner(request), emergency_id, body.tx_hash.lower())
    return json_response(emergency_service.view(row, _lang(request)))


def emergency_endpoints() -> list[Endpoint]:
    """The emergency withdrawal routes."""
    one = f"{EMERGENCY}/{{id}}"
    return [
        Endpoint(
            "POST",
            EMERGENCY,
            create_emergency,
            "partner",
            "Withdraw now: quote the TRX network fee the user pays",
            "withdrawals",
            body=EmergencyRequest,
            response=Emergency,
            status=201,
            also_ok=(200,),
            idempotent=True,
            errors=(409, 503),
        ),
        Endpoint(
            "GET",
            one,
            get_emergency,
            "partner",
            "An emergency withdrawal, with the payments recorded against it",
            "withdrawals",
            response=Emergency,
        ),
        Endpoint(
            "POST",
            f"{one}/payment",
            submit_payment,
            "partner",
            "Submit the user's TRX payment (200 paid, 202 not yet solid); the scan finds it without this too",
            "withdrawals",
            body=PaymentRequest,
            response=Emergency,
            errors=(202, 409),
            errors_with_response=(202,),
        ),
        Endpoint(
            "POST",
            f"{one}/complete",
            complete_emergency,
            "partner",
            "Executor: report the broadcast transfer of a claimed emergency",
            "withdrawals",
            body=CompleteRequest,
            response=Emergency,
            errors=(409,),
        ),
    ]
