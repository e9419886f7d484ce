"""Deleting a pool strands nothing: its released withdrawals wait again, claimed ones still complete."""

from __future__ import annotations

from typing import Any

from daemon import keys as app_keys
from daemon.energy.runtime import energy_runtime
from daemon.withdrawals import dispatcher, watcher
from daemon.withdrawals.deps import withdrawal_deps
from tests.conftest import Keys, bearer
from tests.withdrawals.chain import node_of
from tests.withdrawals.conftest import AppFactory, body

QUEUE = "/api/v1/energy/queue"
POOLS = "/api/v1/admin/energy"
DELTA = "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"  # unused on the devnode until the test stakes it


async def _entry(client: Any, key: str, entry_id: int) -> dict[str, Any]:
    resp = await client.get(f"{QUEUE}/{entry_id}", headers=bearer(key))
    assert resp.status == 200
    got: dict[str, Any] = await resp.json()
    return got


async def test_deleting_a_pool_returns_its_released_withdrawals_to_the_queue(
    wd_app: AppFactory, keys: Keys
) -> None:
    client = await wd_app(devnode=True)
    deps = client.app[withdrawal_deps]
    scraper = client.app[energy_runtime].scraper
    key, _ = await keys.partner("acme")
    admin, _ = await keys.admin()
    # A pool with far more energy than the demo pools, so the dispatcher sends everything to it.
    node_of(client).add_account({"address": DELTA, "trx": 100, "staked_energy_trx": 5_000_000})
    resp = await client.post(
        f"{POOLS}/create-pool",
        json={"wallet_address": DELTA, "trx_amount": 5_000_000, "name": "pool-delta"},
        headers=bearer(admin),
    )
    assert resp.status == 201, await resp.text()
    pool_id = (await resp.json())["id"]
    await scraper.cycle()
    ids = []
    for n in range(3):
        resp = await client.post(QUEUE, json=body(f"w-{n}", user_id=f"u-{n}"), headers=bearer(key))
        ids.append((await resp.json())["id"])
    await dispatcher.cycle(deps)
    for eid in ids:
        got = await _entry(client, key, eid)
        assert got["status"] == "released" and got["pool"] == "pool-delta", got
    claimed = (await (await client.post(f"{QUEUE}/claim", json={"limit": 1}, headers=bearer(key))).json())[
        "items"
    ]
    assert [c["id"] for c in claimed] == ids[:1] and claimed[0]["pool"] == "pool-delta"

    # Holding the dispatcher's lock: the scrape the delete wakes would let the background dispatcher
    # hand them to another pool before the late entry is queued (a race the fresh-clone suite lost).
    async with client.app[app_keys.runtime].pool.acquire() as hold, hold.transaction():
        await hold.execute("SELECT pg_advisory_xact_lock($1)", dispatcher.DISPATCH_LOCK)
        assert (await client.delete(f"{POOLS}/pools/{pool_id}", headers=bearer(admin))).status == 204
        # Released but unclaimed: waiting again, in their old order at the head of the queue.
        for position, eid in enumerate(ids[1:], start=1):
            got = await _entry(client, key, eid)
            assert got["status"] == "waiting" and got["pool"] is None, got
            assert got["queue_position"] == position
        later = await client.post(QUEUE, json=body("w-late", user_id="u-late"), headers=bearer(key))
        assert (await later.json())["queue_position"] == 3
    # The claimed one is being sent from the deleted pool's wallet: the executor still completes it.
    done = await client.post(claimed[0]["complete_url"], json={"tx_hash": "ab" * 32}, headers=bearer(key))
    assert done.status == 200 and (await done.json())["status"] == "completed"
    # The next scrape no longer has the pool; the dispatcher releases them to another one.
    await scraper.cycle()
    await dispatcher.cycle(deps)
    again = (await (await client.post(f"{QUEUE}/claim", json={}, headers=bearer(key))).json())["items"]
    assert [c["id"] for c in again][:2] == ids[1:]
    assert all(c["pool"] != "pool-delta" and c["from_address"] != DELTA for c in again)


async def test_releases_orphaned_by_an_older_version_wait_again(wd_app: AppFactory, keys: Keys) -> None:
    client = await wd_app(devnode=True)
    deps = client.app[withdrawal_deps]
    key, _ = await keys.partner("acme")
    ids = []
    for n in range(2):
        resp = await client.post(QUEUE, json=body(f"w-{n}", user_id=f"u-{n}"), headers=bearer(key))
        ids.append((await resp.json())["id"])
    await dispatcher.cycle(deps)
    runtime = client.app[app_keys.runtime]
    async with runtime.pool.acquire() as conn:  # what a pool deleted before this fix left behind
        await conn.execute("UPDATE energy_withdrawal_queue SET pool_id = NULL WHERE id = $1", ids[0])
    # The executor's claim is not used up by the orphan: the good entry comes out alone.
    claimed = (await (await client.post(f"{QUEUE}/claim", json={"limit": 1}, headers=bearer(key))).json())[
        "items"
    ]
    assert [c["id"] for c in claimed] == ids[1:]
    await watcher.cycle(deps)
    got = await _entry(client, key, ids[0])
    assert got["status"] == "waiting" and got["queue_position"] == 1
    await dispatcher.cycle(deps)
    again = (await (await client.post(f"{QUEUE}/claim", json={}, headers=bearer(key))).json())["items"]
    assert [c["id"] for c in again] == ids[:1]


async def test_a_release_planned_to_a_pool_deleted_meanwhile_skips_it(wd_app: AppFactory, keys: Keys) -> None:
    """The dispatcher plans from a snapshot that may still list a deleted pool: that batch must not fail."""
    from datetime import UTC, datetime

    from daemon.withdrawals import queue_repo

    client = await wd_app(devnode=True)
    key, _ = await keys.partner("acme")
    ids = []
    for n in range(2):
        resp = await client.post(QUEUE, json=body(f"w-{n}", user_id=f"u-{n}"), headers=bearer(key))
        ids.append((await resp.json())["id"])
    async with client.app[app_keys.runtime].pool.acquire() as conn, conn.transaction():
        live = await conn.fetchval("SELECT min(id) FROM energy_pools")
        moved = await queue_repo.release(conn, ids, [live, 2**62], datetime.now(UTC))
    assert moved == 1  # the live pool's entry moved; the vanished pool's one stays waiting
    assert (await _entry(client, key, ids[0]))["status"] == "released"
    assert (await _entry(client, key, ids[1]))["status"] == "waiting"
