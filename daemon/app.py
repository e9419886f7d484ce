"""create_app: wiring only; every pool and task starts and stops in a cleanup context."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import asyncpg
from aiohttp import web
from prometheus_client import CollectorRegistry

from daemon import keys
from daemon.alerts.ack_routes import ack_endpoints
from daemon.alerts.context import alerts_context
from daemon.alerts.context import install as install_alerts
from daemon.alerts.maintenance_routes import maintenance_endpoints
from daemon.alerts.routes import alerts_endpoints
from daemon.autopilot import costs_context, forecast_context
from daemon.autopilot import policy_context as autopilot
from daemon.autopilot.costs_routes import costs_endpoints
from daemon.autopilot.routes import autopilot_endpoints
from daemon.config import Settings, mask_url
from daemon.db import migrate
from daemon.db.connect import connect, create_pool
from daemon.db.lease import LeaderLease
from daemon.demo.context import demo_context
from daemon.energy import metrics as energy_metrics
from daemon.energy.admin_routes import energy_admin_endpoints
from daemon.energy.context import energy_context
from daemon.energy.runtime import energy_runtime, new_runtime
from daemon.energy.status_routes import status_endpoints
from daemon.housekeeping import purge_idempotency_forever
from daemon.http.admin_routes import admin_endpoints
from daemon.http.auth import auth_middleware
from daemon.http.core_routes import core_endpoints
from daemon.http.endpoints import Endpoint
from daemon.http.keycache import KeyCache
from daemon.http.middlewares import core_middleware
from daemon.http.openapi import build_document
from daemon.metrics import AppMetrics
from daemon.monitoring.context import install as install_monitoring
from daemon.monitoring.context import monitoring_context
from daemon.monitoring.routes import monitoring_endpoints
from daemon.observability import profiling as profiler_wiring
from daemon.runtime import Runtime
from daemon.security import context as security_context
from daemon.security.middleware import ratelimit_middleware, security_middleware
from daemon.security.routes import security_endpoints
from daemon.support.context import install as install_support
from daemon.support.context import support_context
from daemon.support.routes import support_endpoints
from daemon.tasks import stop_tasks
from daemon.tron.client import TronClient
from daemon.tron.health import ChainHealth, watch_chain
from daemon.tron.options import TronClientOptions
from daemon.web.status_page import install as install_status_page
from daemon.web.status_page import status_page_endpoints
from daemon.withdrawals.context import install as install_withdrawals
from daemon.withdrawals.context import withdrawals_context
from daemon.withdrawals.routes import withdrawal_endpoints

log = logging.getLogger(__name__)
DB_CHECK_INTERVAL = 5.0


def create_app(
    settings: Settings, *, database_url: str, registry: CollectorRegistry | None = None
) -> web.Application:
    """The tronwatch application for these settings and this database."""
    app = web.Application(
        middlewares=[
            core_middleware,  # request id, metrics, problem+json
            security_middleware,  # before auth: sees unauthenticated attacks and refused keys
            auth_middleware,
            ratelimit_middleware,  # after auth: limits per key
        ],
        client_max_size=settings.server.max_body_bytes,
    )
    runtime = Runtime()
    registry = registry if registry is not None else CollectorRegistry()
    app[keys.settings] = settings
    app[keys.runtime] = runtime
    app[keys.metrics] = AppMetrics(registry, pool=lambda: runtime.pool)
    app[keys.database_url] = database_url
    app[keys.key_cache] = KeyCache(settings.auth.key_cache_seconds)
    app[keys.endpoints] = {}
    install_support(app)
    install_withdrawals(app)
    install_alerts(app)  # no I/O: rule files are read when the app starts
    forecast_context.install(app)
    autopilot.install(app)  # after alerts and the forecast: declares autopilot.*, reads the forecast
    install_status_page(app, settings.status_page)
    profiler_wiring.install(app)
    security_context.install(app)  # after alerts: declares security.* for the rules
    app[energy_runtime] = new_runtime(settings.energy)
    energy_metrics.register(registry, app[energy_runtime].holder)
    install_monitoring(app)  # hooks into the alerts and energy runtimes made above
    costs_context.install(app)
    endpoints = [
        *core_endpoints("public" if settings.server.metrics_public else "admin", registry),
        *admin_endpoints(),
        *status_endpoints(),
        *energy_admin_endpoints(),
        *costs_endpoints(),
        *support_endpoints(),
        *withdrawal_endpoints(),
        *autopilot_endpoints(),
        *alerts_endpoints(),
        *maintenance_endpoints(),
        *ack_endpoints(),
        *monitoring_endpoints(),
        *status_page_endpoints(settings.status_page),
        *profiler_wiring.profiling_endpoints(),
        *security_endpoints(),
    ]
    add_endpoints(app, endpoints)
    app[keys.openapi_document] = build_document(endpoints)
    app.cleanup_ctx.append(profiler_wiring.profiler_context)  # first: later contexts' tasks inherit it
    app.cleanup_ctx.append(database_context)
    app.cleanup_ctx.append(tron_context)
    app.cleanup_ctx.append(jobs_context)
    app.cleanup_ctx.append(energy_context)
    app.cleanup_ctx.append(support_context)
    app.cleanup_ctx.append(demo_context)
    app.cleanup_ctx.append(withdrawals_context)  # needs the database, the TRON node and energy
    app.cleanup_ctx.append(forecast_context.forecast_context)
    app.cleanup_ctx.append(costs_context.costs_context)
    app.cleanup_ctx.append(autopilot.autopilot_context)  # after withdrawals: the demo's accounts exist
    app.cleanup_ctx.append(security_context.security_context)
    app.cleanup_ctx.append(alerts_context)  # reads every other package's figures
    app.cleanup_ctx.append(monitoring_context)  # streams what the alerts and energy report
    return app


def add_endpoints(app: web.Application, endpoints: list[Endpoint]) -> None:
    """Register routes and remember each route's endpoint for the auth middleware."""
    table = app[keys.endpoints]
    for ep in endpoints:
        table[app.router.add_route(ep.method, ep.path, ep.handler)] = ep


