"""Wait or pay: once an emergency quote expires unpaid, the withdrawal can queue again."""

from __future__ import annotations

from daemon.withdrawals import watcher
from daemon.withdrawals.deps import withdrawal_deps
from tests.conftest import Keys, bearer
from tests.withdrawals.chain import node_of, pay_trx, solidify
from tests.withdrawals.conftest import AppFactory, Clock, body

QUEUE = "/api/v1/energy/queue"
EMERGENCY = "/api/v1/energy/emergency-withdrawal"
SCARCE = {"reserve_energy": 20_000_000}  # nothing is released: entries keep waiting


async def test_an_expired_emergency_can_go_back_to_the_queue_and_a_paid_one_cannot(
    wd_app: AppFactory, keys: Keys
) -> None:
    clock = Clock()
    client = await wd_app(devnode=True, energy=SCARCE, clock=clock, quote_ttl=600)
    deps = client.app[withdrawal_deps]
    key, _ = await keys.partner("acme")
    first = await (await client.post(QUEUE, json=body("w-1"), headers=bearer(key))).json()
    other = await (await client.post(QUEUE, json=body("w-2", user_id="u-2"), headers=bearer(key))).json()
    quote = await client.post(EMERGENCY, json=body("w-1"), headers=bearer(key))
    assert quote.status == 201
    # While the quote can still be paid, waiting is refused, saying until when.
    pending = await client.post(QUEUE, json=body("w-1"), headers=bearer(key))
    problem = await pending.json()
    assert pending.status == 409 and "expires unpaid" in problem["detail"]
    assert problem["errors"][0]["field"] == "withdrawal_id"
    clock.advance(601)
    await watcher.cycle(deps)
    assert (
        await (await client.get(f"{EMERGENCY}/{(await quote.json())['id']}", headers=bearer(key))).json()
    )["status"] == "expired"
    # Back in the queue, at the back (a new id and created_at), with an exact answer for its key.
    back = await client.post(QUEUE, json=body("w-1"), headers=bearer(key) | {"Idempotency-Key": "r-1"})
    assert back.status == 201, await back.text()
    entry = await back.json()
    assert entry["status"] == "waiting" and entry["id"] > other["id"] and entry["queue_position"] == 2
    assert entry["created_at"] > first["created_at"]
    again = await client.post(QUEUE, json=body("w-1"), headers=bearer(key) | {"Idempotency-Key": "r-1"})
    assert again.status == 201 and await again.json() == entry
    retry = await client.post(QUEUE, json=body("w-1"), headers=bearer(key))
    assert retry.status == 200 and (await retry.json())["id"] == entry["id"]
    assert (await client.get(f"{QUEUE}/{first['id']}", headers=bearer(key))).status == 404  # the old id
    got = await (await client.get(f"{QUEUE}/{entry['id']}", headers=bearer(key))).json()
    assert got["status"] == "waiting" and got["queue_position"] == 2
    # Pay this time: once paid, the withdrawal is sent as an emergency and never queues.
    paid = await (await client.post(EMERGENCY, json=body("w-1"), headers=bearer(key))).json()
    node = node_of(client)
    tx = await pay_trx(node, "user-carol", paid["pay_to"], paid["pay_amount_sun"])
    solidify(node)
    resp = await client.post(f"{EMERGENCY}/{paid['id']}/payment", json={"tx_hash": tx}, headers=bearer(key))
    assert resp.status == 200 and (await resp.json())["status"] == "paid"
    clock.advance(601)
    await watcher.cycle(deps)
    refused = await client.post(QUEUE, json=body("w-1"), headers=bearer(key))
    problem = await refused.json()
    assert refused.status == 409 and "(paid)" in problem["detail"] and "not queued" in problem["detail"]
    got = await (await client.get(f"{QUEUE}/{entry['id']}", headers=bearer(key))).json()
    assert got["status"] == "cancelled"
