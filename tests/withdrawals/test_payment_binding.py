"""Payments bound to their quote, on the devnode: each attack refused with its reason, honest ones settled."""

from __future__ import annotations

from typing import Any

import asyncpg

from daemon import keys as app_keys
from daemon.tron import blocks
from daemon.withdrawals import watcher
from daemon.withdrawals.deps import withdrawal_deps
from tests.conftest import Keys, bearer
from tests.withdrawals.chain import node_of, pay_trx, solidify
from tests.withdrawals.conftest import AppFactory, Clock, body

EMERGENCY = "/api/v1/energy/emergency-withdrawal"
PAYMENTS = "/api/v1/admin/energy/payments"
SCARCE = {"reserve_energy": 20_000_000}
CAROL = "TX6J3Aiehjzo98K4oB1ukcANCmMt1Gx9y5"
ALICE = "TKKwBf2YL9sH2GppotCWkXy6jmKFRM4ncZ"
OPERATOR = "THh5J4Kb996ZXSguVRYy69ys2fczZ2K1QZ"  # user-bob's wallet, declared the operator's own here


async def _quote(client: Any, key: str, wid: str, **over: Any) -> dict[str, Any]:
    resp = await client.post(EMERGENCY, json=body(wid, **over), headers=bearer(key))
    assert resp.status == 201, await resp.text()
    out: dict[str, Any] = await resp.json()
    return out


async def _pay(client: Any, key: str, eid: int, tx: str) -> Any:
    return await client.post(f"{EMERGENCY}/{eid}/payment", json={"tx_hash": tx}, headers=bearer(key))


async def _get(client: Any, key: str, eid: int) -> dict[str, Any]:
    out: dict[str, Any] = await (await client.get(f"{EMERGENCY}/{eid}", headers=bearer(key))).json()
    return out


async def _refused(client: Any, key: str, eid: int, tx: str, reason: str) -> None:
    resp = await _pay(client, key, eid, tx)
    problem = await resp.json()
    assert resp.status == 422 and problem["detail"].startswith(reason), problem
    assert problem["errors"][0]["field"] == "tx_hash"


async def test_a_payment_nobody_submits_is_found_by_the_scan(wd_app: AppFactory, keys: Keys) -> None:
    client = await wd_app(devnode=True, energy=SCARCE)
    deps = client.app[withdrawal_deps]
    node = node_of(client)
    key, _ = await keys.partner("acme")
    admin, _ = await keys.admin()
    await watcher.cycle(deps)  # the scan starts at the solid head
    quote = await _quote(client, key, "w-1")
    tx = await pay_trx(node, "user-carol", quote["pay_to"], quote["pay_amount_sun"])
    await watcher.cycle(deps)
    assert (await _get(client, key, quote["id"]))["status"] == "pending_trx_payment"  # not solid yet
    solidify(node)
    # The block as the solidity node serves it: java-tron's shape, hex addresses (visible=false).
    tron = client.app[app_keys.runtime].tron
    info = await tron.get_solid_transaction_info(tx)
    block = await blocks.solid_block(tron, info["blockNumber"])
    [entry] = block["transactions"]
    value = entry["raw_data"]["contract"][0]["parameter"]["value"]
    assert entry["txID"] == tx and entry["ret"] == [{"contractRet": "SUCCESS"}]
    assert value["owner_address"].startswith("41") and value["amount"] == quote["pay_amount_sun"]
    await watcher.cycle(deps)
    paid = await _get(client, key, quote["id"])
    assert paid["status"] == "paid" and paid["trx_tx_hash"] == tx and paid["payer"] == CAROL
    [record] = paid["payments"]
    assert record["status"] == "settled" and record["source"] == "scan" and record["tx_hash"] == tx
    again = await pay_trx(node, "user-carol", quote["pay_to"], quote["pay_amount_sun"])  # paid twice
    solidify(node)
    await watcher.cycle(deps)
    records = (await _get(client, key, quote["id"]))["payments"]
    assert [(p["status"], p["tx_hash"]) for p in records] == [("settled", tx), ("duplicate", again)]
    # The cursor is in the database: a restart (or another leader) goes on from it.
    conn = await asyncpg.connect(client.app[app_keys.database_url])
    try:
        cursor = await conn.fetchval("SELECT block_number FROM payment_scan_cursor")
    finally:
        await conn.close()
    assert cursor == node.chain.solid.number
    registry = client.app[app_keys.metrics].registry
    assert registry.get_sample_value("tronwatch_payment_scan_block") == cursor
    assert registry.get_sample_value("tronwatch_emergency_payments_total", {"status": "duplicate"}) == 1
    # Submitting the hash afterwards is answered as paid; the transfer pays nothing else.
    assert (await _pay(client, key, quote["id"], tx)).status == 200
    other = await _quote(client, key, "w-2")
    reused = await _pay(client, key, other["id"], tx)
    assert reused.status == 409 and "already used" in (await reused.json())["detail"]
    listed = await (await client.get(f"{PAYMENTS}?status=settled", headers=bearer(admin))).json()
    assert [(p["tx_hash"], p["withdrawal_id"]) for p in listed["items"]] == [(tx, "w-1")]


