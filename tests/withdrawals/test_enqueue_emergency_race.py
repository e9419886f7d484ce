"""An enqueue racing an emergency creation for one withdrawal: never a waiting entry and an emergency."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from daemon import keys as app_keys
from daemon.withdrawals import emergency_service
from daemon.withdrawals.models import EmergencyRequest
from tests.conftest import Keys, bearer
from tests.withdrawals.conftest import AppFactory, body, utc_now

QUEUE = "/api/v1/energy/queue"


def _values(partner_id: int, req: EmergencyRequest) -> dict[str, Any]:
    now = utc_now()
    return {
        "partner_id": partner_id,
        "user_id": req.user_id,
        "withdrawal_id": req.withdrawal_id,
        "to_address": req.to_address,
        "amount": req.amount,
        "currency": req.currency,
        "energy_estimate": 130_285,
        "energy_fee_sun": 100,
        "bandwidth_bytes": 345,
        "bandwidth_sun": 345_000,
        "fee_sun": 13_373_500,
        "trx_fee_amount": Decimal("13.3735"),
        "pay_to": req.to_address,
        "payer_address": None,
        "quote_block": 1,
        "quote_expires_at": now + timedelta(minutes=15),
        "created_at": now,
    }


async def _race(client: Any, key: str, partner_id: int, wid: str, *, commit: bool) -> tuple[int, Any]:
    """An emergency transaction is open (not committed) when the enqueue of the same withdrawal arrives."""
    req = EmergencyRequest(**body(wid))
    conn = await asyncpg.connect(client.app[app_keys.database_url])
    try:
        tx = conn.transaction()
        await tx.start()
        status, _ = await emergency_service.record(conn, partner_id, req, _values(partner_id, req))
        assert status == 201
        enqueue = asyncio.create_task(client.post(QUEUE, json=body(wid), headers=bearer(key)))
        await asyncio.sleep(0.3)
        # The enqueue meets the emergency's claim on the queue row and waits for its outcome.
        assert not enqueue.done()
        await (tx.commit() if commit else tx.rollback())
        resp = await asyncio.wait_for(enqueue, 10)
        waiting = await conn.fetchval(
            "SELECT count(*) FROM energy_withdrawal_queue WHERE withdrawal_id = $1 AND status = 'waiting'",
            wid,
        )
        live = await conn.fetchval(
            "SELECT count(*) FROM emergency_withdrawals WHERE withdrawal_id = $1 AND status <> 'expired'", wid
        )
        assert waiting + live == 1, (waiting, live)
        return resp.status, await resp.json()
    finally:
        await conn.close()


async def test_enqueue_waits_for_a_racing_emergency_and_refuses(wd_app: AppFactory, keys: Keys) -> None:
    client = await wd_app()
    key, partner_id = await keys.partner("acme")
    status, problem = await _race(client, key, partner_id, "w-race", commit=True)
    assert (
        status == 409
        and problem["errors"][0]["field"] == "withdrawal_id"
        and "emergency" in problem["detail"]
    )


async def test_enqueue_queues_when_the_racing_emergency_rolls_back(wd_app: AppFactory, keys: Keys) -> None:
    client = await wd_app()
    key, partner_id = await keys.partner("acme")
    status, entry = await _race(client, key, partner_id, "w-back", commit=False)
    assert status == 201 and entry["status"] == "waiting"


async def test_emergency_after_enqueue_cancels_the_entry(wd_app: AppFactory, keys: Keys) -> None:
    client = await wd_app()
    key, partner_id = await keys.partner("acme")
    entry = await (await client.post(QUEUE, json=body("w-2"), headers=bearer(key))).json()
    req = EmergencyRequest(**body("w-2"))
    async with client.app[app_keys.runtime].pool.acquire() as conn, conn.transaction():
        assert (await emergency_service.record(conn, partner_id, req, _values(partner_id, req)))[0] == 201
    got = await (await client.get(f"{QUEUE}/{entry['id']}", headers=bearer(key))).json()
    assert got["status"] == "cancelled"
