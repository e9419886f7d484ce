"""The energy feature: the snapshot holder and pool metrics, status and admin routes, scraper and follower."""

from __future__ import annotations

from functools import partial

from aiohttp import web

from daemon import keys
from daemon.alerts.platform import platform
from daemon.energy import alert_namespaces, metrics
from daemon.energy.admin_routes import energy_admin_endpoints
from daemon.energy.context import energy_context
from daemon.energy.runtime import energy_runtime, new_runtime
from daemon.energy.status_routes import forecast_lookup, status_endpoints
from daemon.feature import Feature, add_endpoints


def setup(app: web.Application) -> None:
    """Install the energy runtime, its metrics and alert namespaces, routes and cleanup context."""
    app[energy_runtime] = new_runtime(app[keys.settings].energy)
    metrics.register(app[keys.metrics].registry, app[energy_runtime].holder)
    alert_namespaces.register(platform(app), app[energy_runtime].holder, partial(_forecast, app))
    add_endpoints(app, [*status_endpoints(), *energy_admin_endpoints()])
    app.cleanup_ctx.append(energy_context)


def _forecast(app: web.Application, pool_id: int | None) -> float | None:
    """The autopilot's forecast for a pool (None: the pools as one), or None without the autopilot."""
    lookup = app.get(forecast_lookup)  # set by the autopilot package, after this one
    return lookup(pool_id) if lookup is not None else None


FEATURE = Feature("energy", setup, before=("alerts",))
