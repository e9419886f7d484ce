"""`GET /api/v1/energy/status`: the user-facing energy banner data, served from memory only."""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, Field

from daemon import keys
from daemon.energy.runtime import energy_runtime
from daemon.energy.snapshot import EnergySnapshot
from daemon.energy.status import alert_message, pick_language, sufficiency
from daemon.http.body import RequestModel, read_query
from daemon.http.endpoints import Endpoint

API = "/api/v1"

# (partner_id, user_id) -> (queue position, wait minutes or None), or None when not queued.
QueueLookup = Callable[[int, str], Awaitable[tuple[int, int | None] | None]]
# Set by the withdrawals package; the energy package does not depend on it.
queue_lookup: web.AppKey[QueueLookup] = web.AppKey("queue_lookup")
# Set by the autopilot package: pool id (None: the pools as one) -> seconds until short, inf, or None.
ForecastLookup = Callable[[int | None], float | None]
forecast_lookup: web.AppKey[ForecastLookup] = web.AppKey("forecast_lookup")


def forecast_hours(app: web.Application, pool_id: int | None) -> float | None:
    """Hours until short for the API: null when unknown or not within the forecast horizon."""
    lookup = app.get(forecast_lookup)
    seconds = lookup(pool_id) if lookup is not None else None
    if seconds is None or math.isinf(seconds):
        return None
    return round(seconds / 3600, 2)


class StatusQuery(RequestModel):
    """Optionally, the end user whose queue position to include."""

    user_id: str | None = Field(None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@-]+$")


class EnergyStatus(BaseModel):
    """The seed's status fields, plus level, prices and freshness."""

    available_energy: int | None = Field(description="Energy available now over enabled pools")
    daily_consumption: int | None = Field(description="Energy spent in the trailing 24 h")
    energy_sufficient: bool = Field(description="A single pool can fund the next standard transfer now")
    estimated_wait_time: int | None = Field(description="Minutes until it can (recovery only); null unknown")
    queue_position: int | None = Field(
        description="With ?user_id=: that user's place in the queue (1 = next); null when not waiting"
    )
    alert_message: str | None = Field(description="Null when sufficient; else Korean or English text")
    level: Literal["ok", "warning", "critical", "emergency"]
    energy_fee_sun: int | None
    emergency_fee_trx: Decimal | None = Field(description="Fee of one USDT transfer to an empty address")
    updated_at: datetime | None = Field(description="When the newest pool figures were read")
    stale: bool = Field(description="True when the figures are older than 3 scrape intervals")
    forecast_hours: float | None = Field(
        None, description="Hours until energy is forecast to run short; null when not within the horizon"
    )


def render(
    snap: EnergySnapshot, lang: str, stale: bool, speed: float, forecast: float | None = None
) -> bytes:
    """The JSON body for one snapshot, language, freshness, chain speed and forecast (cached)."""
    key = ("status", lang, stale, speed, forecast)
    body: bytes | None = snap.cache.get(key)
    if body is None:
        suff = sufficiency(snap, speed=speed)
        fee = snap.quote.total_trx if snap.quote is not None else None
        t = snap.totals
        body = (
            EnergyStatus(
                available_energy=t.energy_available if t.pools else None,
                daily_consumption=t.daily_consumption,
                energy_sufficient=suff.sufficient,
                estimated_wait_time=suff.wait_minutes,
                queue_position=None,
                alert_message=alert_message(suff, fee, stale, lang),
                level=snap.level,
                energy_fee_sun=snap.energy_fee_sun,
                emergency_fee_trx=fee,
                updated_at=snap.data_time,
                stale=stale,
                forecast_hours=forecast,
            )
            .model_dump_json()
            .encode()
        )
        snap.cache[key] = body
    return body


async def energy_status(request: web.Request) -> web.Response:
    """Energy status for the withdrawal page; never calls the chain."""
    query = read_query(request, StatusQuery)
    snap = request.app[energy_runtime].holder.current
    lang = pick_language(request.headers.get("Accept-Language"))
    speed = request.app[keys.runtime].chain_speed()
    body = render(snap, lang, snap.stale(), speed, forecast_hours(request.app, None))
    lookup = request.app.get(queue_lookup)
    if query.user_id is not None and lookup is not None:
        found = await lookup(request[keys.principal].partner_id or 0, query.user_id)
        if found is not None:
            data = json.loads(body)
            data["queue_position"], data["estimated_wait_time"] = found
            body = json.dumps(data).encode()
    return web.Response(
        body=body,
        content_type="application/json",
        headers={"Content-Language": lang, "Vary": "Accept-Language"},
    )


def status_endpoints() -> list[Endpoint]:
    """The partner-facing energy status."""
    return [
        Endpoint(
            "GET",
            f"{API}/energy/status",
            energy_status,
            "partner",
            "Energy status for the withdrawal page (Accept-Language: ko or en)",
            "energy",
            query=StatusQuery,
            response=EnergyStatus,
        )
    ]
