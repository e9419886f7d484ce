"""`GET /api/v1/admin/energy/costs`: what withdrawals' energy cost, per day (or `step`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from aiohttp import web
from pydantic import BaseModel, Field, field_validator

from daemon import keys
from daemon.autopilot import costs_repo as repo
from daemon.http.body import RequestModel, as_utc, read_query
from daemon.http.endpoints import Endpoint, json_response

API = "/api/v1/admin/energy/costs"
SUN = Decimal(1_000_000)
MAX_POINTS = 1000


class CostsQuery(RequestModel):
    """A start time and a bucket size."""

    since: datetime | None = Field(None, description="Default: 30 days ago")
    step: int = Field(86_400, ge=3600, le=31 * 86_400, description="Seconds per bucket (default a day)")

    _utc = field_validator("since")(as_utc)


class CostBucket(BaseModel):
    """The withdrawals completed in one bucket and how their energy was paid."""

    start: datetime
    payouts: int
    emergency_payouts: int
    energy: int = Field(description="Energy the senders used (stake plus burned)")
    staked_energy: int = Field(description="From the pools' own stake")
    delegated_energy: int = Field(description="From energy delegated to the pools")
    burned_energy: int = Field(description="Paid by burning TRX (emergencies: the user's fee)")
    trx_burned: Decimal = Field(description="TRX the pools burned (queued withdrawals)")
    user_fee_trx: Decimal = Field(description="TRX users paid for emergency withdrawals")
    cost_trx: Decimal = Field(description="The energy used, in TRX at the energy fee of each withdrawal")
    cost_per_payout_trx: Decimal | None
    burn_all_trx: Decimal = Field(description="What burning TRX for all of that energy would have cost")


class Costs(BaseModel):
    """Buckets oldest first, and their sum."""

    step: int
    buckets: list[CostBucket]
    total: CostBucket | None
    pending: int = Field(description="Completed withdrawals whose receipt is not solid or not read yet")
    truncated: bool


def _bucket(start: datetime, r: dict[str, int]) -> CostBucket:
    payouts = r["payouts"]
    cost = Decimal(r["cost_sun"]) / SUN
    return CostBucket(
        start=start,
        payouts=payouts,
        emergency_payouts=r["emergency_payouts"],
        energy=r["energy"],
        staked_energy=r["staked_energy"],
        delegated_energy=r["delegated_energy"],
        burned_energy=r["burned_energy"],
        trx_burned=Decimal(r["burned_sun"]) / SUN,
        user_fee_trx=Decimal(r["user_fee_sun"]) / SUN,
        cost_trx=cost,
        cost_per_payout_trx=(cost / payouts).quantize(Decimal("0.000001")) if payouts else None,
        burn_all_trx=Decimal(r["burn_all_sun"]) / SUN,
    )


FIELDS = (
    "payouts",
    "emergency_payouts",
    "energy",
    "staked_energy",
    "delegated_energy",
    "burned_energy",
    "burned_sun",
    "user_fee_sun",
    "cost_sun",
    "burn_all_sun",
)


async def costs(request: web.Request) -> web.Response:
    """Daily (or `step`) cost totals of recorded withdrawals since `since`."""
    query = read_query(request, CostsQuery)
    since = query.since or datetime.now(UTC) - timedelta(days=30)
    async with request.app[keys.runtime].pool.acquire() as conn:
        rows = await repo.daily(conn, since, query.step, MAX_POINTS + 1)
        pending = await repo.pending_count(conn)
    sums = [{k: int(r[k] or 0) for k in FIELDS} for r in rows[:MAX_POINTS]]
    buckets = [_bucket(r["bucket"], s) for r, s in zip(rows, sums, strict=False)]
    total = _bucket(buckets[0].start, {k: sum(s[k] for s in sums) for k in FIELDS}) if buckets else None
    return json_response(
        Costs(
            step=query.step, buckets=buckets, total=total, pending=pending, truncated=len(rows) > MAX_POINTS
        )
    )


def costs_endpoints() -> list[Endpoint]:
    """The cost ledger's admin API."""
    return [
        Endpoint(
            "GET",
            API,
            costs,
            "admin",
            "Energy costs of completed withdrawals per day: staked, delegated, burned, cost per payout",
            "energy-admin",
            query=CostsQuery,
            response=Costs,
        )
    ]
