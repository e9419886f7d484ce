"""GET /api/v1/admin/monitoring/metrics: the current system snapshot."""

from __future__ import annotations

from aiohttp import web

from daemon.http.endpoints import Endpoint, json_response
from daemon.monitoring.snapshot import MonitoringSnapshot
from daemon.monitoring.state import monitoring_state
from daemon.monitoring.ws_routes import Unavailable, ws_endpoints
from daemon.tasks import wait_event

FIRST_SNAPSHOT_WAIT = 2.0


async def monitoring_metrics(request: web.Request) -> web.Response:
    """The snapshot the stream last sent."""
    state = request.app[monitoring_state]
    if state.current is None:  # just started: the lease holder publishes its first snapshot at once
        await wait_event(state.arrived, FIRST_SNAPSHOT_WAIT)
    snap = state.current
    if snap is None:
        raise Unavailable("no system snapshot has been collected yet; retry after one collect_interval")
    return json_response(snap)


def monitoring_endpoints() -> list[Endpoint]:
    """The snapshot and the live stream."""
    return [
        Endpoint(
            "GET",
            "/api/v1/admin/monitoring/metrics",
            monitoring_metrics,
            "admin",
            "System snapshot: API, database, energy, partners, transactions, replicas",
            "monitoring",
            response=MonitoringSnapshot,
            errors=(503,),
        ),
        *ws_endpoints(),
    ]
