"""The forecast-vs-actual scenario on the devnode (shared by tests/autopilot and bench/forecast.py).

Day 1: pool-alpha runs a known daily schedule (quiet, with a six-hour peak) that its limit sustains,
scraped every 15 chain minutes. Then others stake: the network's energy weight rises so the pool's
limit drops to leave 2,000,000 energy of room. The forecast made at that moment is compared with
when the devnode's pool actually cannot fund the next withdrawal any more (checked each chain minute).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from daemon import keys as app_keys
from daemon.autopilot.forecast_context import ForecastJob, forecast_state
from daemon.devnode.resources import energy_limit_of, energy_used
from daemon.energy.context import Persister
from daemon.energy.runtime import energy_runtime

HOUR_S = 3600
BASE, PEAK = 4, 20  # transfers per hour (64,285 energy each: the recipients hold USDT)
PEAK_FROM, PEAK_TO = 6, 12  # hours after the limit drops
# After the drop the pool keeps this much room above its next transfer: base traffic about matches
# recovery, so the shortage comes during day 2's peak. Set from the usage the first day left (it
# depends on where the chain clock's maintenance cycles fall), not as a fixed fraction of the limit.
ROOM_AFTER_DROP = 2_000_000


@dataclass
class Outcome:
    """Forecast and actual seconds from the limit drop until the pool is short."""

    forecast_s: float
    actual_s: float | None
    forecast_hours_api: float | None

    @property
    def error(self) -> float:
        """|forecast − actual| / actual."""
        assert self.actual_s
        return abs(self.forecast_s - self.actual_s) / self.actual_s


def schedule_from(start_hour: int) -> list[float]:
    """24 transfers-per-hour values by UTC hour, the peak PEAK_FROM..PEAK_TO hours into day 2."""
    out = [float(BASE)] * 24
    for rel in range(PEAK_FROM, PEAK_TO):
        out[(start_hour + rel) % 24] = float(PEAK)
    return out


async def _scrape(app: web.Application, persister: Persister) -> None:
    energy = app[energy_runtime]
    assert energy is not None and energy.scraper is not None
    await persister.save(await energy.scraper.cycle())


async def run(app: web.Application, admin_key: str = "", http: Any = None, step_s: int = 900) -> Outcome:
    """Drive the scenario; `http` is the app's test client (for the admin status API)."""
    runtime = app[app_keys.runtime]
    node = runtime.devnode
    chain = node.chain
    settings = app[app_keys.settings]
    persister = Persister(runtime.pool, settings.energy)
    node.advance(HOUR_S - (chain.head.timestamp // 1000) % HOUR_S)  # start on an hour boundary
    start_hour = (chain.head.timestamp // 1000 // HOUR_S) % 24
    async with aiohttp.ClientSession() as session:
        put = await session.put(
            f"{node.url.rstrip('/')}/_devnode/traffic",
            json={"pool": "pool-alpha", "schedule": schedule_from(start_hour)},
        )
        assert put.status == 200, await put.text()
        for _ in range(24 * HOUR_S // step_s):
            node.advance(step_s)
            await _scrape(app, persister)
        weight = chain.energy_weight()
        other = chain.params.other_energy_weight
        alpha_account = node.account("pool-alpha")
        limit = energy_limit_of(alpha_account, chain.params, weight)
        used = energy_used(alpha_account, chain.head.timestamp // 3000)
        need = settings.energy.transfer_energy + settings.energy.reserve_energy
        factor = (used + need + ROOM_AFTER_DROP) / limit  # the limit scales as 1 / total weight
        new_other = round(weight / factor) - (weight - other)
        got = await session.post(
            f"{node.url.rstrip('/')}/_devnode/params", json={"other_energy_weight": new_other}
        )
        assert got.status == 200, await got.text()
    await _scrape(app, persister)
    job = ForecastJob(app, app[forecast_state], settings.forecast)
    await job.once()
    alpha = next(p for p in app[energy_runtime].holder.current.pools if p.name == "pool-alpha")
    forecast = app[forecast_state].pool_seconds(alpha.id)
    assert forecast is not None
    hours = None
    if http is not None:  # the admin API's view of the same forecast
        auth = {"Authorization": f"Bearer {admin_key}"}
        status = await (await http.get("/api/v1/admin/energy/status", headers=auth)).json()
        hours = next(p["forecast_hours"] for p in status["pools"] if p["name"] == "pool-alpha")
    account = node.account("pool-alpha")
    need = settings.energy.transfer_energy + settings.energy.reserve_energy
    t0 = chain.head.timestamp
    for _ in range(48 * 60):
        limit = energy_limit_of(account, chain.params, chain.energy_weight())
        if limit - energy_used(account, chain.head.timestamp // 3000) < need:
            return Outcome(forecast, (chain.head.timestamp - t0) / 1000, hours)
        node.advance(60)
    return Outcome(forecast, None, hours)
