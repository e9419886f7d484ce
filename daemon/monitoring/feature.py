"""The monitoring feature: the system collector, the WebSocket hub and stream, replica figures."""

from __future__ import annotations

from aiohttp import web

from daemon.feature import Feature, add_endpoints
from daemon.monitoring.context import install, monitoring_context
from daemon.monitoring.routes import monitoring_endpoints


def setup(app: web.Application) -> None:
    """Install the monitoring state (hooked into the alerts and energy), routes and cleanup context."""
    install(app)
    add_endpoints(app, monitoring_endpoints())
    app.cleanup_ctx.append(monitoring_context)


# It hooks listeners into the alerts' and the energy snapshot's state, and streams what they report.
FEATURE = Feature("monitoring", setup, needs=("alerts", "energy"))
