"""The security feature: its state and pool, the security routes, and `security.*` for the alert rules."""

from __future__ import annotations

from aiohttp import web

from daemon.feature import Feature, add_endpoints
from daemon.security.context import install, security_context
from daemon.security.routes import security_endpoints


def setup(app: web.Application) -> None:
    """Install the security state, routes and cleanup contexts (the middlewares are the app's)."""
    install(app)
    add_endpoints(app, security_endpoints())
    app.cleanup_ctx.extend([security_context])


FEATURE = Feature("security", setup, before=("alerts",))
