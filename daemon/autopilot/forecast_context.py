"""The forecast at run time: state on the app, the leader-leased job, and the port the energy APIs read."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiohttp import web

from daemon import keys
from daemon.autopilot import forecast_repo as repo
from daemon.autopilot.forecast import Forecast
from daemon.autopilot.forecast_metrics import ForecastCollector, register
from daemon.autopilot.forecast_settings import ForecastSettings
from daemon.db.lease import LeaderLease
from daemon.energy.runtime import energy_runtime
from daemon.energy.snapshot import EnergySnapshot
from daemon.energy.status_routes import forecast_lookup
from daemon.tasks import stop_tasks

log = logging.getLogger(__name__)
forecast_state = web.AppKey("forecast_state", Forecast)
FIRST_RETRY = 5.0


def install(app: web.Application) -> Forecast:
    """Attach the forecast, its gauges and the lookup the energy status APIs use (no I/O)."""
    forecast = Forecast()
    app[forecast_state] = forecast
    app[forecast_lookup] = forecast.lookup

    def snapshot() -> EnergySnapshot | None:
        energy = app.get(energy_runtime)
        return energy.holder.current if energy is not None else None

    register(app[keys.metrics].registry, ForecastCollector(forecast, snapshot))
    return forecast


class ForecastJob:
    """Reads new usage history incrementally, then forecasts from the current snapshot."""

    def __init__(self, app: web.Application, forecast: Forecast, settings: ForecastSettings) -> None:
        self.app, self.forecast, self.settings = app, forecast, settings
        self.cursor = datetime.now(UTC) - timedelta(days=settings.history_days)

    async def once(self) -> None:
        """One forecast: new history rows, the waiting queue, then every pool."""
        runtime = self.app[keys.runtime]
        async with runtime.pool.acquire() as conn:
            while True:
                rows = await repo.readings_after(conn, self.cursor)
                for r in rows:
                    chain_ms = int(r["chain_time"].timestamp() * 1000)
                    self.forecast.observe(r["pool_id"], chain_ms, r["energy_used"], r["window_slots"])
                if rows:
                    self.cursor = rows[-1]["taken_at"]
                if len(rows) < repo.BATCH:
                    break
            queue = await repo.waiting_energy(conn)
        energy = self.app.get(energy_runtime)
        if energy is not None:
            self.forecast.update(energy.holder.current, queue, self.settings.horizon_hours * 3600)

    async def run(self) -> None:
        """Forecast every `interval` until cancelled; database trouble is logged and retried."""
        while True:
            try:
                await self.once()
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
                log.warning("energy forecast not updated error=%s", exc)
            # Until the first forecast (a pool needs two stored readings), look again soon.
            first = not self.forecast.current.pools
            await asyncio.sleep(min(self.settings.interval, FIRST_RETRY) if first else self.settings.interval)


async def forecast_context(app: web.Application) -> AsyncIterator[None]:
    """Run the forecast job under a leader lease."""
    settings = app[keys.settings]
    forecast = app[forecast_state]

    def job() -> Coroutine[Any, Any, None]:
        return ForecastJob(app, forecast, settings.forecast).run()

    lease = LeaderLease(
        app[keys.database_url],
        "energy-forecast",
        job,
        interval=settings.jobs.lease_interval,
        gauge=app[keys.metrics].leader,
    )
    task = asyncio.create_task(lease.run(), name="lease:energy-forecast")
    try:
        yield
    finally:
        await stop_tasks([task])
