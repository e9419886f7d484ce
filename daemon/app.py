"""create_app: the core, then each feature in an order its declared needs check; wiring only."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from prometheus_client import CollectorRegistry

from daemon import app_core, keys
from daemon.alerts import feature as alerts
from daemon.autopilot import feature as autopilot
from daemon.config import Settings
from daemon.demo import feature as demo
from daemon.energy import feature as energy
from daemon.feature import install
from daemon.http.middlewares import core_middleware
from daemon.http.openapi import build_document
from daemon.monitoring import feature as monitoring
from daemon.security import feature as security
from daemon.security.access import access_middleware
from daemon.support import feature as support
from daemon.web import feature as status_page
from daemon.withdrawals import feature as withdrawals

FEATURES = [
    energy.FEATURE,
    support.FEATURE,
    withdrawals.FEATURE,
    demo.FEATURE,
    autopilot.FEATURE,
    security.FEATURE,
    status_page.FEATURE,
    alerts.FEATURE,
    monitoring.FEATURE,
]


def create_app(
    settings: Settings, *, database_url: str, registry: CollectorRegistry | None = None
) -> web.Application:
    """The tronwatch application for these settings and this database."""
    app = web.Application(
        middlewares=[
            core_middleware,  # request id, metrics, problem+json
            access_middleware(),  # scan, IP blocks, key and role, per-key limit
        ],
        client_max_size=settings.server.max_body_bytes,
    )
    registry = registry if registry is not None else CollectorRegistry()
    app_core.setup(app, settings, database_url=database_url, registry=registry)
    install(app, FEATURES)
    app.cleanup_ctx.append(jobs_context)  # last: starts every job declared above, stops them first
    app[keys.openapi_document] = build_document(list(app[keys.endpoints].values()))
    return app


async def jobs_context(app: web.Application) -> AsyncIterator[None]:
    """Start every declared background job; on shutdown stop them before the other contexts close."""
    jobs = app[keys.jobs]
    jobs.start()
    try:
        yield
    finally:
        await jobs.stop()