async def database_context(app: web.Application) -> AsyncIterator[None]:
    """Migrate (unless disabled), open the pool, and keep tronwatch_db_up current."""
    settings, url, runtime = app[keys.settings], app[keys.database_url], app[keys.runtime]
    # A plain connect first, so an unreachable database is reported as such, with the URL.
    probe = await connect(url, connect_timeout=settings.database.connect_timeout)
    await probe.close()
    if settings.database.run_migrations:
        await migrate.upgrade(url)
    runtime.pool = await create_pool(
        url,
        min_size=settings.database.pool_min,
        max_size=settings.database.pool_max,
        connect_timeout=settings.database.connect_timeout,
    )
    watcher = asyncio.create_task(_watch_database(app), name="db-watch")
    try:
        yield
    finally:
        await stop_tasks([watcher])
        try:
            async with asyncio.timeout(settings.server.shutdown_timeout):
                await runtime.pool.close()
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            # A connection that is never released must not keep the pool (and its reconnects) alive.
            log.warning("database pool did not close cleanly, terminating error=%r", exc)
            runtime.pool.terminate()
        runtime.pool = None


async def _watch_database(app: web.Application) -> None:
    runtime = app[keys.runtime]
    gauge, pool, outage = app[keys.metrics].db_up, runtime.pool, runtime.database
    while True:
        try:
            async with pool.acquire(timeout=DB_CHECK_INTERVAL) as conn:
                await conn.fetchval("SELECT 1", timeout=DB_CHECK_INTERVAL)
            outage.succeeded()
        except Exception as exc:  # any failure is "down"; the reason goes to the log (once per outage)
            outage.failed(exc)
        down = outage.down_since is not None
        gauge.set(0 if down else 1)
        # While down, look often: the log says "back" (and gauges and alerts recover) soon after it is.
        await asyncio.sleep(DB_CHECK_INTERVAL / 5 if down else DB_CHECK_INTERVAL)


async def tron_context(app: web.Application) -> AsyncIterator[None]:
    """Connect to the TRON network (starting the in-process devnode in demo mode) and watch its head."""
    settings, runtime = app[keys.settings], app[keys.runtime]
    tron = settings.tron
    if tron.network == "none":
        yield
        return
    async with contextlib.AsyncExitStack() as stack:
        endpoint = tron.network
        if tron.network == "devnode":
            from daemon.devnode.app import Devnode

            node = await stack.enter_async_context(Devnode.start(speed=tron.devnode_speed))
            for account in node.chain.accounts.values():
                if account.pool and tron.devnode_traffic_per_hour > 0:
                    node.start_traffic(account.name, tron.devnode_traffic_per_hour)
            runtime.devnode, endpoint = node, node.url
        options = TronClientOptions(
            network=endpoint,
            api_keys=tron.api_keys,
            timeout=tron.timeout,
            rps=tron.requests_per_second,
            usdt_contract=tron.usdt_contract,
            solidity_url=tron.solidity_url,
        )
        devnode_usdt = tron.network == "devnode" and not tron.usdt_contract
        source = "the devnode's USDT, at the mainnet address" if devnode_usdt else options.usdt_source
        log.info("tron network=%s usdt_contract=%s (%s)", mask_url(tron.network), options.usdt, source)
        runtime.tron = TronClient(options, registry=app[keys.metrics].registry)
        stack.push_async_callback(runtime.tron.close)
        runtime.chain_health = ChainHealth(stale_after=3 * tron.health_interval)
        watcher = asyncio.create_task(
            watch_chain(runtime.tron, runtime.chain_health, app[keys.metrics].registry, tron.health_interval)
        )
        stack.push_async_callback(stop_tasks, [watcher])
        yield
    runtime.tron = runtime.chain_health = runtime.devnode = None


async def jobs_context(app: web.Application) -> AsyncIterator[None]:
    """Start leader-leased background jobs; cancel and await them on shutdown."""
    settings, runtime = app[keys.settings], app[keys.runtime]
    leases = [
        LeaderLease(
            app[keys.database_url],
            "housekeeping",
            lambda: purge_idempotency_forever(runtime.pool, ttl_hours=settings.jobs.idempotency_ttl_hours),
            interval=settings.jobs.lease_interval,
            gauge=app[keys.metrics].leader,
        )
    ]
    runtime.tasks = [asyncio.create_task(lease.run(), name=f"lease:{lease.job_name}") for lease in leases]
    try:
        yield
    finally:
        await stop_tasks(runtime.tasks)
        runtime.tasks = []
