"""Demo mode at run time: the gateway's hot wallet on the devnode and the demo executor."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from daemon import keys
from daemon.demo.executor import run_forever as run_executor
from daemon.tasks import stop_tasks
from daemon.tron.addresses import b58
from daemon.withdrawals.state import withdrawal_state

# The account the demo executor pays emergencies from; created on the devnode (no stake: it burns TRX).
DEMO_HOT_WALLET = {
    "name": "gateway-hot",
    "seed": "tronwatch-demo-gateway-hot",
    "trx": 1000,
    "usdt": 1_000_000,
}


async def demo_context(app: web.Application) -> AsyncIterator[None]:
    """While the devnode runs: emergencies are paid to its hot wallet, and the demo executor sends."""
    node, state = app[keys.runtime].devnode, app[withdrawal_state]
    if node is None:
        yield
        return
    if state.pay_to is None:
        state.pay_to = b58(node.add_account(DEMO_HOT_WALLET).address)
    tasks = (
        [asyncio.create_task(run_executor(app), name="demo-executor")] if state.settings.demo_executor else []
    )
    try:
        yield
    finally:
        await stop_tasks(tasks)
