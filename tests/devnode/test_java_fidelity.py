"""Devnode behaviours checked against java-tron's source (docs/devnode-fidelity.md lists each one)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from prometheus_client import CollectorRegistry
from tronpy import AsyncTron

from daemon.devnode import Devnode
from daemon.energy.quote import quote_usdt_transfer
from daemon.tron.client import TronClient
from daemon.tron.energy import increase_fixed, increase_usage
from daemon.tron.options import TronClientOptions

from .conftest import USDT


@pytest.fixture
async def http(node: Devnode) -> AsyncIterator[Any]:
    async with aiohttp.ClientSession(base_url=node.url) as session:

        async def call(path: str, body: dict[str, Any]) -> Any:
            async with session.post(path, json=body) as resp:
                return await resp.json()

        yield call


async def _transfer(tron: AsyncTron, sender: Any, to: str, fee_limit: int = 30_000_000) -> Any:
    usdt = await tron.get_contract(USDT)
    txb = await usdt.functions.transfer(to, 1)
    return (
        await (await txb.with_owner(sender.address).fee_limit(fee_limit).build()).sign(sender.key).broadcast()
    )


async def test_a_successful_call_updates_usage_to_now_before_billing(
    node: Devnode, tron: AsyncTron, wallets: Any, http: Any
) -> None:
    """VMActuator settles usage at the head slot, then useEnergy adds: two increaseV2 steps, not one."""
    acc = node.account("pool-alpha")
    start = (acc.energy_usage, acc.energy_slot, acc.energy_window)

    def two_step(slot: int) -> tuple[int, int]:
        usage, window = increase_usage(start[0], start[1], slot, start[2], 0)
        return increase_usage(usage, slot, slot, window, 64_285)

    def one_step(slot: int) -> tuple[int, int]:
        return increase_usage(start[0], start[1], slot, start[2], 64_285)

    # The first block after which the two orders differ for this pool's usage (they usually agree).
    wait = next(k for k in range(1, 28_800) if two_step(start[1] + k) != one_step(start[1] + k))
    node.advance(3 * wait)
    slot = node.chain.head_slot
    await _transfer(tron, wallets["pool-alpha"], wallets["user-alice"].address)
    account = await http("wallet/getaccount", {"address": wallets["pool-alpha"].address, "visible": True})
    resource = account["account_resource"]
    shown = (resource["energy_usage"], resource["energy_window_size"])
    assert shown == two_step(slot) and shown != one_step(slot)
    assert resource["latest_consume_time_for_energy"] == slot * 3000


async def test_out_of_energy_carries_the_penalty_fields(
    node: Devnode, tron: AsyncTron, wallets: Any, http: Any
) -> None:
    """spendEnergyWithPenalty's message and energy_penalty_total; a failed call is billed in one step."""
    pool, bob = wallets["pool-alpha"], wallets["user-bob"]
    acc = node.account("pool-alpha")
    before = (acc.energy_usage, acc.energy_slot, acc.energy_window)
    node.advance(3)
    slot = node.chain.head_slot
    ret = await _transfer(tron, pool, bob.address, fee_limit=10_000_000)  # 100,000 of the 130,285 needed
    node.advance(3)
    info = await http("wallet/gettransactioninfobyid", {"value": ret["txid"], "visible": True})
    assert info["receipt"]["result"] == "OUT_OF_ENERGY"
    assert info["receipt"]["energy_usage_total"] == 100_000
    # The SSTORE to bob's empty slot (20,000 + 68,000 penalty at factor 3.4) does not fit after 42,285.
    assert info["resMessage"] == (
        "Not enough energy for 'SSTORE' operation executing: curInvokeEnergyLimit[100000], "
        "curOpEnergy[20000], penaltyEnergy[68000], usedEnergy[42285]"
    )
    assert info["receipt"]["energy_penalty_total"] == 32_635
    # No VM commit on failure: one increaseV2 from the stored usage.
    assert (acc.energy_usage, acc.energy_window) == increase_usage(
        before[0], before[1], slot, before[2], 100_000
    )


