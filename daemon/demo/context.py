"""Demo mode at run time: the gateway's hot wallet on the devnode, the demo executor and the story."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from daemon import keys
from daemon.autopilot.policy_context import autopilot_state
from daemon.demo import scenario
from daemon.demo.executor import job as executor_job
from daemon.demo.settings import DemoSettings
from daemon.jobs import Job
from daemon.support.routes import support_team
from daemon.support.state import support_state
from daemon.tron.addresses import b58
from daemon.withdrawals.deps import withdrawal_deps

# The account the demo executor pays emergencies from; created on the devnode (no stake: it burns TRX).
DEMO_HOT_WALLET = {
    "name": "gateway-hot",
    "seed": "tronwatch-demo-gateway-hot",
    "trx": 1000,
    "usdt": 1_000_000,
}


async def demo_context(app: web.Application) -> AsyncIterator[None]:
    """While the devnode runs: emergencies are paid to its hot wallet, and the demo executor sends."""
    node, deps = app[keys.runtime].devnode, app[withdrawal_deps]
    if node is None:
        yield
        return
    state = deps.state
    if state.pay_to is None:
        state.pay_to = b58(node.add_account(DEMO_HOT_WALLET).address)
    if state.settings.demo_executor:
        app[keys.jobs].add(executor_job(deps, node))
    yield


def story_job(app: web.Application, cfg: DemoSettings) -> Job:
    """The `demo-scenario` job of a started app whose devnode runs."""
    settings = app[keys.settings]
    deps = scenario.StoryDeps(
        cfg=cfg,
        node=app[keys.runtime].devnode,
        withdrawals=app[withdrawal_deps],
        support=app[support_state],
        team=support_team(app),
        autopilot=app[autopilot_state],
        transfer_energy=settings.energy.transfer_energy,
        quiet_rate=settings.tron.devnode_traffic_per_hour,
    )
    return scenario.job(deps)
