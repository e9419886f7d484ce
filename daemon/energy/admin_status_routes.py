"""Admin energy API, read side: every pool's status from memory and a pool's stored history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, Field, field_validator

from daemon import keys
from daemon.energy import pools_repo as repo
from daemon.energy.delegation_models import DelegationStatus, delegation_status
from daemon.energy.delegations import next_expiry
from daemon.energy.runtime import energy_runtime
from daemon.energy.scraper import runway_hours
from daemon.energy.snapshot import PoolView
from daemon.energy.status_routes import forecast_hours
from daemon.errors import NotFound
from daemon.http.body import RequestModel, as_utc, read_query
from daemon.http.endpoints import Endpoint, json_response, path_id

API = "/api/v1/admin/energy"
SUN = Decimal(1_000_000)
MAX_POINTS = 2000


class PoolStatus(BaseModel):
    """One pool's last known figures."""

    id: int
    name: str
    wallet_address: str
    frozen_trx: Decimal
    balance_trx: Decimal
    energy_limit: int
    energy_used: int
    available_energy: int
    usage_ratio: float
    daily_consumption: int | None
    runway_hours: float | None = Field(description="Null when recovery outpaces use, or not yet known")
    forecast_hours: float | None = Field(
        None, description="Hours until the pool is forecast to be short of the next withdrawal's energy"
    )
    status: Literal["active", "low", "exhausted", "unreachable", "disabled"]
    last_scraped_at: datetime | None
    last_error: str | None
    acquired_energy: int = Field(description="Energy delegated to the pool by others (in energy_limit)")
    delegated_out_energy: int = Field(description="Energy of the pool's stake delegated to others")
    reclaimed_energy_1h: int = Field(description="Acquired energy delegators took back in the last hour")
    delegation_expires_at: datetime | None = Field(
        description="Earliest lock end of energy delegated to the pool; null when none is locked"
    )
    delegations: list[DelegationStatus]


class StatusTotals(BaseModel):
    """Sums over enabled pools."""

    frozen_trx: Decimal
    energy_limit: int
    energy_used: int
    available_energy: int
    usage_ratio: float
    daily_consumption: int | None
    runway_hours: float | None = Field(
        description="The pools as one (expected duration): hours until their summed available energy "
        "reaches 0 at the summed daily spend net of recovery; null when sustainable or not yet known"
    )
    pools: int
    pools_up: int
    forecast_hours: float | None = Field(
        None, description="Hours until the pools as one are forecast to run short; null: not soon"
    )


class AdminStatus(BaseModel):
    """Every pool, the totals and the threshold level."""

    pools: list[PoolStatus]
    totals: StatusTotals
    level: Literal["ok", "warning", "critical", "emergency"]
    energy_fee_sun: int | None
    emergency_fee_trx: Decimal | None
    stale: bool
    updated_at: datetime | None


class HistoryQuery(RequestModel):
    """A time range start and a bucket size."""

    since: datetime | None = Field(None, description="Default: 24 h ago")
    step: int = Field(300, ge=60, le=86_400, description="Seconds per point")

    _utc = field_validator("since")(as_utc)


class HistoryPoint(BaseModel):
    """The last snapshot in one bucket."""

    time: datetime
    chain_time: datetime
    energy_limit: int
    energy_used: int
    available_energy: int
    frozen_trx: Decimal
    balance_trx: Decimal
    energy_fee_sun: int | None
    daily_consumption: int | None


class History(BaseModel):
    """A pool's snapshots, one per step."""

    pool_id: int
    step: int
    points: list[HistoryPoint]
    truncated: bool


def _pool_status(p: PoolView, app: web.Application) -> PoolStatus:
    return PoolStatus(
        id=p.id,
        name=p.name,
        wallet_address=p.wallet_address,
        frozen_trx=Decimal(p.frozen_sun) / SUN,
        balance_trx=Decimal(p.balance_sun) / SUN,
        energy_limit=p.energy_limit,
        energy_used=p.energy_used,
        available_energy=p.energy_available,
        usage_ratio=round(p.usage_ratio, 6) if p.has_data else 0.0,
        daily_consumption=p.daily_consumption,
        runway_hours=runway_hours(p.runway_seconds),
        forecast_hours=forecast_hours(app, p.id),
        status=p.status,
        last_scraped_at=p.last_scraped_at,
        last_error=p.last_error,
        acquired_energy=p.acquired_energy,
        delegated_out_energy=p.delegated_out_energy,
        reclaimed_energy_1h=p.reclaimed_energy_1h,
        delegation_expires_at=next_expiry(p.delegations),
        delegations=[delegation_status(d) for d in p.delegations],
    )


async def admin_status(request: web.Request) -> web.Response:
    """Every pool's figures from memory, with totals."""
    snap = request.app[energy_runtime].holder.current
    t = snap.totals
    return json_response(
        AdminStatus(
            pools=[_pool_status(p, request.app) for p in snap.pools],
            totals=StatusTotals(
                frozen_trx=Decimal(t.frozen_sun) / SUN,
                energy_limit=t.energy_limit,
                energy_used=t.energy_used,
                available_energy=t.energy_available,
                usage_ratio=round(t.usage_ratio, 6),
                daily_consumption=t.daily_consumption,
                runway_hours=runway_hours(t.runway_seconds),
                pools=t.pools,
                pools_up=t.pools_up,
                forecast_hours=forecast_hours(request.app, None),
            ),
            level=snap.level,
            energy_fee_sun=snap.energy_fee_sun,
            emergency_fee_trx=snap.quote.total_trx if snap.quote is not None else None,
            stale=snap.stale(),
            updated_at=snap.data_time,
        )
    )


async def pool_history(request: web.Request) -> web.Response:
    """A pool's stored snapshots, one per `step` seconds since `since`."""
    pool_id = path_id(request)
    query = read_query(request, HistoryQuery)
    since = query.since or datetime.now(UTC) - timedelta(days=1)
    async with request.app[keys.runtime].pool.acquire() as conn:
        if await repo.get_pool(conn, pool_id) is None:
            raise NotFound(f"energy pool {pool_id} does not exist")
        rows = await repo.history(conn, pool_id, since, query.step, MAX_POINTS + 1)
    points = [
        HistoryPoint(
            time=r["taken_at"],
            chain_time=r["chain_time"],
            energy_limit=r["energy_limit"],
            energy_used=r["energy_used"],
            available_energy=r["energy_available"],
            frozen_trx=Decimal(r["frozen_sun"]) / SUN,
            balance_trx=Decimal(r["balance_sun"]) / SUN,
            energy_fee_sun=r["energy_fee_sun"],
            daily_consumption=r["daily_consumption"],
        )
        for r in rows[:MAX_POINTS]
    ]
    return json_response(
        History(pool_id=pool_id, step=query.step, points=points, truncated=len(rows) > MAX_POINTS)
    )


def status_endpoints() -> list[Endpoint]:
    """A pool's history and every pool's status."""
    return [
        Endpoint(
            "GET",
            f"{API}/pools/{{id}}/history",
            pool_history,
            "admin",
            "A pool's snapshot history",
            "energy-admin",
            query=HistoryQuery,
            response=History,
        ),
        Endpoint(
            "GET",
            f"{API}/status",
            admin_status,
            "admin",
            "Every pool's status",
            "energy-admin",
            response=AdminStatus,
        ),
    ]
