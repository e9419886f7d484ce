"""The security feature: its state and pool, the security routes, and `security.*` for the alert rules."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from daemon.alerts.context import alerts_state
from daemon.alerts.namespaces import SECURITY
from daemon.feature import Feature, add_endpoints
from daemon.security.context import install, security_context, security_state
from daemon.security.routes import security_endpoints


async def declare_namespace(app: web.Application) -> AsyncIterator[None]:
    """Declare `security.*` to the alert rules, which are read when the alerts start (after this)."""
    state = app[security_state]
    if alerts_state in app:
        app[alerts_state].namespaces.register(SECURITY, lambda: state.figures)
    yield


def setup(app: web.Application) -> None:
    """Install the security state, routes and cleanup contexts (the middlewares are the app's)."""
    install(app)
    add_endpoints(app, security_endpoints())
    app.cleanup_ctx.extend([declare_namespace, security_context])


FEATURE = Feature("security", setup, before=("alerts",))
