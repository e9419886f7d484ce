"""Stake 2.0 through the unmodified tronpy: delegate (locked and not), reclaim, unstake, withdraw, prices."""

from __future__ import annotations

from typing import Any

import pytest
from tronpy import AsyncTron
from tronpy.exceptions import ValidationError

from daemon.devnode import Devnode

from .conftest import USDT

TRX = 1_000_000
TOTAL_LIMIT = 180_000_000_000
WEIGHT = 18_001_360_000  # the demo network's TotalEnergyWeight: unchanged by delegation


def energy_of(sun: int) -> int:
    """java-tron's EnergyLimit for a stake (double arithmetic, truncated)."""
    return int(sun / TRX * (TOTAL_LIMIT / WEIGHT))


async def send(node: Devnode, tron: AsyncTron, builder: Any, key: Any) -> dict[str, Any]:
    """Build, sign, broadcast, seal one block; the receipt."""
    ret = await (await builder.build()).sign(key).broadcast()
    node.advance(3)
    info: dict[str, Any] = await tron.get_transaction_info(ret.txid)
    return info


async def test_delegated_energy_counts_for_the_receiver_and_leaves_the_owner(
    node: Devnode, tron: AsyncTron, wallets: dict[str, Any]
) -> None:
    pool, alice = wallets["pool-alpha"], wallets["user-alice"]
    before = await tron.get_account_resource(pool.address)
    max_before = (await tron.get_can_delegated_max_size(pool.address, "ENERGY"))["max_size"]
    tx = tron.trx.delegate_resource(pool.address, alice.address, 50_000 * TRX, "ENERGY")
    await send(node, tron, tx, pool.key)

    mine = await tron.get_account_resource(alice.address)
    assert mine["EnergyLimit"] == energy_of(50_000 * TRX)
    assert mine["TotalEnergyWeight"] == WEIGHT
    theirs = await tron.get_account_resource(pool.address)
    assert theirs["EnergyLimit"] == energy_of(950_000 * TRX)
    assert theirs["tronPowerLimit"] == before["tronPowerLimit"] == 1_000_000
    account = await tron.get_account(pool.address)
    assert account["frozenV2"][1] == {"type": "ENERGY", "amount": 950_000 * TRX}
    assert account["account_resource"]["delegated_frozenV2_balance_for_energy"] == 50_000 * TRX
    received = await tron.get_account(alice.address)
    assert received["account_resource"]["acquired_delegated_frozenV2_balance_for_energy"] == 50_000 * TRX
    assert await tron.get_delegated_resource_v2(pool.address, alice.address) == {
        "delegatedResource": [
            {"from": pool.address, "to": alice.address, "frozen_balance_for_energy": 50_000 * TRX}
        ]
    }
    assert await tron.get_delegated_resource_account_index_v2(pool.address) == {
        "account": pool.address,
        "toAccounts": [alice.address],
    }
    assert await tron.get_delegated_resource_account_index_v2(alice.address) == {
        "account": alice.address,
        "fromAccounts": [pool.address],
    }
    max_after = (await tron.get_can_delegated_max_size(pool.address, "ENERGY"))["max_size"]
    assert 0 <= max_after - (max_before - 50_000 * TRX) < 100 * TRX  # usage decayed one block
    # Energy delegated to alice pays her USDT transfer instead of burned TRX.
    usdt = await tron.get_contract(USDT)
    pay = (await usdt.functions.transfer(wallets["pool-beta"].address, 10)).with_owner(alice.address)
    info = await send(node, tron, pay.fee_limit(30 * TRX), alice.key)
    assert info["receipt"]["energy_usage"] == 64_285 and "energy_fee" not in info["receipt"]


async def test_locked_delegation_is_refused_back_until_it_expires(
    node: Devnode, tron: AsyncTron, wallets: dict[str, Any]
) -> None:
    pool, alice = wallets["pool-alpha"], wallets["user-alice"]
    lock = tron.trx.delegate_resource(pool.address, alice.address, 10_000 * TRX, "ENERGY", True, 100)
    head_ms = (await tron.get_latest_block())["block_header"]["raw_data"]["timestamp"]
    await send(node, tron, lock, pool.key)
    record = (await tron.get_delegated_resource_v2(pool.address, alice.address))["delegatedResource"]
    assert record == [
        {
            "from": pool.address,
            "to": alice.address,
            "frozen_balance_for_energy": 10_000 * TRX,
            "expire_time_for_energy": head_ms + 100 * 3000,
        }
    ]
    back = tron.trx.undelegate_resource(pool.address, alice.address, 10_000 * TRX, "ENERGY")
    with pytest.raises(ValidationError, match="insufficient delegateFrozenBalance\\(Energy\\), request="):
        await (await back.build()).sign(pool.key).broadcast()
    shorter = tron.trx.delegate_resource(pool.address, alice.address, 1_000 * TRX, "ENERGY", True, 10)
    with pytest.raises(ValidationError, match="cannot be less than the remaining time"):
        await (await shorter.build()).sign(pool.key).broadcast()
    node.advance(300)
    await send(node, tron, back, pool.key)
    assert await tron.get_delegated_resource_v2(pool.address, alice.address) == {}
    assert await tron.get_delegated_resource_account_index_v2(alice.address) == {"account": alice.address}
    assert (await tron.get_account_resource(alice.address)).get("EnergyLimit", 0) == 0


