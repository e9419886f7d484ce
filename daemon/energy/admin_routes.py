"""Admin energy API: pool registration and management (status and history: admin_status_routes)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field, field_validator
from tronpy.keys import is_base58check_address

from daemon import keys
from daemon.db.types import Connection, Record
from daemon.energy import service
from daemon.energy.admin_status_routes import status_endpoints
from daemon.energy.runtime import energy_runtime
from daemon.errors import ValidationFailed
from daemon.http.body import RequestModel, read_json
from daemon.http.endpoints import Endpoint, json_response, path_id
from daemon.http.idempotency import idempotent

API = "/api/v1/admin/energy"
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


def _pool(row: Record) -> Pool:
    return Pool(**{**dict(row), "trx_amount": row["target_trx"]})


async def create_pool(request: web.Request) -> web.Response:
    """Register a pool wallet (checked on chain)."""
    body = await read_json(request, PoolCreate)
    runtime = request.app[keys.runtime]

    async def work(conn: Connection) -> tuple[int, BaseModel]:
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
        *status_endpoints(),
    ]
