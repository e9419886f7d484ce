"""Emergency withdrawals end to end on the devnode: live quote, tronpy payment, each rejection, executor."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from daemon.energy.runtime import energy_runtime
from daemon.withdrawals import watcher
from daemon.withdrawals.deps import withdrawal_deps
from tests.conftest import Keys, bearer
from tests.withdrawals.chain import node_of, pay_trx, send_usdt, solidify, wallet
from tests.withdrawals.conftest import EMPTY, AppFactory, Clock, body

QUEUE = "/api/v1/energy/queue"
EMERGENCY = "/api/v1/energy/emergency-withdrawal"
SCARCE = {"reserve_energy": 20_000_000}  # no pool can release anything: entries keep waiting


async def _create(client: Any, key: str, wid: str = "w-1") -> dict[str, Any]:
    resp = await client.post(EMERGENCY, json=body(wid), headers=bearer(key))
    assert resp.status == 201, await resp.text()
    out: dict[str, Any] = await resp.json()
    return out


async def _pay(client: Any, key: str, eid: int, tx: str) -> Any:
    return await client.post(f"{EMERGENCY}/{eid}/payment", json={"tx_hash": tx}, headers=bearer(key))


async def test_happy_path_quote_pay_claim_send_complete(wd_app: AppFactory, keys: Keys) -> None:
    client = await wd_app(devnode=True, energy=SCARCE)
    deps = client.app[withdrawal_deps]
    node = node_of(client)
    key, _ = await keys.partner("acme")
    queued = await (await client.post(QUEUE, json=body("w-1"), headers=bearer(key))).json()
    quote = await _create(client, key)
    # The live quote: 130,285 energy (empty recipient) × getEnergyFee 100 + 345 bytes × 1000 sun.
    assert quote["status"] == "pending_trx_payment" and quote["fee_breakdown"]["energy"] == 130_285
    assert Decimal(quote["estimated_trx_fee"]) == Decimal("13.3735")
    # The exact amount to send: the fee rounded up to 0.01 TRX plus a tag in the sun digits below.
    assert 13_380_000 < quote["pay_amount_sun"] < 13_390_000
    assert Decimal(quote["pay_amount_trx"]) * 1_000_000 == quote["pay_amount_sun"]
    assert quote["pay_to"] in quote["message"] and quote["pay_amount_trx"] in quote["message"]
    # Creating it cancelled the waiting queue entry in the same transaction.
    assert (await (await client.get(f"{QUEUE}/{queued['id']}", headers=bearer(key))).json())[
        "status"
    ] == "cancelled"
    node.set_energy_fee(210)  # a later price change does not touch an issued quote
    tx = await pay_trx(node, "user-carol", quote["pay_to"], quote["pay_amount_sun"])
    pending = await _pay(client, key, quote["id"], tx)
    assert pending.status == 202 and (await pending.json())["status"] == "verifying"
    solidify(node)
    await watcher.cycle(deps)
    scraper = client.app[energy_runtime].scraper
    scraper.params_due = 0  # the scraper re-reads chain parameters: the claim's fee_limit follows the price
    await scraper.cycle()
    paid = await (await client.get(f"{EMERGENCY}/{quote['id']}", headers=bearer(key))).json()
    assert paid["status"] == "paid" and paid["payer"] == "TX6J3Aiehjzo98K4oB1ukcANCmMt1Gx9y5"  # user-carol
    # The executor protocol, driven by hand: claim -> broadcast -> complete.
    claimed = await (await client.post(f"{QUEUE}/claim", json={"limit": 5}, headers=bearer(key))).json()
    [item] = claimed["items"]
    assert item["kind"] == "emergency" and item["from_address"] == quote["pay_to"] and item["pool"] is None
    assert item["fee_limit_sun"] >= 130_285 * 210
    again = await (await client.post(f"{QUEUE}/claim", json={}, headers=bearer(key))).json()
    assert again["items"] == []  # claimed once only
    from tests.withdrawals.chain import key_of

    async with wallet(node) as tron:
        hot = key_of(node, "gateway-hot")
        contract = await tron.get_contract("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
        builder = await contract.functions.transfer(item["to_address"], 12_500_000)
        txn = await builder.with_owner(item["from_address"]).fee_limit(item["fee_limit_sun"]).build()
        sent = await txn.sign(hot).broadcast()
        node.advance(3)
        info = await tron.get_transaction_info(sent["txid"])
        balance = await contract.functions.balanceOf(EMPTY)
    assert info["receipt"]["result"] == "SUCCESS" and info["receipt"]["energy_fee"] > 0  # TRX burned
    assert balance == 12_500_000
    done = await client.post(item["complete_url"], json={"tx_hash": sent["txid"]}, headers=bearer(key))
    assert done.status == 200 and (await done.json())["status"] == "completed"
    # Reporting the same transfer again is harmless; another one is refused.
    assert (
        await client.post(item["complete_url"], json={"tx_hash": sent["txid"]}, headers=bearer(key))
    ).status == 200
    assert (
        await client.post(item["complete_url"], json={"tx_hash": "ab" * 32}, headers=bearer(key))
    ).status == 409
    # One payment funds one withdrawal.
    other = await _create(client, key, "w-2")
    reused = await _pay(client, key, other["id"], tx)
    assert reused.status == 409 and "already used" in (await reused.json())["detail"]


async def test_each_bad_payment_is_refused_with_its_reason(wd_app: AppFactory, keys: Keys) -> None:
    client = await wd_app(devnode=True, energy=SCARCE)
    node = node_of(client)
    key, _ = await keys.partner("acme")
    early = await pay_trx(node, "user-alice", "TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy", 20_000_000)
    quote = await _create(client, key)
    fee = int(Decimal(quote["estimated_trx_fee"]) * 1_000_000)
    wrong_to = await pay_trx(node, "user-alice", "THh5J4Kb996ZXSguVRYy69ys2fczZ2K1QZ", fee)
    too_little = await pay_trx(node, "user-alice", quote["pay_to"], fee - 1)
    failed = await send_usdt(node, "user-bob", quote["pay_to"], 5)  # bob holds no USDT: REVERT
    not_trx = await send_usdt(node, "user-alice", quote["pay_to"], 5)
    solidify(node)
    cases = [
        ("00" * 32, "unknown tx"),
        (wrong_to, "wrong recipient"),
        (too_little, "too little"),
        (failed, "failed tx"),
        (not_trx, "not a TRX transfer"),
    ]
    for tx, reason in cases:
        resp = await _pay(client, key, quote["id"], tx)
        problem = await resp.json()
        assert resp.status == 422 and problem["detail"].startswith(reason), (reason, problem)
        assert problem["errors"][0]["field"] == "tx_hash"
    # Paid to the right address with enough, but before the quote existed.
    early_quote = await _create(client, key, "w-early")
    assert early_quote["pay_to"] != "TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy"
    ok_but_old = await pay_trx(node, "user-alice", quote["pay_to"], fee)
    solidify(node)
    later = await _create(client, key, "w-later")
    old = await _pay(client, key, later["id"], ok_but_old)
    assert old.status == 422 and (await old.json())["detail"].startswith("too old")
    assert (await _pay(client, key, quote["id"], early)).status == 422
    state = await (await client.get(f"{EMERGENCY}/{quote['id']}", headers=bearer(key))).json()
    assert state["status"] == "pending_trx_payment"


async def test_quotes_expire(wd_app: AppFactory, keys: Keys) -> None:
    clock = Clock()
    client = await wd_app(devnode=True, energy=SCARCE, clock=clock, quote_ttl=600)
    deps = client.app[withdrawal_deps]
    node = node_of(client)
    key, _ = await keys.partner("acme")
    quote = await _create(client, key)
    clock.advance(601)
    await watcher.cycle(deps)
    got = await (await client.get(f"{EMERGENCY}/{quote['id']}", headers=bearer(key))).json()
    assert got["status"] == "expired" and "expired" in got["message"]
    tx = await pay_trx(node, "user-alice", quote["pay_to"], 20_000_000)
    late = await _pay(client, key, quote["id"], tx)
    assert late.status == 409 and "expired" in (await late.json())["detail"]
    fresh = await _create(client, key)  # a new quote for the same withdrawal is allowed after expiry
    assert fresh["id"] != quote["id"]


async def test_node_down_payments_wait_then_complete(wd_app: AppFactory, keys: Keys) -> None:
    client = await wd_app(devnode=True, energy=SCARCE)
    deps = client.app[withdrawal_deps]
    node = node_of(client)
    key, _ = await keys.partner("acme")
    quote = await _create(client, key)
    tx = await pay_trx(node, "user-carol", quote["pay_to"], quote["pay_amount_sun"])
    solidify(node)
    node.set_fault("*", outage=True)
    queued = await client.post(
        QUEUE, json=body("w-q", to_address="TKKwBf2YL9sH2GppotCWkXy6jmKFRM4ncZ"), headers=bearer(key)
    )
    assert queued.status == 201  # enqueue works without the node
    waiting = await _pay(client, key, quote["id"], tx)
    assert waiting.status == 202
    await watcher.cycle(deps)
    still = await (await client.get(f"{EMERGENCY}/{quote['id']}", headers=bearer(key))).json()
    assert still["status"] == "verifying"
    node.clear_faults()
    await watcher.cycle(deps)
    done = await (await client.get(f"{EMERGENCY}/{quote['id']}", headers=bearer(key))).json()
    assert done["status"] == "paid"