async def test_reclaim_moves_the_receivers_usage_to_the_owner(
    node: Devnode, tron: AsyncTron, wallets: dict[str, Any]
) -> None:
    pool, alice, bob = wallets["pool-alpha"], wallets["user-alice"], wallets["user-bob"]
    await send(
        node, tron, tron.trx.delegate_resource(pool.address, alice.address, 20_000 * TRX, "ENERGY"), pool.key
    )
    usdt = await tron.get_contract(USDT)
    pay = (await usdt.functions.transfer(bob.address, 10)).with_owner(alice.address).fee_limit(30 * TRX)
    info = await send(node, tron, pay, alice.key)
    assert info["receipt"]["energy_usage"] == 130_285  # bob held no USDT: all from the delegated stake
    pool_used = (await tron.get_account_resource(pool.address))["EnergyUsed"]
    alice_used = (await tron.get_account_resource(alice.address))["EnergyUsed"]
    back = tron.trx.undelegate_resource(pool.address, alice.address, 20_000 * TRX, "ENERGY")
    await send(node, tron, back, pool.key)
    assert (await tron.get_account_resource(alice.address)).get("EnergyUsed", 0) == 0
    after = (await tron.get_account_resource(pool.address))["EnergyUsed"]
    # Both decay one more block first (the pool by ≈70 of its 2M); alice's usage moves to the pool.
    assert alice_used - 100 <= after - pool_used <= alice_used
    txs = await tron.get_transaction_info(info["id"])
    assert txs["receipt"]["energy_usage"] == 130_285


async def test_delegation_refusals_name_the_problem(tron: AsyncTron, wallets: dict[str, Any]) -> None:
    pool, alice = wallets["pool-gamma"], wallets["user-alice"]
    cases = [
        (tron.trx.delegate_resource(pool.address, alice.address, 61_000 * TRX, "ENERGY"), pool, "available"),
        (tron.trx.delegate_resource(pool.address, pool.address, 10 * TRX, "ENERGY"), pool, "same as owner"),
        (tron.trx.delegate_resource(pool.address, alice.address, TRX // 2, "ENERGY"), pool, "1 TRX"),
        (tron.trx.undelegate_resource(pool.address, alice.address, TRX, "ENERGY"), pool, "does not exist"),
        (tron.trx.delegate_resource(alice.address, pool.address, 10 * TRX, "ENERGY"), alice, "available"),
    ]
    for builder, signer, message in cases:
        with pytest.raises(ValidationError, match=message):
            await (await builder.build()).sign(signer.key).broadcast()


async def test_unstake_waits_fourteen_days_then_withdraws(
    node: Devnode, tron: AsyncTron, wallets: dict[str, Any]
) -> None:
    pool = wallets["pool-gamma"]
    balance = (await tron.get_account(pool.address))["balance"]
    head_ms = (await tron.get_latest_block())["block_header"]["raw_data"]["timestamp"]
    await send(
        node, tron, tron.trx.unfreeze_balance(pool.address, "ENERGY", unfreeze_balance=1_000 * TRX), pool.key
    )
    account = await tron.get_account(pool.address)
    assert account["frozenV2"][1] == {"type": "ENERGY", "amount": 59_000 * TRX}
    assert account["unfrozenV2"] == [
        {"type": "ENERGY", "unfreeze_amount": 1_000 * TRX, "unfreeze_expire_time": head_ms + 14 * 86_400_000}
    ]
    assert (await tron.get_account_resource(pool.address))["TotalEnergyWeight"] == WEIGHT - 1_000
    with pytest.raises(ValidationError, match="no unFreeze balance to withdraw"):
        await (await tron.trx.withdraw_stake_balance(pool.address).build()).sign(pool.key).broadcast()
    node.advance(14 * 86_400)
    await send(node, tron, tron.trx.withdraw_stake_balance(pool.address), pool.key)
    account = await tron.get_account(pool.address)
    assert "unfrozenV2" not in account
    assert account["balance"] == balance + 1_000 * TRX  # bandwidth came from the free allowance


async def test_price_history_and_burned_trx(node: Devnode, tron: AsyncTron, wallets: dict[str, Any]) -> None:
    prices = await tron.provider.make_request("wallet/getenergyprices")
    assert prices == {"prices": "0:100"}
    node.set_energy_fee(210)
    node.advance(3)
    head_ms = (await tron.get_latest_block())["block_header"]["raw_data"]["timestamp"]
    prices = await tron.provider.make_request("walletsolidity/getenergyprices")
    assert prices == {"prices": f"0:100,{head_ms}:210"}
    assert await tron.provider.make_request("wallet/getbandwidthprices") == {"prices": "0:1000"}
    assert await tron.provider.make_request("wallet/getburntrx") == {"burnTrxAmount": 0}
    bob, carol = wallets["user-bob"], wallets["user-carol"]
    usdt = await tron.get_contract(USDT)
    pay = (await usdt.functions.transfer(bob.address, 1)).with_owner(carol.address).fee_limit(30 * TRX)
    info = await send(node, tron, pay, carol.key)
    assert info["fee"] == 130_285 * 210
    assert await tron.provider.make_request("wallet/getburntrx") == {"burnTrxAmount": info["fee"]}
