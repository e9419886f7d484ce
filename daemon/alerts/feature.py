"""The alerts feature (a platform): rules over what producers registered, the outbox, silences, acks."""

from __future__ import annotations

from aiohttp import web

from daemon.alerts.ack_routes import ack_endpoints
from daemon.alerts.context import alerts_context, install
from daemon.alerts.maintenance_routes import maintenance_endpoints
from daemon.alerts.routes import alerts_endpoints
from daemon.feature import Feature, add_endpoints


def setup(app: web.Application) -> None:
    """Install the alert state (no I/O: the rule files are read when the app starts), routes and context."""
    install(app)
    add_endpoints(app, [*alerts_endpoints(), *maintenance_endpoints(), *ack_endpoints()])
    app.cleanup_ctx.append(alerts_context)


FEATURE = Feature("alerts", setup)
