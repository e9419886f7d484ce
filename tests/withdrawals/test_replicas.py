"""Two replicas on one database: no entry released or claimed twice, no payment accepted twice."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from daemon.withdrawals import dispatcher
from daemon.withdrawals.deps import withdrawal_deps
from tests.conftest import Keys, bearer
from tests.withdrawals.conftest import AppFactory, body
from tests.withdrawals.fake import publish_pools

QUEUE = "/api/v1/energy/queue"


async def test_two_replicas_release_and_claim_each_entry_once(
    wd_app: AppFactory, keys: Keys, database_url: str
) -> None:
    a, b = await wd_app(), await wd_app()
    key, _ = await keys.partner("acme")
    # 40 clients, half on each replica, retrying the same 20 withdrawals: 20 entries, never 40.
    sends = [
        (a if n % 2 else b).post(QUEUE, json=body(f"w-{n % 20}"), headers=bearer(key)) for n in range(40)
    ]
    statuses = sorted(r.status for r in await asyncio.gather(*sends))
    assert statuses.count(201) == 20 and statuses.count(200) == 20
    await publish_pools(database_url, [a.app, b.app], [1_000_000])  # room for 7 of 130,285
    for _ in range(3):
        await asyncio.gather(
            dispatcher.cycle(a.app[withdrawal_deps]), dispatcher.cycle(b.app[withdrawal_deps])
        )
    conn = await asyncpg.connect(database_url)
    try:
        released = await conn.fetchval(
            "SELECT count(*) FROM energy_withdrawal_queue WHERE status = 'released'"
        )
    finally:
        await conn.close()
    assert released == 7  # the two replicas never counted the same energy twice

    async def claim(client: Any) -> list[int]:
        resp = await client.post(f"{QUEUE}/claim", json={"limit": 5}, headers=bearer(key))
        return [i["id"] for i in (await resp.json())["items"]]

    got = await asyncio.gather(claim(a), claim(b), claim(a), claim(b))
    ids = [i for batch in got for i in batch]
    assert len(ids) == 7 and len(set(ids)) == 7


async def test_one_payment_is_accepted_once_across_replicas(
    wd_app: AppFactory, keys: Keys, database_url: str
) -> None:
    a, b = await wd_app(), await wd_app()
    key, partner_id = await keys.partner("acme")
    conn = await asyncpg.connect(database_url)
    try:
        ids = []
        for n in range(2):  # two quotes awaiting payment (created directly: no node in this test)
            ids.append(
                await conn.fetchval(
                    "INSERT INTO emergency_withdrawals (partner_id, user_id, withdrawal_id, to_address, "
                    "amount, "
                    "currency, energy_estimate, energy_fee_sun, bandwidth_bytes, bandwidth_sun, fee_sun, "
                    "trx_fee_amount, pay_to, quote_block, quote_expires_at, created_at) VALUES ($1, 'u', $2, "
                    "'TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy', 1, 'USDT', 130285, 100, 345, 345000, 13373500, "
                    "13.3735, 'TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy', 1, now() + interval '1 hour', now()) "
                    "RETURNING id",
                    partner_id,
                    f"e-{n}",
                )
            )
    finally:
        await conn.close()
    tx = "ab" * 32
    path = "/api/v1/energy/emergency-withdrawal/{}/payment"
    answers = await asyncio.gather(
        a.post(path.format(ids[0]), json={"tx_hash": tx}, headers=bearer(key)),
        b.post(path.format(ids[1]), json={"tx_hash": tx}, headers=bearer(key)),
    )
    # No node: the payment waits (202) for the watcher; the other replica's claim on it is refused.
    assert sorted(r.status for r in answers) == [202, 409]
