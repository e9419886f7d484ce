"""The autopilot feature: the forecast, the cost ledger and the delegation policy, routes and jobs."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from daemon.alerts.context import alerts_state
from daemon.alerts.namespaces import AUTOPILOT
from daemon.autopilot import costs_context, forecast_context, policy_context
from daemon.autopilot.costs_routes import costs_endpoints
from daemon.autopilot.routes import autopilot_endpoints
from daemon.feature import Feature, add_endpoints


async def declare_namespace(app: web.Application) -> AsyncIterator[None]:
    """Declare `autopilot.*` to the alert rules, which are read when the alerts start (after this)."""
    state = app[policy_context.autopilot_state]
    if alerts_state in app:
        app[alerts_state].namespaces.register(AUTOPILOT, lambda: state.figures or None)
    yield


def setup(app: web.Application) -> None:
    """Install the forecast (the policy reads it), the policy and the ledger, routes and contexts."""
    forecast_context.install(app)
    policy_context.install(app)
    costs_context.install(app)
    add_endpoints(app, [*costs_endpoints(), *autopilot_endpoints()])
    app.cleanup_ctx.extend(
        [
            declare_namespace,
            forecast_context.forecast_context,
            costs_context.costs_context,
            policy_context.autopilot_context,
        ]
    )


FEATURE = Feature("autopilot", setup, needs=("energy", "withdrawals"), before=("alerts",))
