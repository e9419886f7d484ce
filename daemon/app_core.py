"""The core every feature stands on: settings, runtime, metrics, core routes, profiler, database, TRON."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from functools import partial
from typing import Literal

from aiohttp import web
from prometheus_client import CollectorRegistry

from daemon import keys
from daemon.config import Settings, mask_url
from daemon.db import migrate
from daemon.db.connect import connect, create_pool
from daemon.db.errors import DB_ERRORS
from daemon.feature import add_endpoints
from daemon.housekeeping import purge_idempotency
from daemon.http.admin_routes import admin_endpoints
from daemon.http.core_routes import core_endpoints
from daemon.http.keycache import KeyCache
from daemon.jobs import Job, JobMetrics, Supervisor
from daemon.metrics import AppMetrics
from daemon.observability import profiling
from daemon.observability.profiler import Profiler
from daemon.runtime import Runtime
from daemon.tasks import STOP_TIMEOUT
from daemon.tron.client import TronClient
from daemon.tron.health import ChainHealth, chain_jobs
from daemon.tron.options import TronClientOptions

log = logging.getLogger(__name__)
DB_CHECK_INTERVAL = 5.0


def setup(
    app: web.Application, settings: Settings, *, database_url: str, registry: CollectorRegistry
) -> None:
    """Install the shared state and core routes, then the profiler, database and TRON contexts."""
    runtime = Runtime()
    app[keys.settings] = settings
    app[keys.runtime] = runtime
    app[keys.metrics] = AppMetrics(registry, pool=lambda: runtime.pool)
    app[keys.database_url] = database_url
    app[keys.key_cache] = KeyCache(settings.auth.key_cache_seconds)
    app[keys.endpoints] = {}
    app[keys.jobs] = Supervisor(
        database_url=database_url,
        lease_interval=settings.jobs.lease_interval,
        leader_gauge=app[keys.metrics].leader,
        metrics=JobMetrics(registry),
        grace=STOP_TIMEOUT,
    )
    prof = app[profiling.profiler_key] = Profiler(registry, settings.profiler)
    access: Literal["public", "admin"] = "public" if settings.server.metrics_public else "admin"
    add_endpoints(app, [*core_endpoints(access, registry), *admin_endpoints()])
    add_endpoints(app, profiling.profiling_endpoints())
    # The profiler first: every later context's tasks inherit it.
    app.cleanup_ctx.extend([profiling.profiler_context(prof), database_context, tron_context])


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
    jobs = app[keys.jobs]
    jobs.add(Job("db-watch", partial(_check_database, app), interval=DB_CHECK_INTERVAL))
    ttl = settings.jobs.idempotency_ttl_hours
    jobs.add(
        Job(
            "housekeeping",
            lambda: purge_idempotency(runtime.pool, ttl_hours=ttl),
            interval=600.0,
            leader=True,
        )
    )
    try:
        yield
    finally:
        try:
            async with asyncio.timeout(settings.server.shutdown_timeout):
                await runtime.pool.close()
        except DB_ERRORS as exc:
            # A connection that is never released must not keep the pool (and its reconnects) alive.
            log.warning("database pool did not close cleanly, terminating error=%r", exc)
            runtime.pool.terminate()
        runtime.pool = None  # type: ignore[assignment]


async def _check_database(app: web.Application) -> float:
    runtime = app[keys.runtime]
    gauge, pool, outage = app[keys.metrics].db_up, runtime.pool, runtime.database
    try:
        async with pool.acquire(timeout=DB_CHECK_INTERVAL) as conn:
            await conn.fetchval("SELECT 1", timeout=DB_CHECK_INTERVAL)
        outage.succeeded()
    except Exception as exc:  # any failure is "down"; the reason goes to the log (once per outage)
        outage.failed(exc)
    down = outage.down_since is not None
    gauge.set(0 if down else 1)
    # While down, look often: the log says "back" (and gauges and alerts recover) soon after it is.
    return DB_CHECK_INTERVAL / 5 if down else DB_CHECK_INTERVAL


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
        for job in chain_jobs(
            runtime.tron, runtime.chain_health, app[keys.metrics].registry, tron.health_interval
        ):
            app[keys.jobs].add(job)
        yield
    runtime.tron = runtime.chain_health = runtime.devnode = None
