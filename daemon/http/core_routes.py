"""Liveness, readiness, metrics and the OpenAPI document."""

from __future__ import annotations

import asyncio
from typing import Literal

from aiohttp import hdrs, web
from prometheus_client import CollectorRegistry
from prometheus_client.aiohttp import make_aiohttp_handler
from pydantic import BaseModel

from daemon import __version__, exposition, keys
from daemon.db import migrate
from daemon.http.endpoints import Endpoint, Handler, json_response
from daemon.tron.health import MAX_SOLID_LAG_BLOCKS
from daemon.tron.options import display_url


class Health(BaseModel):
    """The process is alive."""

    status: Literal["ok"]
    version: str


class Check(BaseModel):
    """One readiness check."""

    ok: bool
    detail: str


class Readiness(BaseModel):
    """Whether this instance should receive traffic, and why not."""

    status: Literal["ready", "not_ready"]
    checks: dict[str, Check]


_HEALTH = Health(status="ok", version=__version__).model_dump_json().encode()


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the event loop answers."""
    return web.Response(body=_HEALTH, content_type="application/json", charset="utf-8")


async def _database_checks(request: web.Request) -> dict[str, Check]:
    try:
        async with request.app[keys.runtime].pool.acquire(timeout=2) as conn:
            async with asyncio.timeout(2):
                revision = await migrate.current_revision(conn)
    except Exception as exc:  # any failure means "not ready", reported, never raised
        return {
            "database": Check(ok=False, detail=f"unreachable: {type(exc).__name__}"),
            "migrations": Check(ok=False, detail="unknown: database unreachable"),
        }
    head = migrate.head_revision()
    return {
        "database": Check(ok=True, detail="reachable"),
        "migrations": Check(ok=revision == head, detail=f"at {revision}, head is {head}"),
    }


def _tron_check(request: web.Request) -> Check:
    runtime = request.app[keys.runtime]
    health, network = runtime.chain_health, request.app[keys.settings].tron.network
    if health is None:
        return Check(ok=True, detail="no network configured")
    where = "simulated devnode" if runtime.devnode is not None else display_url(network)
    if health.fresh():
        return Check(ok=True, detail=f"{where}: head block {health.head_block}")
    if health.last_ok is None and health.last_error is None:
        return Check(ok=False, detail=f"{where}: not checked yet")
    return Check(ok=False, detail=f"{where}: stale ({health.last_error or 'no answer'})")


def _solidity_check(request: web.Request) -> Check:
    """The endpoint payments are verified on: answering, and on the same chain, not far behind."""
    runtime = request.app[keys.runtime]
    health, tron = runtime.chain_health, runtime.tron
    if health is None or tron is None:
        return Check(ok=True, detail="no network configured")
    where = f"solidity endpoint {display_url(tron.solidity_endpoint)}"
    if not health.solid_fresh():
        if health.solid_ok is None and health.solid_error is None:
            return Check(ok=False, detail=f"{where}: not checked yet")
        why = health.solid_error or "no answer"
        detail = f"{where}: failing ({why}); payments stay pending, check tron.solidity_url"
        return Check(ok=False, detail=detail)
    lag = health.solid_lag()
    if lag is not None and abs(lag) > MAX_SOLID_LAG_BLOCKS:
        return Check(
            ok=False,
            detail=f"{where}: solid block {health.solid_block} vs head {health.head_block}: a stalled "
            "solidity node, or not the chain of tron.network",
        )
    behind = "" if lag is None else f", {lag} blocks behind head"
    return Check(ok=True, detail=f"{where}: solid block {health.solid_block}{behind}")


async def readyz(request: web.Request) -> web.Response:
    """Readiness: database reachable, schema at head, TRON node and its solidity endpoint answering."""
    checks = await _database_checks(request)
    checks["tron"] = _tron_check(request)
    checks["tron_solidity"] = _solidity_check(request)
    ready = all(c.ok for c in checks.values())
    body = Readiness(status="ready" if ready else "not_ready", checks=checks)
    return json_response(body, status=200 if ready else 503)


async def openapi(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 document of every route."""
    return web.json_response(request.app[keys.openapi_document])


def metrics_handler(registry: CollectorRegistry) -> Handler:
    """prometheus_client's aiohttp handler, with collectors that keep their own text spliced in."""
    restricted = make_aiohttp_handler(registry)  # `?name[]=` filters: rare, served by the library itself

    async def metrics(request: web.Request) -> web.StreamResponse:
        """The registry in the format the Accept header negotiates."""
        if "name[]" in request.query:
            return await restricted(request)
        fmt = exposition.negotiate(",".join(request.headers.getall(hdrs.ACCEPT, [])))
        response = web.Response(
            body=exposition.generate(registry, fmt), headers={"Content-Type": fmt.content_type}
        )
        response.enable_compression()
        return response

    return metrics


def core_endpoints(metrics_access: Literal["public", "admin"], registry: CollectorRegistry) -> list[Endpoint]:
    """Routes every instance serves."""
    return [
        Endpoint("GET", "/healthz", healthz, "public", "Liveness", "system", response=Health),
        Endpoint(
            "GET",
            "/readyz",
            readyz,
            "public",
            "Readiness: database, migrations, TRON node, solidity endpoint",
            "system",
            response=Readiness,
            errors=(503,),
            errors_with_response=(503,),
        ),
        Endpoint(
            "GET",
            "/metrics",
            metrics_handler(registry),
            metrics_access,
            "Prometheus exposition",
            "system",
            media_type="text/plain",
        ),
        Endpoint("GET", "/openapi.json", openapi, "public", "This document", "system"),
    ]
