"""Control API, clock-driven energy recovery, fees changed at run time, faults, traffic and ground truth."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
import pytest
from tronpy import AsyncTron
from tronpy.exceptions import ApiError

from daemon.devnode import Devnode

from .conftest import USDT

ALPHA = "TYWxU5pTXmfQNnV795SxTYQnGPQr3nctWe"


@pytest.fixture
async def control(node: Devnode) -> AsyncIterator[Any]:
    async with aiohttp.ClientSession(base_url=node.url) as session:

        async def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
            async with session.request(method, "_devnode/" + path, json=body) as resp:
                return resp.status, await resp.json()

        yield call


async def test_advancing_the_clock_recovers_energy_linearly(control: Any, tron: AsyncTron) -> None:
    assert (await tron.get_account_resource(ALPHA))["EnergyUsed"] == 2_000_000
    status, body = await control("POST", "clock/advance", {"seconds": 12 * 3600})
    assert status == 200 and body["blocks_produced"] == 14_400
    assert (await tron.get_account_resource(ALPHA))["EnergyUsed"] == 1_000_000  # half the 24 h window
    await control("POST", "clock/advance", {"seconds": 12 * 3600})
    assert "EnergyUsed" not in await tron.get_account_resource(ALPHA)  # fully recovered: omitted
    assert (await control("POST", "clock/advance", {"seconds": -1}))[0] == 422


async def test_energy_fee_changes_at_run_time(
    node: Devnode, control: Any, tron: AsyncTron, wallets: Any
) -> None:
    status, body = await control("POST", "energy-fee", {"sun": 210})
    assert status == 200 and body == {"energy_fee": 210}
    params = {p["key"]: p.get("value", 0) for p in await tron.get_chain_parameters()}
    assert params["getEnergyFee"] == 210
    alice, pool = wallets["user-alice"], wallets["pool-alpha"]
    usdt = await tron.get_contract(USDT)
    txb = await usdt.functions.transfer(pool.address, 1)  # pool-alpha holds USDT: 64,285 energy
    txn = (await txb.with_owner(alice.address).fee_limit(30_000_000).build()).sign(alice.key)
    ret = await txn.broadcast()
    node.advance(3)
    assert (await ret.wait())["receipt"]["energy_fee"] == 64_285 * 210


async def test_free_bandwidth_then_burned_at_transaction_fee(
    node: Devnode, tron: AsyncTron, wallets: Any
) -> None:
    alice, bob = wallets["user-alice"], wallets["user-bob"]
    receipts = []
    for amount in (1_000_000, 1_500_000, 2_000_000):  # same varint length: same size
        txn = (await tron.trx.transfer(alice.address, bob.address, amount).build()).sign(alice.key)
        ret = await txn.broadcast()
        node.advance(3)
        receipts.append((await ret.wait())["receipt"])
    size = receipts[0]["net_usage"]
    assert receipts[1] == {"net_usage": size}  # 2 × ≈267 bytes fit the free 600
    assert receipts[2] == {"net_fee": size * 1000}  # then 1000 sun per byte
    node.advance(86_400)
    assert await tron.get_bandwidth(alice.address) == 600  # free bandwidth recovered over the window


async def test_add_account_through_control_api(control: Any, tron: AsyncTron) -> None:
    status, body = await control(
        "POST", "accounts", {"name": "pool-new", "seed": "x", "trx": 10, "pool": True}
    )
    assert status == 201 and body["balance_sun"] == 10_000_000
    assert (await tron.get_account(body["address"]))["balance"] == 10_000_000
    status, body = await control("POST", "accounts", {"name": "bad", "trx": 1, "colour": "red"})
    assert status == 422 and "colour" in body["error"]


async def test_injected_latency_errors_and_outage(node: Devnode, control: Any, tron: AsyncTron) -> None:
    status, _ = await control("PUT", "faults", {"path": "getaccountresource", "latency_ms": 200})
    assert status == 200
    started = time.monotonic()
    await tron.get_account_resource(ALPHA)
    assert time.monotonic() - started >= 0.2
    await tron.get_account(ALPHA)  # other paths unaffected
    await control("PUT", "faults", {"path": "/wallet/getaccount", "error_rate": 1.0})
    with pytest.raises(httpx.HTTPStatusError):
        await tron.get_account(ALPHA)
    await control("DELETE", "faults?path=/wallet/getaccount")
    await tron.get_account(ALPHA)
    await control("PUT", "faults", {"path": "gettransactionbyid", "error_rate": 1.0, "error_status": 200})
    with pytest.raises(ApiError, match="lack of computing resources"):  # java-tron's rate-limit answer
        await tron.get_transaction("ab" * 32)
    await control("PUT", "faults", {"path": "*", "outage": True})
    with pytest.raises(httpx.TransportError):
        await tron.get_latest_block_number()
    assert (await control("GET", "status"))[0] == 200  # the control API is never faulted
    assert (await control("DELETE", "faults"))[0] == 200
    assert await tron.get_latest_block_number() == node.chain.head.number
    assert (await control("PUT", "faults", {"path": "*", "error_rate": 2}))[0] == 422


async def test_injected_latency_is_a_round_trip(
    node: Devnode, control: Any, tron: AsyncTron, wallets: Any
) -> None:
    """The node executes a broadcast half-way through the latency: the answer, not the work, is late."""
    alice, bob = wallets["user-alice"], wallets["user-bob"]
    txn = (await tron.trx.transfer(alice.address, bob.address, 1_000_000).build()).sign(alice.key)
    await control("PUT", "faults", {"path": "broadcasttransaction", "latency_ms": 2000})
    started = time.monotonic()
    answer = asyncio.ensure_future(txn.broadcast())
    while txn.txid not in node.chain.txs:
        assert time.monotonic() - started < 10, "the broadcast never reached the node"
        await asyncio.sleep(0.02)
    executed = time.monotonic() - started
    assert 1.0 <= executed < 1.9 and not answer.done()  # in the node after the request's half
    await answer
    assert time.monotonic() - started >= 2.0


async def test_traffic_generator_spends_pool_energy_and_ground_truth_agrees(
    control: Any, tron: AsyncTron
) -> None:
    status, _ = await control("POST", "traffic", {"pool": "pool-alpha", "transfers_per_hour": 120})
    assert status == 201
    await control("POST", "clock/advance", {"seconds": 3600})
    status, truth = await control("GET", "ground-truth")
    alpha = truth["pools"][ALPHA]
    assert alpha["transactions"] == 120
    assert alpha["energy_total"] == alpha["energy_from_stake"] == 120 * 64_285
    assert alpha["burned_sun"] == 0
    used = (await tron.get_account_resource(ALPHA))["EnergyUsed"]
    # 2M start + 7.7M spent, less recovery over the hour (≤ 1/24 of the usage).
    assert 2_000_000 + 120 * 64_285 - 420_000 < used < 2_000_000 + 120 * 64_285
    (_, gens) = await control("GET", "traffic")
    assert gens[0]["results"] == {"SUCCESS": 120}
    assert (await control("DELETE", "traffic/pool-alpha"))[0] == 200
    await control("POST", "clock/advance", {"seconds": 86_400})
    _, truth = await control("GET", "ground-truth?address=pool-alpha")
    assert truth["pools"][ALPHA]["energy_total"] == 0  # outside the trailing 24 h
    assert (await control("POST", "traffic", {"pool": "nobody", "transfers_per_hour": 1}))[0] == 404
