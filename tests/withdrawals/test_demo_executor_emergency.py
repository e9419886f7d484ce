"""The demo executor's own loop sends a paid emergency: USDT from the hot wallet, energy bought with TRX."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from tronpy.keys import to_base58check_address

from daemon import keys as app_keys
from daemon.energy.runtime import energy_runtime
from tests.conftest import Keys, bearer
from tests.withdrawals.chain import node_of, pay_trx, solidify, wallet
from tests.withdrawals.conftest import EMPTY, AppFactory, body

EMERGENCY = "/api/v1/energy/emergency-withdrawal"
USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
SCARCE = {"reserve_energy": 20_000_000}  # no pool releases anything: only the emergency path can send


def _emergency_count(client: Any, status: str) -> float:
    registry = client.app[app_keys.metrics].registry
    return registry.get_sample_value("tronwatch_emergency_withdrawals_total", {"status": status}) or 0.0


async def _until(client: Any, key: str, eid: int, status: str, node: Any = None) -> dict[str, Any]:
    for _ in range(300):
        got: dict[str, Any] = await (await client.get(f"{EMERGENCY}/{eid}", headers=bearer(key))).json()
        if got["status"] == status:
            return got
        if node is not None:
            node.advance(3)  # mine a block: the executor completes a transfer once it succeeded
        await asyncio.sleep(0.05)
    raise AssertionError(f"never {status}: {got}")


async def test_demo_executor_loop_sends_a_paid_emergency_burning_trx(wd_app: AppFactory, keys: Keys) -> None:
    client = await wd_app(devnode=True, energy=SCARCE, demo_executor=True, executor_interval=0.05)
    node = node_of(client)
    key, _ = await keys.partner("acme")
    quote = await (await client.post(EMERGENCY, json=body("w-em"), headers=bearer(key))).json()
    assert quote["status"] == "pending_trx_payment" and quote["fee_breakdown"]["energy_fee_sun"] == 100
    # The price doubles after the quote: the executor's fee_limit must follow the live price, or the
    # transfer runs out of energy (quote 130,285 × 100 × 1.5 margin < 130,285 × 210).
    node.set_energy_fee(210)
    scraper = client.app[energy_runtime].scraper
    scraper.params_due = 0
    await scraper.cycle()
    async with wallet(node) as tron:
        sender_trx_before = await tron.get_account_balance(quote["pay_to"])
    fee_sun = quote["pay_amount_sun"]  # the exact amount that identifies this quote
    paid_tx = await pay_trx(node, "user-carol", quote["pay_to"], fee_sun)
    solidify(node)  # solid before submission: verified at once (200 paid)
    resp = await client.post(
        f"{EMERGENCY}/{quote['id']}/payment", json={"tx_hash": paid_tx}, headers=bearer(key)
    )
    assert resp.status == 200 and (await resp.json())["status"] == "paid", await resp.text()

    done = await _until(client, key, quote["id"], "completed", node)  # only blocks are driven by hand
    assert done["tx_hash"] and done["completed_at"]
    async with wallet(node) as tron:
        info = await tron.get_transaction_info(done["tx_hash"])
        sent = await tron.get_transaction(done["tx_hash"])
        balance = await (await tron.get_contract(USDT)).functions.balanceOf(EMPTY)
        sender_trx_after = await tron.get_account_balance(quote["pay_to"])
    receipt = info["receipt"]
    assert receipt["result"] == "SUCCESS", info
    assert balance == 12_500_000
    raw = sent["raw_data"]
    assert (
        to_base58check_address(raw["contract"][0]["parameter"]["value"]["owner_address"]) == quote["pay_to"]
    )
    # Energy was bought with TRX (the hot wallet has no stake), at the live price, under the fee_limit.
    assert receipt.get("energy_usage", 0) == 0 and receipt["energy_usage_total"] == 130_285
    assert receipt["energy_fee"] == 130_285 * 210
    assert raw["fee_limit"] >= receipt["energy_fee"] and raw["fee_limit"] <= 130_285 * 210 * 1.5 + 1
    burned = Decimal(info["fee"]) / 1_000_000  # 27.36 TRX of energy, plus bandwidth
    assert sender_trx_after == sender_trx_before + Decimal(fee_sun) / 1_000_000 - burned
    # The executor counted both steps as the HTTP claim/complete routes do.
    assert _emergency_count(client, "processing") == 1
    assert _emergency_count(client, "completed") == 1
    # A repeated report of the same transfer is accepted and not counted again.
    again = await client.post(
        f"{EMERGENCY}/{quote['id']}/complete", json={"tx_hash": done["tx_hash"]}, headers=bearer(key)
    )
    assert again.status == 200 and _emergency_count(client, "completed") == 1
