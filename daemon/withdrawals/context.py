"""Withdrawals at run time: install the state, and run the dispatcher, watcher and queue gauges."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from functools import partial

from aiohttp import web

from daemon import keys
from daemon.energy.status_routes import queue_lookup
from daemon.jobs import Job
from daemon.withdrawals import alert_namespace, dispatcher, queue_repo, watcher
from daemon.withdrawals.metrics import WithdrawalMetrics
from daemon.withdrawals.queue_service import queue_position
from daemon.withdrawals.settings import WithdrawalSettings
from daemon.withdrawals.state import Clock, WithdrawalState, utc_now, withdrawal_state

log = logging.getLogger(__name__)
GAUGE_INTERVAL = 5.0


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
    alert_namespace.register(app, state.metrics)
    app[queue_lookup] = queue_position
    return state


async def _refresh_gauges(app: web.Application) -> None:
    """tronwatch_queue_waiting / _oldest_wait_seconds on every replica (each is scraped on its own)."""
    state = app[withdrawal_state]
    async with app[keys.runtime].pool.acquire() as conn:
        row = await queue_repo.figures(conn)
    state.metrics.waiting.set(row["waiting"])
    oldest = row["oldest"]
    state.metrics.oldest_wait.set((state.clock() - oldest).total_seconds() if oldest else 0)


async def withdrawals_context(app: web.Application) -> AsyncIterator[None]:
    """Dispatcher and payment watcher under leader leases, queue gauges on every replica."""
    jobs = app[keys.jobs]
    jobs.add(dispatcher.job(app))
    jobs.add(watcher.job(app))
    jobs.add(Job("queue-gauges", partial(_refresh_gauges, app), interval=GAUGE_INTERVAL))
    yield