async def test_free_bandwidth_recovers_over_the_fixed_day(
    node: Devnode, tron: AsyncTron, wallets: Any, http: Any
) -> None:
    """useFreeNet uses the plain increase: no window blend, so usage always falls over 28,800 slots."""
    carol, alice = wallets["user-carol"], wallets["user-alice"]
    first = (await tron.trx.transfer(carol.address, alice.address, 1).build()).sign(carol.key)
    await first.broadcast()
    a = node.chain.head_slot
    node.advance(12 * 3600)
    second = (await tron.trx.transfer(carol.address, alice.address, 2).build()).sign(carol.key)
    await second.broadcast()
    b = node.chain.head_slot
    node.advance(6 * 3600)
    c = node.chain.head_slot
    sizes = [
        (await http("wallet/gettransactioninfobyid", {"value": t.txid}))["receipt"]["net_usage"]
        for t in (first, second)
    ]
    after_first = increase_fixed(0, sizes[0], a, a)
    after_second = increase_fixed(increase_fixed(after_first, 0, a, b), sizes[1], b, b)
    res = await http("wallet/getaccountresource", {"address": carol.address, "visible": True})
    assert res["freeNetUsed"] == increase_fixed(after_second, 0, b, c)
    # The staked-resource blend (increaseV2) would have shortened the window and shown less.
    blended, window = increase_usage(0, a, a, 0, sizes[0])
    usage, window = increase_usage(blended, a, b, window, sizes[1])
    assert increase_usage(usage, b, c, window, 0)[0] < res["freeNetUsed"]


async def test_estimateenergy_rounds_up_like_its_fee_limit_search(wallets: Any, http: Any) -> None:
    """Wallet.estimateEnergy: 64,285 → 72,321 and 130,285 → 138,428 at 100 sun per energy."""
    body = {
        "owner_address": wallets["pool-alpha"].address,
        "contract_address": USDT,
        "function_selector": "transfer(address,uint256)",
        "visible": True,
    }
    holder = "0" * 24 + "66a4a9e4bf5ee973566dcd3f591402658fb80137" + f"{1:064x}"  # alice
    empty = "0" * 24 + "54b3eadfa2b7fed9d46d2a8df4b820cb8979c24c" + f"{1:064x}"  # bob
    for parameter, used, required in ((holder, 64_285, 72_321), (empty, 130_285, 138_428)):
        call = dict(body, parameter=parameter)
        assert (await http("wallet/triggerconstantcontract", call))["energy_used"] == used
        assert await http("wallet/estimateenergy", call) == {
            "result": {"result": True},
            "energy_required": required,
        }


async def test_tronwatch_quotes_with_estimateenergy_disabled(node: Devnode, wallets: Any, http: Any) -> None:
    """A default java-tron node refuses estimateenergy; the quote relies on triggerconstantcontract."""
    assert "estimate_energy" in (await http("_devnode/params", {"estimate_energy": "no"}))["error"]
    assert (await http("_devnode/params", {"estimate_energy": False}))["estimate_energy"] is False
    body = {"owner_address": wallets["pool-alpha"].address, "contract_address": USDT, "visible": True}
    refused = await http("wallet/estimateenergy", dict(body, function_selector="balanceOf(address)"))
    assert refused == {
        "result": {"code": "CONTRACT_VALIDATE_ERROR", "message": "this node does not support estimate energy"}
    }
    options = TronClientOptions(network=node.url, timeout=2.0, retries=0, rps=0.0)
    async with TronClient(options, registry=CollectorRegistry()) as tron:
        quote = await quote_usdt_transfer(
            tron, owner=wallets["pool-alpha"].address, to=wallets["user-alice"].address
        )
    assert (quote.energy_source, quote.energy) == ("estimate", 64_285)
    assert quote.total_sun >= 64_285 * 100