async def test_another_users_payment_neither_settles_nor_locks_out(wd_app: AppFactory, keys: Keys) -> None:
    client = await wd_app(devnode=True, energy=SCARCE)
    deps = client.app[withdrawal_deps]
    node = node_of(client)
    key, _ = await keys.partner("acme")
    mine = await _quote(client, key, "w-mine", user_id="u-mallory")
    theirs = await _quote(client, key, "w-theirs", user_id="u-carol")
    assert mine["pay_amount_sun"] != theirs["pay_amount_sun"]  # same fee, different exact amounts
    carol_tx = await pay_trx(node, "user-carol", theirs["pay_to"], theirs["pay_amount_sun"])
    # Mallory submits Carol's hash first, before and after it is solid: refused, nothing consumed.
    word = "too much" if theirs["pay_amount_sun"] > mine["pay_amount_sun"] else "too little"
    await _refused(client, key, mine["id"], carol_tx, word)
    solidify(node)
    await _refused(client, key, mine["id"], carol_tx, word)
    assert (await _get(client, key, mine["id"]))["status"] == "pending_trx_payment"
    assert (await _pay(client, key, theirs["id"], carol_tx)).status == 200  # the rightful payer
    await watcher.cycle(deps)
    assert (await _get(client, key, mine["id"]))["status"] == "pending_trx_payment"
    assert (await _get(client, key, theirs["id"]))["payments"][0]["source"] == "hash"


async def test_the_gateways_own_transfers_never_pay(wd_app: AppFactory, keys: Keys) -> None:
    client = await wd_app(devnode=True, energy=SCARCE, operator_addresses=[OPERATOR])
    deps = client.app[withdrawal_deps]
    node = node_of(client)
    key, _ = await keys.partner("acme")
    admin, _ = await keys.admin()
    quote = await _quote(client, key, "w-1")
    top_up = await pay_trx(node, "user-bob", quote["pay_to"], quote["pay_amount_sun"])  # the operator's
    from_pool = await pay_trx(node, "pool-alpha", quote["pay_to"], quote["pay_amount_sun"])
    solidify(node)
    await watcher.cycle(deps)
    assert (await _get(client, key, quote["id"]))["status"] == "pending_trx_payment"
    await _refused(client, key, quote["id"], top_up, "own address")
    await _refused(client, key, quote["id"], from_pool, "own address")
    listed = await (await client.get(PAYMENTS, headers=bearer(admin))).json()
    assert listed["items"] == []  # the operator's own money is not a user's payment
    honest = await pay_trx(node, "user-carol", quote["pay_to"], quote["pay_amount_sun"])
    solidify(node)
    await watcher.cycle(deps)
    assert (await _get(client, key, quote["id"]))["trx_tx_hash"] == honest


async def test_a_declared_payer_must_be_the_sender(wd_app: AppFactory, keys: Keys) -> None:
    client = await wd_app(devnode=True, energy=SCARCE)
    deps = client.app[withdrawal_deps]
    node = node_of(client)
    key, _ = await keys.partner("acme")
    quote = await _quote(client, key, "w-1", payer_address=CAROL)
    assert quote["payer_address"] == CAROL
    alice = await pay_trx(node, "user-alice", quote["pay_to"], quote["pay_amount_sun"])
    await _refused(client, key, quote["id"], alice, "wrong payer")
    solidify(node)
    await watcher.cycle(deps)
    state = await _get(client, key, quote["id"])
    assert state["status"] == "pending_trx_payment"
    assert [(p["status"], p["payer"]) for p in state["payments"]] == [("wrong_payer", ALICE)]
    carol = await pay_trx(node, "user-carol", quote["pay_to"], quote["pay_amount_sun"])
    solidify(node)
    await watcher.cycle(deps)
    assert (await _get(client, key, quote["id"]))["trx_tx_hash"] == carol
    bad = await client.post(EMERGENCY, json=body("w-2", payer_address="T" + "1" * 33), headers=bearer(key))
    assert bad.status == 422 and (await bad.json())["errors"][0]["field"] == "payer_address"


