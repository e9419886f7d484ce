"""Withdrawals at run time: install the state, and run the dispatcher, watcher and queue gauges."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from functools import partial

from aiohttp import web

from daemon import keys
from daemon.alerts.platform import register_namespace
from daemon.energy.runtime import energy_runtime
from daemon.energy.status_routes import QueueLookup, queue_lookup
from daemon.jobs import Job
from daemon.withdrawals import alert_namespace, dispatcher, queue_repo, watcher
from daemon.withdrawals.deps import WithdrawalDeps, withdrawal_deps
from daemon.withdrawals.metrics import WithdrawalMetrics
from daemon.withdrawals.queue_service import queue_position
from daemon.withdrawals.settings import WithdrawalSettings
from daemon.withdrawals.state import Clock, WithdrawalState, utc_now, withdrawal_state

log = logging.getLogger(__name__)
GAUGE_INTERVAL = 5.0


def install(
    app: web.Application, settings: WithdrawalSettings | None = None, *, clock: Clock = utc_now
) -> WithdrawalState:
    """Attach state, deps and metrics (no I/O); settings default to `withdrawals:` or built-ins."""
    if settings is None:
        settings = app[keys.settings].withdrawals
    state = WithdrawalState(
        settings=settings,
        clock=clock,
        metrics=WithdrawalMetrics.register(app[keys.metrics].registry),
        pay_to=settings.pay_to,
    )
    deps = WithdrawalDeps(state, app[energy_runtime].holder, app[keys.runtime])
    app[withdrawal_state] = state
    app[withdrawal_deps] = deps
    register_namespace(app, alert_namespace.QUEUE, alert_namespace.reader(state.metrics))
    lookup: QueueLookup = partial(queue_position, deps)
    app[queue_lookup] = lookup
    return state


async def _refresh_gauges(deps: WithdrawalDeps) -> None:
    """tronwatch_queue_waiting / _oldest_wait_seconds on every replica (each is scraped on its own)."""
    state = deps.state
    async with deps.pool.acquire() as conn:
        row = await queue_repo.figures(conn)
    state.metrics.waiting.set(row["waiting"])
    oldest = row["oldest"]
    state.metrics.oldest_wait.set((state.clock() - oldest).total_seconds() if oldest else 0)


async def withdrawals_context(app: web.Application) -> AsyncIterator[None]:
    """Dispatcher and payment watcher under leader leases, queue gauges on every replica."""
    jobs, deps = app[keys.jobs], app[withdrawal_deps]
    jobs.add(dispatcher.job(deps))
    jobs.add(watcher.job(deps))
    jobs.add(Job("queue-gauges", partial(_refresh_gauges, deps), interval=GAUGE_INTERVAL))
    yield
