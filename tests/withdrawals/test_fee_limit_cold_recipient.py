"""fee_limit is sized for a cold recipient: a holder that empties its USDT before the send still gets paid."""

from __future__ import annotations

from typing import Any

from daemon.demo import executor
from daemon.withdrawals import dispatcher
from daemon.withdrawals.deps import withdrawal_deps
from tests.conftest import Keys, bearer
from tests.withdrawals.chain import node_of, pay_trx, send_usdt, solidify, wallet
from tests.withdrawals.conftest import AppFactory, body

QUEUE = "/api/v1/energy/queue"
EMERGENCY = "/api/v1/energy/emergency-withdrawal"
USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
ALICE = "TKKwBf2YL9sH2GppotCWkXy6jmKFRM4ncZ"  # user-alice holds 5,000 USDT on the devnode
BOB = "THh5J4Kb996ZXSguVRYy69ys2fczZ2K1QZ"  # user-bob


async def _balance(node: Any, address: str) -> int:
    async with wallet(node) as tron:
        return int(await (await tron.get_contract(USDT)).functions.balanceOf(address))


async def test_a_recipient_that_empties_between_enqueue_and_send_is_still_paid(
    wd_app: AppFactory, keys: Keys
) -> None:
    client = await wd_app(devnode=True)
    deps = client.app[withdrawal_deps]
    node = node_of(client)
    key, _ = await keys.partner("acme")
    resp = await client.post(QUEUE, json=body("w-warm", to_address=ALICE), headers=bearer(key))
    entry = await resp.json()
    assert resp.status == 201 and entry["required_energy"] == 64_285, entry  # a holder: the warm price
    # Before the pool sends, alice moves every unit away: the transfer now writes a fresh balance slot.
    await send_usdt(node, "user-alice", BOB, await _balance(node, ALICE))
    assert await _balance(node, ALICE) == 0
    await dispatcher.cycle(deps)
    await executor.cycle(deps, node)  # claims and broadcasts from the pool, with the claim's fee_limit
    [(txid, (_, item))] = _broadcasts(client)
    node.advance(3)
    await executor.cycle(deps, node)  # sees the block: completes what succeeded
    async with wallet(node) as tron:
        info = await tron.get_transaction_info(txid)
    assert info["receipt"]["result"] == "SUCCESS", info
    assert info["receipt"]["energy_usage_total"] == 130_285  # the cold price was paid, from staked energy
    got = await (await client.get(f"{QUEUE}/{entry['id']}", headers=bearer(key))).json()
    assert got["status"] == "completed" and got["tx_hash"] == txid, got
    assert await _balance(node, ALICE) == 12_500_000
    # Room for a cold recipient's 130,285 energy at 100 sun, with the margin; not the warm 64,285 × 1.5.
    assert item.fee_limit_sun >= 130_285 * 100 * 1.5


def _broadcasts(client: Any) -> list[Any]:
    from daemon.withdrawals.state import withdrawal_state

    return list(client.app[withdrawal_state].broadcasts.items())


async def test_an_emergency_quoted_for_a_holder_is_sent_after_the_holder_empties(
    wd_app: AppFactory, keys: Keys
) -> None:
    client = await wd_app(devnode=True, energy={"reserve_energy": 20_000_000})  # only the emergency path
    deps = client.app[withdrawal_deps]
    node = node_of(client)
    key, _ = await keys.partner("acme")
    resp = await client.post(EMERGENCY, json=body("w-em", to_address=ALICE), headers=bearer(key))
    quote = await resp.json()
    assert resp.status == 201 and quote["fee_breakdown"]["energy"] == 64_285, quote  # the holder's price
    fee_sun = quote["pay_amount_sun"]  # the exact amount that identifies this quote
    paid = await pay_trx(node, "user-carol", quote["pay_to"], fee_sun)
    solidify(node)
    pay_url = f"{EMERGENCY}/{quote['id']}/payment"
    resp = await client.post(pay_url, json={"tx_hash": paid}, headers=bearer(key))
    assert resp.status == 200, await resp.text()
    await send_usdt(node, "user-alice", BOB, await _balance(node, ALICE))  # emptied after the quote
    await executor.cycle(deps, node)  # claims the paid emergency and sends it from the hot wallet
    [(txid, _)] = _broadcasts(client)
    node.advance(3)
    await executor.cycle(deps, node)
    async with wallet(node) as tron:
        info = await tron.get_transaction_info(txid)
    assert info["receipt"]["result"] == "SUCCESS", info
    assert info["receipt"]["energy_usage_total"] == 130_285  # burned by the hot wallet, within fee_limit
    got = await (await client.get(f"{EMERGENCY}/{quote['id']}", headers=bearer(key))).json()
    assert got["status"] == "completed" and got["tx_hash"] == txid, got
