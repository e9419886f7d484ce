"""The demo executor's own background loop in a demo-mode app: released entries are sent on the devnode."""

from __future__ import annotations

import asyncio
import logging

import pytest
from tronpy.keys import PrivateKey

from tests.conftest import Keys, bearer
from tests.withdrawals.chain import node_of, wallet
from tests.withdrawals.conftest import AppFactory, body

QUEUE = "/api/v1/energy/queue"
USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


async def test_demo_executor_loop_claims_sends_and_completes(wd_app: AppFactory, keys: Keys) -> None:
    # Nothing driven by hand: the dispatcher and the demo executor run as create_app starts them.
    client = await wd_app(devnode=True, demo_executor=True, dispatch_interval=0.1, executor_interval=0.05)
    node = node_of(client)
    key, _ = await keys.partner("acme")
    to = PrivateKey.random().public_key.to_base58check_address()
    entry = await (await client.post(QUEUE, json=body("w-demo", to_address=to), headers=bearer(key))).json()
    assert entry["status"] == "waiting"
    for _ in range(300):
        got = await (await client.get(f"{QUEUE}/{entry['id']}", headers=bearer(key))).json()
        if got["status"] == "completed":
            break
        node.advance(3)  # the frozen test chain mines a block: the executor completes only what succeeded
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"the demo executor never completed the entry: {got}")
    assert got["pool"] and got["tx_hash"]
    async with wallet(node) as tron:
        info = await tron.get_transaction_info(got["tx_hash"])
        contract = await tron.get_contract(USDT)
        balance = await contract.functions.balanceOf(to)
    assert info["receipt"]["result"] == "SUCCESS"
    assert balance == 12_500_000  # 12.5 USDT, sent from the pool the dispatcher chose


async def test_a_transfer_that_fails_on_chain_is_not_reported_completed(
    wd_app: AppFactory, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    """The executor completes only what its block shows succeeded; a failed one stays with its claim."""
    caplog.set_level(logging.WARNING, logger="daemon.demo.executor")
    client = await wd_app(devnode=True, demo_executor=True, dispatch_interval=0.1, executor_interval=0.05)
    node = node_of(client)
    key, _ = await keys.partner("acme")
    balances = node.chain.usdt.balances
    for address in list(balances):  # no wallet holds USDT any more: the transfer reverts on chain
        balances[address] = 0
    to = PrivateKey.random().public_key.to_base58check_address()
    entry = await (await client.post(QUEUE, json=body("w-fail", to_address=to), headers=bearer(key))).json()
    for _ in range(300):
        if any("transfer failed" in r.getMessage() for r in caplog.records):
            break
        node.advance(3)
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the demo executor never saw the transfer's failed receipt")
    got = await (await client.get(f"{QUEUE}/{entry['id']}", headers=bearer(key))).json()
    assert got["status"] == "processing" and got["tx_hash"] is None  # not completed: the claim runs out
