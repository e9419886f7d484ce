"""Dispatcher and executor on the devnode: predicted release times hold, claims, stale claims, starvation."""

from __future__ import annotations

from tronpy.keys import PrivateKey

from daemon.demo import executor
from daemon.withdrawals import dispatcher, watcher
from daemon.withdrawals.deps import withdrawal_deps
from daemon.withdrawals.dispatcher import PoolRoom, assign
from daemon.withdrawals.queue_service import queue_position
from tests.conftest import Keys, bearer
from tests.withdrawals.chain import node_of
from tests.withdrawals.conftest import AppFactory, Clock, body, dispatcher_started, scraper_of, squeeze

QUEUE = "/api/v1/energy/queue"


async def test_predicted_release_times_match_the_chain(wd_app: AppFactory, keys: Keys) -> None:
    client = await wd_app(devnode=True)
    deps = client.app[withdrawal_deps]
    node = node_of(client)
    key, partner_id = await keys.partner("acme")
    await dispatcher_started(client)
    await squeeze(client, 130_285 - 20_000)  # the first entry needs 20k more energy recovered
    predicted: dict[int, int] = {}
    for n in range(3):
        # A fresh address each: every transfer really costs the empty-address 130,285 energy.
        to = PrivateKey.random().public_key.to_base58check_address()
        resp = await client.post(
            QUEUE, json=body(f"w-{n}", user_id=f"u-{n}", to_address=to), headers=bearer(key)
        )
        entry = await resp.json()
        assert resp.status == 201 and entry["status"] == "waiting" and entry["queue_position"] == n + 1
        predicted[entry["id"]] = entry["estimated_wait_time"] * 60
    assert await queue_position(deps, partner_id, "u-2") == (3, predicted[max(predicted)] // 60)
    assert await queue_position(deps, partner_id, "nobody") is None
    step, elapsed, actual = 120, 0, {}
    while len(actual) < len(predicted) and elapsed < 12 * 3600:
        node.advance(step)
        elapsed += step
        await scraper_of(client).cycle()
        await dispatcher.cycle(deps)
        for eid in predicted:
            got = await (await client.get(f"{QUEUE}/{eid}", headers=bearer(key))).json()
            if eid not in actual and got["status"] != "waiting":
                actual[eid] = elapsed
        await executor.cycle(deps, node)  # broadcasts what was released: the chain spends the energy
    assert len(actual) == 3, actual
    for eid, at in actual.items():
        # Within 10 % or 2 minutes (plus one polling step of the test loop).
        assert abs(at - predicted[eid]) <= max(0.1 * at, 120) + step, (eid, at, predicted[eid])
    assert sorted(actual.values()) == list(actual.values())  # FIFO
    assert actual[max(actual)] > 3600  # the later ones really waited for recovery
    done = await (await client.get(f"{QUEUE}/{min(actual)}", headers=bearer(key))).json()
    assert done["status"] == "completed" and done["tx_hash"] and done["pool"] == "pool-alpha"


async def test_claim_complete_and_stale_claims_return_to_the_head(wd_app: AppFactory, keys: Keys) -> None:
    clock = Clock()
    client = await wd_app(devnode=True, clock=clock, claim_timeout=60)
    deps = client.app[withdrawal_deps]
    key, _ = await keys.partner("acme")
    globex, _ = await keys.partner("globex")
    ids = []
    for n in range(3):
        ids.append((await (await client.post(QUEUE, json=body(f"w-{n}"), headers=bearer(key))).json())["id"])
    await dispatcher.cycle(deps)  # (the background dispatcher may have been first: enqueue pokes it)
    for eid in ids:  # the demo pools have plenty
        assert (await (await client.get(f"{QUEUE}/{eid}", headers=bearer(key))).json())[
            "status"
        ] == "released"
    assert (await (await client.post(f"{QUEUE}/claim", json={}, headers=bearer(globex))).json())[
        "items"
    ] == []
    claimed = (await (await client.post(f"{QUEUE}/claim", json={"limit": 2}, headers=bearer(key))).json())[
        "items"
    ]
    assert [c["id"] for c in claimed] == ids[:2] and all(c["kind"] == "queue" for c in claimed)
    assert claimed[0]["from_address"] and claimed[0]["pool"] and claimed[0]["fee_limit_sun"] >= 130_285 * 100
    done = await client.post(claimed[0]["complete_url"], json={"tx_hash": "aa" * 32}, headers=bearer(key))
    assert done.status == 200 and (await done.json())["status"] == "completed"
    unclaimed = await client.post(
        f"{QUEUE}/{ids[2]}/complete", json={"tx_hash": "bb" * 32}, headers=bearer(key)
    )
    assert unclaimed.status == 409
    assert (await client.delete(f"{QUEUE}/{ids[1]}", headers=bearer(key))).status == 409  # being sent
    clock.advance(61)
    await watcher.cycle(deps)
    back = await (await client.get(f"{QUEUE}/{ids[1]}", headers=bearer(key))).json()
    assert back["status"] == "waiting" and back["queue_position"] == 1  # head of the queue again
    await dispatcher.cycle(deps)
    again = (await (await client.post(f"{QUEUE}/claim", json={}, headers=bearer(key))).json())["items"]
    assert [c["id"] for c in again] == [ids[1], ids[2]]


def test_a_big_entry_holds_one_pool_and_small_ones_use_the_others() -> None:
    rooms = [PoolRoom(1, 130, 1000), PoolRoom(2, 150, 1000)]
    # Entry 10 needs 500: it fits nowhere, so it holds the pool closest to covering it (pool 2).
    plan = assign([(10, 500), (11, 60), (12, 60), (13, 60)], rooms)
    assert plan == [(11, 1), (12, 1)]  # pool 2's 150 would fit two more, but it is held for entry 10
    # An entry no pool could ever cover holds nothing.
    assert assign([(10, 5000), (11, 60)], rooms) == [(11, 2)]
    # Strict order among entries that fit: oldest first.
    assert [e for e, _ in assign([(1, 50), (2, 50), (3, 50)], rooms)] == [1, 2, 3]