async def test_wrong_amounts_are_recorded_never_kept_silently(wd_app: AppFactory, keys: Keys) -> None:
    clock = Clock()
    client = await wd_app(devnode=True, energy=SCARCE, clock=clock, quote_ttl=600)
    deps = client.app[withdrawal_deps]
    node = node_of(client)
    key, _ = await keys.partner("acme")
    admin, _ = await keys.admin()
    declared = await _quote(client, key, "w-declared", payer_address=CAROL)
    tagged = await _quote(client, key, "w-tagged")
    expiring = await _quote(client, key, "w-late")
    under = await pay_trx(node, "user-carol", declared["pay_to"], declared["pay_amount_sun"] - 500_000)
    # The right tag in the last digits, one 0.01 TRX step short: attributed to that quote alone.
    short = await pay_trx(node, "user-alice", tagged["pay_to"], tagged["pay_amount_sun"] - 10_000)
    stray = await pay_trx(node, "user-alice", tagged["pay_to"], 1_000_000)
    solidify(node)
    await watcher.cycle(deps)
    got = await _get(client, key, declared["id"])
    assert got["status"] == "pending_trx_payment"  # the quote stays payable
    assert [(p["status"], p["tx_hash"], p["amount_sun"]) for p in got["payments"]] == [
        ("underpaid", under, declared["pay_amount_sun"] - 500_000)
    ]
    assert [(p["status"], p["tx_hash"]) for p in (await _get(client, key, tagged["id"]))["payments"]] == [
        ("underpaid", short)
    ]
    clock.advance(601)
    await watcher.cycle(deps)
    assert (await _get(client, key, expiring["id"]))["status"] == "expired"
    late = await pay_trx(node, "user-alice", expiring["pay_to"], expiring["pay_amount_sun"])
    solidify(node)
    await watcher.cycle(deps)
    late_state = await _get(client, key, expiring["id"])
    assert late_state["status"] == "expired" and late_state["payments"][0]["status"] == "late"
    unmatched = await (await client.get(f"{PAYMENTS}?status=unmatched", headers=bearer(admin))).json()
    assert [(p["tx_hash"], p["emergency_id"], p["amount_trx"]) for p in unmatched["items"]] == [
        (stray, None, "1")
    ]
    unsettled = await (await client.get(f"{PAYMENTS}?status=unsettled&limit=2", headers=bearer(admin))).json()
    assert [p["tx_hash"] for p in unsettled["items"]] == [late, stray] and unsettled["next_cursor"]
    nxt = await client.get(
        f"{PAYMENTS}?status=unsettled&cursor={unsettled['next_cursor']}", headers=bearer(admin)
    )
    assert [p["tx_hash"] for p in (await nxt.json())["items"]] == [short, under]
    bad = await client.get(f"{PAYMENTS}?status=lost", headers=bearer(admin))
    assert bad.status == 422 and (await bad.json())["errors"][0]["field"] == "status"


async def test_two_quotes_never_share_an_amount(wd_app: AppFactory, keys: Keys, monkeypatch: Any) -> None:
    client = await wd_app(devnode=True, energy=SCARCE)
    key, _ = await keys.partner("acme")
    from daemon.withdrawals import binding, payments_repo

    real = payments_repo.held_amounts
    calls = {"n": 0}

    async def stale(conn: Any, *args: Any) -> list[int]:
        # The first look misses what another replica just took: PostgreSQL's unique index decides.
        calls["n"] += 1
        return [] if calls["n"] == 2 else await real(conn, *args)

    monkeypatch.setattr(payments_repo, "held_amounts", stale)
    monkeypatch.setattr(binding.random, "choice", lambda free: free[0])
    first = await _quote(client, key, "w-1")
    second = await _quote(client, key, "w-2")
    assert first["pay_amount_sun"] % 10_000 == 1 and second["pay_amount_sun"] == first["pay_amount_sun"] + 1


async def test_a_payment_in_time_survives_a_node_outage(wd_app: AppFactory, keys: Keys) -> None:
    clock = Clock()
    client = await wd_app(devnode=True, energy=SCARCE, clock=clock, quote_ttl=600)
    deps = client.app[withdrawal_deps]
    node = node_of(client)
    key, _ = await keys.partner("acme")
    quote = await _quote(client, key, "w-1")
    tx = await pay_trx(node, "user-carol", quote["pay_to"], quote["pay_amount_sun"])
    node.set_fault("*", outage=True)
    clock.advance(601)
    await watcher.cycle(deps)  # the scan cannot read the chain: the quote does not expire
    assert (await _get(client, key, quote["id"]))["status"] == "pending_trx_payment"
    node.clear_faults()
    solidify(node)
    await watcher.cycle(deps)
    assert (await _get(client, key, quote["id"]))["trx_tx_hash"] == tx
