"""The unmodified tronpy AsyncTron against the devnode: reads, payments, receipts, and each refusal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from tronpy import AsyncTron
from tronpy.async_tron import AsyncTransaction
from tronpy.exceptions import (
    AddressNotFound,
    BadKey,
    BadSignature,
    TaposError,
    TransactionError,
    TransactionNotFound,
    TvmError,
    UnknownError,
    ValidationError,
)
from tronpy.keys import PrivateKey

from daemon.devnode import Devnode

from .conftest import USDT

SOLIDIFY_S = 19 * 3  # the block must be 18 behind head


async def test_reads_balances_resources_and_chain(tron: AsyncTron, wallets: dict[str, Any]) -> None:
    alice, pool = wallets["user-alice"], wallets["pool-alpha"]
    assert await tron.get_account_balance(alice.address) == Decimal(1000)
    res = await tron.get_account_resource(pool.address)
    assert res["EnergyLimit"] == 1_000_000 * 180_000_000_000 // 18_001_360_000
    assert res["EnergyUsed"] == 2_000_000
    assert await tron.get_energy(pool.address) == res["EnergyLimit"] - 2_000_000
    assert await tron.get_bandwidth(alice.address) == 600
    params = {p["key"]: p.get("value", 0) for p in await tron.get_chain_parameters()}
    assert params["getEnergyFee"] == 100
    assert params["getTotalEnergyCurrentLimit"] == 180_000_000_000
    head = await tron.get_latest_block_number()
    assert await tron.get_latest_solid_block_number() == head - 18
    assert (await tron.get_block(head))["block_header"]["raw_data"]["number"] == head
    with pytest.raises(AddressNotFound):
        await tron.get_account(PrivateKey(bytes([7]) * 32).public_key.to_base58check_address())
    usdt = await tron.get_contract(USDT)
    assert await usdt.functions.balanceOf(alice.address) == 5000 * 10**6
    assert await usdt.functions.decimals() == 6
    assert await usdt.functions.symbol() == "USDT"


async def test_trx_transfer_solidifies_with_bandwidth_receipt(
    node: Devnode, tron: AsyncTron, wallets: dict[str, Any]
) -> None:
    alice, bob = wallets["user-alice"], wallets["user-bob"]
    txn = (await tron.trx.transfer(alice.address, bob.address, 2_500_000).build()).sign(alice.key)
    ret = await txn.broadcast()
    assert ret["result"] is True and len(ret.txid) == 64
    with pytest.raises(TransactionNotFound):
        await tron.get_transaction_info(ret.txid)  # pending: no block yet
    node.advance(3)
    info = await tron.get_transaction_info(ret.txid)
    with pytest.raises(TransactionNotFound):
        await tron.get_solid_transaction_info(ret.txid)  # not solid until 18 blocks later
    node.advance(SOLIDIFY_S)
    solid = await ret.wait(solid=True)
    assert solid == info
    assert info["receipt"] == {"net_usage": info["receipt"]["net_usage"]}
    assert 250 < info["receipt"]["net_usage"] < 300  # free bandwidth, nothing burned
    assert "fee" not in info
    tx = await tron.get_solid_transaction(ret.txid)
    assert tx["ret"] == [{"contractRet": "SUCCESS"}]
    assert tx["raw_data"]["contract"][0]["parameter"]["value"]["amount"] == 2_500_000
    assert await tron.get_account_balance(bob.address) == Decimal("202.5")
    assert await tron.get_account_balance(alice.address) == Decimal("997.5")


async def test_trx_transfer_creating_an_account_costs_the_create_fees(
    node: Devnode, tron: AsyncTron, wallets: dict[str, Any]
) -> None:
    """java-tron: getCreateAccountFee for the bytes plus getCreateNewAccountFeeInSystemContract (1.1 TRX)."""
    alice, carol = wallets["user-alice"], wallets["user-carol"]
    fresh = PrivateKey(bytes([9]) * 32).public_key.to_base58check_address()
    params = {p["key"]: p.get("value", 0) for p in await tron.get_chain_parameters()}
    assert params["getCreateAccountFee"] == 100_000
    assert params["getCreateNewAccountFeeInSystemContract"] == 1_000_000
    txn = (await tron.trx.transfer(alice.address, fresh, 5_000_000).build()).sign(alice.key)
    ret = await txn.broadcast()
    node.advance(3)
    info = await ret.wait()
    assert info["receipt"] == {"net_fee": 100_000}  # no staked bandwidth: the flat fee, not bytes
    assert info["fee"] == 1_100_000
    assert (await tron.get_transaction(ret.txid))["ret"] == [{"contractRet": "SUCCESS", "fee": 1_100_000}]
    assert await tron.get_account_balance(fresh) == Decimal(5)
    assert await tron.get_account_balance(alice.address) == Decimal(1000) - Decimal(5) - Decimal("1.1")
    # Validation counts both fees: 49 TRX of carol's 50 to a new account would need 50.1.
    other = PrivateKey(bytes([10]) * 32).public_key.to_base58check_address()
    txn = (await tron.trx.transfer(carol.address, other, 49_000_000).build()).sign(carol.key)
    with pytest.raises(ValidationError, match="balance is not sufficient"):
        await txn.broadcast()
    assert await tron.get_account_balance(carol.address) == Decimal(50)


async def test_usdt_transfer_to_empty_address_burns_trx_for_energy(
    node: Devnode, tron: AsyncTron, wallets: dict[str, Any]
) -> None:
    alice, bob = wallets["user-alice"], wallets["user-bob"]
    usdt = await tron.get_contract(USDT)
    txb = await usdt.functions.transfer(bob.address, 1_000_000)
    txn = (await txb.with_owner(alice.address).fee_limit(30_000_000).build()).sign(alice.key)
    ret = await txn.broadcast()
    node.advance(3)
    assert await ret.result() is False  # mainnet USDT's transfer() returns false even when it succeeds
    info = await ret.wait()
    receipt = info["receipt"]
    assert receipt["energy_usage_total"] == 130_285
    assert receipt["energy_penalty_total"] == 100_635
    assert receipt["energy_fee"] == 130_285 * 100  # no stake: all burned at getEnergyFee
    assert "energy_usage" not in receipt
    assert receipt["result"] == "SUCCESS"
    assert receipt["net_usage"] == 345  # fits alice's free 600 bytes
    assert info["fee"] == 13_028_500
    assert info["log"][0]["address"] == USDT
    assert await usdt.functions.balanceOf(bob.address) == 1_000_000
    assert await tron.get_account_balance(alice.address) == Decimal(1000) - Decimal("13.0285")


async def test_pool_spends_staked_energy_first(
    node: Devnode, tron: AsyncTron, wallets: dict[str, Any]
) -> None:
    pool, alice = wallets["pool-alpha"], wallets["user-alice"]
    before = await tron.get_account_resource(pool.address)
    usdt = await tron.get_contract(USDT)
    txb = await usdt.functions.transfer(alice.address, 5_000_000)
    txn = (await txb.with_owner(pool.address).fee_limit(30_000_000).build()).sign(pool.key)
    ret = await txn.broadcast()
    node.advance(3)
    receipt = (await ret.wait())["receipt"]
    assert receipt["energy_usage"] == receipt["energy_usage_total"] == 64_285  # alice already holds USDT
    assert "energy_fee" not in receipt
    after = await tron.get_account_resource(pool.address)
    # The new spend, less one slot of linear decay (≈2.06M / 28,800 ≈ 72) after the block (docs/tron.md).
    assert before["EnergyUsed"] + 64_285 - 80 <= after["EnergyUsed"] < before["EnergyUsed"] + 64_285
    assert await tron.get_account_balance(pool.address) == Decimal(5000)  # 345 bytes of free bandwidth


async def test_default_fee_limit_fails_130k_transfer_out_of_energy(
    node: Devnode, tron: AsyncTron, wallets: dict[str, Any]
) -> None:
    pool, bob = wallets["pool-alpha"], wallets["user-bob"]
    usdt = await tron.get_contract(USDT)
    estimate = await tron.get_estimated_energy(
        pool.address,
        USDT,
        "transfer(address,uint256)",
        usdt.functions.transfer._prepare_parameter(bob.address, 1),
    )
    assert estimate == 138_428  # estimateenergy rounds up to its 1 TRX fee-limit search (energy_used 130,285)
    # tronpy's default fee_limit (10 TRX) allows 100,000 energy at 100 sun, even from stake (docs/tron.md).
    txn = (await (await usdt.functions.transfer(bob.address, 1)).with_owner(pool.address).build()).sign(
        pool.key
    )
    ret = await txn.broadcast()
    node.advance(3)
    with pytest.raises(TvmError):
        await ret.result()
    info = await ret.wait()
    assert info["result"] == "FAILED"
    assert info["receipt"]["result"] == "OUT_OF_ENERGY"
    assert info["receipt"]["energy_usage_total"] == 100_000
    assert info["receipt"]["energy_usage"] == 100_000  # consumed from stake although it failed
    assert await usdt.functions.balanceOf(bob.address) == 0


async def test_usdt_over_balance_reverts(node: Devnode, tron: AsyncTron, wallets: dict[str, Any]) -> None:
    carol, alice = wallets["user-carol"], wallets["user-alice"]
    usdt = await tron.get_contract(USDT)
    txb = await usdt.functions.transfer(alice.address, 101 * 10**6)  # carol holds 100 USDT
    txn = (await txb.with_owner(carol.address).fee_limit(30_000_000).build()).sign(carol.key)
    ret = await txn.broadcast()
    node.advance(3)
    with pytest.raises(TvmError, match="REVERT"):
        await ret.result()
    assert (await ret.wait())["receipt"]["result"] == "REVERT"
    assert await usdt.functions.balanceOf(carol.address) == 100 * 10**6


async def test_wrong_key_is_refused(tron: AsyncTron, wallets: dict[str, Any]) -> None:
    alice, bob = wallets["user-alice"], wallets["user-bob"]
    txn = await tron.trx.transfer(alice.address, bob.address, 1_000_000).build()
    with pytest.raises(BadKey):
        txn.sign(bob.key)  # tronpy checks getsignweight's permission locally first
    # Bypass the local check: the node recovers the signer and refuses (SIGERROR).
    txn.set_signature([bob.key.sign_msg_hash(bytes.fromhex(txn.txid)).hex()])
    with pytest.raises(BadSignature, match="is signed by " + bob.address):
        await txn.broadcast()


async def test_expired_is_refused(tron: AsyncTron, wallets: dict[str, Any]) -> None:
    alice, bob = wallets["user-alice"], wallets["user-bob"]
    txb = tron.trx.transfer(alice.address, bob.address, 1_000_000).expiration(-1_000)
    txn = await txb.build()
    txn.set_signature([alice.key.sign_msg_hash(bytes.fromhex(txn.txid)).hex()])  # sign() refuses expired
    with pytest.raises(TransactionError, match="Transaction expired"):
        await txn.broadcast()


async def test_duplicate_is_refused(tron: AsyncTron, wallets: dict[str, Any]) -> None:
    alice, bob = wallets["user-alice"], wallets["user-bob"]
    txn = (await tron.trx.transfer(alice.address, bob.address, 1_000_000).build()).sign(alice.key)
    await txn.broadcast()
    with pytest.raises(UnknownError) as err:
        await txn.broadcast()
    assert err.value.args == ("Dup transaction.", "DUP_TRANSACTION_ERROR")
    assert await tron.get_account_balance(bob.address) == Decimal(201)


async def test_insufficient_balance_is_refused(tron: AsyncTron, wallets: dict[str, Any]) -> None:
    carol, bob = wallets["user-carol"], wallets["user-bob"]
    txn = (await tron.trx.transfer(carol.address, bob.address, 51_000_000).build()).sign(carol.key)
    with pytest.raises(ValidationError, match="balance is not sufficient"):
        await txn.broadcast()
    assert await tron.get_account_balance(carol.address) == Decimal(50)


async def test_unknown_ref_block_is_a_tapos_error(tron: AsyncTron, wallets: dict[str, Any]) -> None:
    alice, bob = wallets["user-alice"], wallets["user-bob"]
    txb = tron.trx.transfer(alice.address, bob.address, 1_000_000)
    good = await txb.build()
    raw = dict(good._raw_data, ref_block_hash="00" * 8)
    txn = (await AsyncTransaction.create(raw, client=tron)).sign(alice.key)
    assert txn.txid != good.txid
    with pytest.raises(TaposError):
        await txn.broadcast()


async def test_freeze_balance_v2_raises_energy_limit(
    node: Devnode, tron: AsyncTron, wallets: dict[str, Any]
) -> None:
    alice = wallets["user-alice"]
    txn = (await tron.trx.freeze_balance(alice.address, 500_000_000, "ENERGY").build()).sign(alice.key)
    await txn.broadcast()
    node.advance(3)
    res = await tron.get_account_resource(alice.address)
    assert res["EnergyLimit"] == int(500 * (180_000_000_000 / 18_001_360_500))
    assert res["TotalEnergyWeight"] == 18_001_360_500
    account = await tron.get_account(alice.address)
    assert account["frozenV2"][1] == {"type": "ENERGY", "amount": 500_000_000}
    assert account["balance"] == 500_000_000
