"""The autopilot at run time: state and metrics (no I/O), `autopilot.*` for rules, the leader-only job."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from aiohttp import web
from tronpy.keys import PrivateKey

from daemon import keys
from daemon.alerts.platform import platform
from daemon.autopilot import alert_namespace
from daemon.autopilot.forecast_context import forecast_state
from daemon.autopilot.policy import AutopilotMetrics, AutopilotState, cycle
from daemon.autopilot.settings import AutopilotSettings
from daemon.autopilot.signer import load_signers
from daemon.energy.runtime import energy_runtime
from daemon.jobs import Job
from daemon.tron.addresses import b58

log = logging.getLogger(__name__)
autopilot_state = web.AppKey("autopilot_state", AutopilotState)
wake_key = web.AppKey("autopilot_wake", asyncio.Event)
# The demo's reserve account: staked energy it may delegate to the pool that drains.
DEMO_RESERVE = {
    "name": "energy-reserve",
    "seed": "tronwatch-demo-energy-reserve",
    "trx": 2000,
    "staked_energy_trx": 600_000,
}


# Demo mode with no `autopilot:` section: a story-sized policy, so the budget runs out in the busy spell.
DEMO_POLICY = {"interval": 2.0, "daily_delegate_energy": 2_500_000, "cooldown_seconds": 20.0}


def install(app: web.Application) -> AutopilotState:
    """Attach the state and metrics and declare `autopilot.*` to the alert rules (no I/O)."""
    settings = app[keys.settings]
    policy = settings.autopilot
    if settings.demo and policy == AutopilotSettings():
        policy = policy.model_copy(update=DEMO_POLICY)
    state = AutopilotState(
        policy,
        policy.resolved_mode(settings.demo),
        AutopilotMetrics(app[keys.metrics].registry),
    )
    if forecast_state in app:  # the forecast sees peaks the trailing rate does not
        state.forecast = app[forecast_state].pool_seconds
    app[autopilot_state] = state
    app[wake_key] = asyncio.Event()
    alert_namespace.register(platform(app), state)
    return state


async def run_once(app: web.Application) -> Any:
    """One cycle on the current snapshot; None while the pools were never read (or are stale)."""
    runtime, state = app[keys.runtime], app[autopilot_state]
    assert runtime.tron is not None
    snap = app[energy_runtime].holder.current
    if snap.stale():
        return None
    async with state.lock:
        return await cycle(state, runtime.pool, runtime.tron, snap)


async def _step(app: web.Application) -> None:
    # A node or database hiccup fails one pass only: the records hold the state, the next cycle resumes.
    try:
        await run_once(app)
    finally:
        app[wake_key].clear()


async def autopilot_context(app: web.Application) -> AsyncIterator[None]:
    """Load the signers' keys, add the demo reserve, and run the planner under a leader lease."""
    runtime, settings, state = app[keys.runtime], app[keys.settings], app[autopilot_state]
    node, extra = runtime.devnode, {}
    if node is not None and settings.demo:
        if not state.settings.reserves:
            state.extra_reserves = [b58(node.add_account(DEMO_RESERVE).address)]
        extra = {
            b58(a.address): PrivateKey(a.private_key)
            for a in node.chain.accounts.values()
            if a.private_key is not None
        }
    state.signers = load_signers(state.settings.reserves, extra)  # a bad key stops the start, with why
    if runtime.tron is not None and state.mode != "off":
        every = lambda: state.settings.interval  # noqa: E731
        app[keys.jobs].add(
            Job("autopilot", partial(_step, app), interval=every, leader=True, wake=app[wake_key])
        )
    yield
