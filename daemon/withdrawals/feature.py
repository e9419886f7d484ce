"""The withdrawals feature: the queue, emergency quotes and payments, their routes and jobs."""

from __future__ import annotations

from aiohttp import web

from daemon.feature import Feature, add_endpoints
from daemon.withdrawals.context import install, withdrawals_context
from daemon.withdrawals.routes import withdrawal_endpoints


def setup(app: web.Application) -> None:
    """Install the withdrawal state, routes and cleanup context."""
    install(app)
    add_endpoints(app, withdrawal_endpoints())
    app.cleanup_ctx.append(withdrawals_context)


# The dispatcher releases against the energy snapshot from its first pass.
FEATURE = Feature("withdrawals", setup, needs=("energy",))
