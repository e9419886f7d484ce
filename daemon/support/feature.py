"""The support feature: tickets, their routes, the SLA job and the partner-webhook receivers."""

from __future__ import annotations

from aiohttp import web

from daemon.feature import Feature, add_endpoints
from daemon.support.context import install, support_context
from daemon.support.routes import support_endpoints


def setup(app: web.Application) -> None:
    """Install the support state (and its receiver resolver), routes and cleanup context."""
    install(app)
    add_endpoints(app, support_endpoints())
    app.cleanup_ctx.append(support_context)


# Before alerts: the alert senders take the partner-webhook resolver when they start.
FEATURE = Feature("support", setup, before=("alerts",))
