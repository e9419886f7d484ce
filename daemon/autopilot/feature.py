"""The autopilot feature: the forecast, the cost ledger and the delegation policy, routes and jobs."""

from __future__ import annotations

from aiohttp import web

from daemon.autopilot import costs_context, forecast_context, policy_context
from daemon.autopilot.costs_routes import costs_endpoints
from daemon.autopilot.routes import autopilot_endpoints
from daemon.feature import Feature, add_endpoints


def setup(app: web.Application) -> None:
    """Install the forecast (the policy reads it), the policy and the ledger, routes and contexts."""
    forecast_context.install(app)
    policy_context.install(app)
    costs_context.install(app)
    add_endpoints(app, [*costs_endpoints(), *autopilot_endpoints()])
    app.cleanup_ctx.extend(
        [
            forecast_context.forecast_context,
            costs_context.costs_context,
            policy_context.autopilot_context,
        ]
    )


FEATURE = Feature("autopilot", setup, needs=("energy", "withdrawals"), before=("alerts",))
