"""Admin energy API: pool registration and management, per-pool status, history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field, field_validator
from tronpy.keys import is_base58check_address

from daemon import keys
from daemon.energy import pools_repo as repo
from daemon.energy import service
from daemon.energy.delegation_models import DelegationStatus, delegation_status
from daemon.energy.delegations import next_expiry
from daemon.energy.runtime import energy_runtime
from daemon.energy.scraper import runway_hours
from daemon.energy.snapshot import PoolView
from daemon.energy.status_routes import forecast_hours
from daemon.errors import NotFound, ValidationFailed
from daemon.http.body import RequestModel, as_utc, read_json, read_query
from daemon.http.endpoints import Endpoint, json_response, path_id
from daemon.http.idempotency import idempotent

API = "/api/v1/admin/energy"
SUN = Decimal(1_000_000)
MAX_POINTS = 2000
_NAME = r"^[^\x00-\x1f\x7f]+$"  # printable: names become metric labels
_TRX_MAX = Decimal(10) ** 11


class PoolCreate(RequestModel):
    """A pool wallet to watch: its address, target stake in TRX, and an optional name."""

    wallet_address: str = Field(max_length=64)
    trx_amount: Decimal = Field(ge=0, le=_TRX_MAX, decimal_places=6, allow_inf_nan=False)
    name: str | None = Field(None, min_length=1, max_length=100, pattern=_NAME)

    @field_validator("wallet_address")
    @classmethod
    def _base58check(cls, value: str) -> str:
        try:
            ok = is_base58check_address(value)
        except (ValueError, IndexError):  # bad alphabet or checksum; empty
            ok = False
        if not ok:
            raise ValueError("not a valid base58check TRON address (T..., 34 characters)")
        return value


class PoolPatch(RequestModel):
    """Fields to change; at least one."""

    name: str | None = Field(None, min_length=1, max_length=100, pattern=_NAME)
    trx_amount: Decimal | None = Field(None, ge=0, le=_TRX_MAX, decimal_places=6, allow_inf_nan=False)
    enabled: bool | None = None


class Pool(BaseModel):
    """A registered pool."""

    id: int
    name: str
    wallet_address: str
    trx_amount: Decimal
    enabled: bool
    source: Literal["api", "config"]
    created_at: datetime
    updated_at: datetime


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


def _pool(row: Any) -> Pool:
    return Pool(**{**dict(row), "trx_amount": row["target_trx"]})


async def create_pool(request: web.Request) -> web.Response:
    """Register a pool wallet (checked on chain)."""
    body = await read_json(request, PoolCreate)
    runtime = request.app[keys.runtime]

    async def work(conn: Any) -> tuple[int, BaseModel]:
        row = await service.create_pool(
            conn, runtime.tron, address=body.wallet_address, target_trx=body.trx_amount, name=body.name
        )
        return 201, _pool(row)

    response = await idempotent(request, work)
    request.app[energy_runtime].wake()
    return response


async def update_pool(request: web.Request) -> web.Response:
    """Rename, retarget, enable or disable a pool."""
    pool_id = path_id(request)
    body = await read_json(request, PoolPatch)
    if body.name is None and body.trx_amount is None and body.enabled is None:
        raise ValidationFailed("give at least one of name, trx_amount, enabled", field="(body)")
    runtime = request.app[keys.runtime]
    async with runtime.pool.acquire() as conn:
        row = await service.update_pool(
            conn, pool_id, name=body.name, target_trx=body.trx_amount, enabled=body.enabled
        )
    request.app[energy_runtime].wake()
    return json_response(_pool(row))


async def delete_pool(request: web.Request) -> web.Response:
    """Stop watching a pool and delete its history."""
    pool_id = path_id(request)
    runtime = request.app[keys.runtime]
    async with runtime.pool.acquire() as conn:
        await service.delete_pool(conn, pool_id)
    request.app[energy_runtime].wake()
    return json_response(None)


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


async def create_pool_rest(request: web.Request) -> web.Response:
    """POST .../pools: the same as create-pool."""
    return await create_pool(request)


def _create(path: str, handler: Any, summary: str) -> Endpoint:
    return Endpoint(
        "POST",
        path,
        handler,
        "admin",
        summary,
        "energy-admin",
        body=PoolCreate,
        response=Pool,
        status=201,
        idempotent=True,
        errors=(409, 503),
    )


def energy_admin_endpoints() -> list[Endpoint]:
    """Pool management and the admin status."""
    return [
        _create(f"{API}/create-pool", create_pool, "Register a pool wallet"),
        _create(f"{API}/pools", create_pool_rest, "Register a pool wallet (REST form of create-pool)"),
        Endpoint(
            "PATCH",
            f"{API}/pools/{{id}}",
            update_pool,
            "admin",
            "Change a pool (name, trx_amount, enabled)",
            "energy-admin",
            body=PoolPatch,
            response=Pool,
            errors=(409,),
        ),
        Endpoint(
            "DELETE",
            f"{API}/pools/{{id}}",
            delete_pool,
            "admin",
            "Delete a pool and its history",
            "energy-admin",
            status=204,
            errors=(409,),
        ),
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
