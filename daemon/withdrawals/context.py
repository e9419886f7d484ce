"""Withdrawals at run time: install the state, and run the dispatcher, watcher and queue gauges."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import asyncpg
from aiohttp import web

from daemon import keys
from daemon.db.lease import LeaderLease
from daemon.energy.status_routes import queue_lookup
from daemon.tasks import stop_tasks
from daemon.withdrawals import dispatcher, queue_repo, watcher
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
    app[queue_lookup] = queue_position
    return state


async def _gauges_forever(app: web.Application) -> None:
    """tronwatch_queue_waiting / _oldest_wait_seconds on every replica (each is scraped on its own)."""
    state = app[withdrawal_state]
    while True:
        try:
            async with app[keys.runtime].pool.acquire() as conn:
                row = await queue_repo.figures(conn)
            state.metrics.waiting.set(row["waiting"])
            oldest = row["oldest"]
            state.metrics.oldest_wait.set((state.clock() - oldest).total_seconds() if oldest else 0)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            log.warning("queue gauges not refreshed error=%s", exc)
        await asyncio.sleep(GAUGE_INTERVAL)


async def withdrawals_context(app: web.Application) -> AsyncIterator[None]:
    """Dispatcher and payment watcher under leader leases, queue gauges on every replica."""
    settings = app[keys.settings]
    jobs = {
        "withdrawal-dispatcher": lambda: dispatcher.run_forever(app),
        "payment-watcher": lambda: watcher.run_forever(app),
    }
    tasks = [
        asyncio.create_task(
            LeaderLease(
                app[keys.database_url],
                name,
                job,
                interval=settings.jobs.lease_interval,
                gauge=app[keys.metrics].leader,
            ).run(),
            name=f"lease:{name}",
        )
        for name, job in jobs.items()
    ]
    tasks.append(asyncio.create_task(_gauges_forever(app), name="queue-gauges"))
    try:
        yield
    finally:
        await stop_tasks(tasks)
