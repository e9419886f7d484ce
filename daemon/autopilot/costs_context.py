"""The cost ledger at run time: metrics on the app and the leader-leased job that reads receipts."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

from aiohttp import web

from daemon import keys
from daemon.autopilot import costs_repo as repo
from daemon.autopilot.costs_metrics import CostMetrics
from daemon.autopilot.costs_model import split
from daemon.autopilot.costs_settings import CostSettings
from daemon.db.types import Record
from daemon.energy.runtime import energy_runtime
from daemon.jobs import Job
from daemon.tron.errors import TronError

log = logging.getLogger(__name__)
cost_metrics = web.AppKey("cost_metrics", CostMetrics)
Clock = Callable[[], datetime]


def install(app: web.Application) -> CostMetrics:
    """Attach the ledger's metrics (no I/O)."""
    metrics = CostMetrics.register(app[keys.metrics].registry)
    metrics.touch()
    app[cost_metrics] = metrics
    return metrics


class CostJob:
    """One run: take new completions into the ledger, then read the receipts that are due."""

    def __init__(self, app: web.Application, settings: CostSettings, clock: Clock | None = None) -> None:
        self.app, self.settings = app, settings
        self.clock: Clock = clock or (lambda: datetime.now(UTC))

    def _price_and_share(self, pool_id: int | None) -> tuple[int | None, float]:
        """The energy fee now and the pool's own share of its limit (the rest is delegated to it)."""
        energy = self.app.get(energy_runtime)
        if energy is None:
            return None, 1.0
        snap = energy.holder.current
        pool = snap.pool(pool_id) if pool_id is not None else None
        ratio = 1.0
        if pool is not None and pool.energy_limit > 0:
            ratio = max(0.0, min(1.0, (pool.energy_limit - pool.acquired_energy) / pool.energy_limit))
        return snap.energy_fee_sun, ratio

    async def once(self) -> int:
        """Returns how many receipts were recorded."""
        runtime, now = self.app[keys.runtime], self.clock()
        async with runtime.pool.acquire() as conn:
            fresh = []
            for r in await repo.new_completions(conn, self.settings.batch):
                fee, ratio = self._price_and_share(r["pool_id"])
                if fee is None:
                    break  # no price read yet: pick them up once the scraper has one
                fresh.append(
                    (
                        r["kind"],
                        r["id"],
                        r["tx_hash"],
                        r["pool_id"],
                        r["completed_at"],
                        fee,
                        ratio,
                        r["fee"],
                        now,
                    )
                )
            await repo.add_pending(conn, fresh)
            due = await repo.due(conn, now, self.settings.batch)
        if runtime.tron is None:
            return 0
        recorded = 0
        for row in due:
            recorded += await self._read(row, now)
        return recorded

    async def _read(self, row: Record, now: datetime) -> int:
        runtime = self.app[keys.runtime]
        assert runtime.tron is not None
        error: str | None = None
        try:
            info = await runtime.tron.get_solid_transaction_info(row["tx_hash"])
        except (TronError, TimeoutError, OSError) as exc:
            info, error = None, str(exc) or type(exc).__name__
        async with runtime.pool.acquire() as conn:
            if info is None:
                wait = min(
                    self.settings.retry_seconds * 2 ** row["attempts"], self.settings.retry_max_seconds
                )
                await repo.retry_later(conn, row["id"], now + timedelta(seconds=wait), error)
                return 0
            user_paid = row["kind"] == "emergency"
            cost = split(
                info, energy_fee_sun=row["energy_fee_sun"], own_ratio=row["own_ratio"], user_paid=user_paid
            )
            ts = info.get("blockTimeStamp")
            block_time = datetime.fromtimestamp(ts / 1000, UTC) if isinstance(ts, int) else None
            if not await repo.record(conn, row["id"], cost, block_time, now):
                return 0
        self.app[cost_metrics].observe(cost, user_paid=user_paid)
        return 1

    async def step(self) -> None:
        """One pass of the `cost-ledger` job."""
        await self.once()


async def costs_context(app: web.Application) -> AsyncIterator[None]:
    """Run the ledger job under a leader lease."""
    settings = app[keys.settings]

    job = CostJob(app, settings.costs)
    app[keys.jobs].add(Job("cost-ledger", job.step, interval=lambda: job.settings.interval, leader=True))
    yield
