"""Withdrawals at run time: per-app state, and the dispatcher, watcher and demo executor jobs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from aiohttp import web

from daemon import keys
from daemon.energy.status_routes import queue_lookup
from daemon.jobs import Job
from daemon.withdrawals.estimate import Estimator
from daemon.withdrawals.inflight import InFlight
from daemon.withdrawals.metrics import WithdrawalMetrics
from daemon.withdrawals.models import ClaimedItem
from daemon.withdrawals.settings import WithdrawalSettings
from daemon.withdrawals.waiting import WaitingTotals

log = logging.getLogger(__name__)
GAUGE_INTERVAL = 5.0
Clock = Callable[[], datetime]
# The account the demo executor pays emergencies from; created on the devnode (no stake: it burns TRX).
DEMO_HOT_WALLET = {
    "name": "gateway-hot",
    "seed": "tronwatch-demo-gateway-hot",
    "trx": 1000,
    "usdt": 1_000_000,
}


def utc_now() -> datetime:
    """The wall clock, timezone-aware."""
    return datetime.now(UTC)


@dataclass
class WithdrawalState:
    """What the withdrawal routes and jobs of one app share."""

    settings: WithdrawalSettings
    clock: Clock
    metrics: WithdrawalMetrics
    estimator: Estimator = field(default_factory=Estimator)
    pay_to: str | None = None  # settings.pay_to, or the demo hot wallet while the devnode runs
    dispatch_now: asyncio.Event = field(default_factory=asyncio.Event)
    energy_cache: dict[str, int] = field(default_factory=dict)  # to_address -> estimated transfer energy
    inflight_cache: tuple[float, object, dict[int, int]] | None = None  # (monotonic, snapshot, energy)
    waiting: WaitingTotals = field(default_factory=WaitingTotals)  # the count enqueue positions start from
    # The demo executor's transfers broadcast and not yet seen in a block: txid -> (partner id, item).
    broadcasts: dict[str, tuple[int, ClaimedItem]] = field(default_factory=dict)
    creating: InFlight = field(default_factory=InFlight)  # withdrawals being queued or quoted now

    def poke(self) -> None:
        """Something changed that the dispatcher should look at soon (this replica only)."""
        self.dispatch_now.set()


withdrawal_state = web.AppKey("withdrawal_state", WithdrawalState)


def install(
    app: web.Application, settings: WithdrawalSettings | None = None, *, clock: Clock = utc_now
) -> WithdrawalState:
    """Attach state and metrics (no I/O); settings default to `withdrawals:` or built-ins."""
    if settings is None:
        settings = app[keys.settings].withdrawals
    state = WithdrawalState(
        settings=settings,
        clock=clock,
        metrics=WithdrawalMetrics.register(app[keys.metrics].registry),
        pay_to=settings.pay_to,
    )
    app[withdrawal_state] = state
    from daemon.withdrawals.queue_service import queue_position  # it imports this module

    app[queue_lookup] = queue_position
    return state


async def _refresh_gauges(app: web.Application) -> None:
    """tronwatch_queue_waiting / _oldest_wait_seconds on every replica (each is scraped on its own)."""
    from daemon.withdrawals import queue_repo

    state = app[withdrawal_state]
    async with app[keys.runtime].pool.acquire() as conn:
        row = await queue_repo.figures(conn)
    state.metrics.waiting.set(row["waiting"])
    oldest = row["oldest"]
    state.metrics.oldest_wait.set((state.clock() - oldest).total_seconds() if oldest else 0)


async def withdrawals_context(app: web.Application) -> AsyncIterator[None]:
    """Dispatcher and payment watcher under leader leases; the demo executor while the devnode runs."""
    from daemon.withdrawals import dispatcher, executor, watcher  # jobs import the services

    state, runtime, jobs = app[withdrawal_state], app[keys.runtime], app[keys.jobs]
    node = runtime.devnode
    if node is not None and state.pay_to is None:
        from daemon.devnode.addresses import b58  # demo and test runs only

        state.pay_to = b58(node.add_account(DEMO_HOT_WALLET).address)
    jobs.add(dispatcher.job(app))
    jobs.add(watcher.job(app))
    jobs.add(Job("queue-gauges", partial(_refresh_gauges, app), interval=GAUGE_INTERVAL))
    if node is not None and state.settings.demo_executor:
        jobs.add(executor.job(app))
    yield
