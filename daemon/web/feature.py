"""The web feature: the end user's status page and its embeddable widget."""

from __future__ import annotations

from aiohttp import web

from daemon import keys
from daemon.alerts.context import alerts_state
from daemon.db.types import Connection
from daemon.energy.runtime import energy_runtime
from daemon.feature import Feature, add_endpoints
from daemon.web.status_page import QueueWait, new_page_state, page_state, status_page_endpoints
from daemon.withdrawals import queue_service
from daemon.withdrawals.deps import WithdrawalDeps, withdrawal_deps


def setup(app: web.Application) -> None:
    """Install the page's state and, unless `status_page.enabled` is false, its routes."""
    settings = app[keys.settings].status_page
    deps = app.get(withdrawal_deps)
    queue_wait = _queue_wait(deps) if deps is not None else None
    app[page_state] = new_page_state(settings, app[energy_runtime].holder, app[keys.runtime], queue_wait)
    app.on_startup.append(_alerts_clock)
    add_endpoints(app, status_page_endpoints(settings))


def _queue_wait(deps: WithdrawalDeps) -> QueueWait:
    """The withdrawal queue's own estimator."""

    async def wait(conn: Connection, energy_ahead: int, required: int) -> int | None:
        return await queue_service.wait_seconds(conn, deps, energy_ahead, required)

    return wait


async def _alerts_clock(app: web.Application) -> None:
    """Maintenance windows are timed on the alerts' clock (set up after this feature)."""
    alerts = app.get(alerts_state)
    if alerts is not None:
        app[page_state].notices.clock = lambda: alerts.clock()


# It reads the energy snapshot and estimates waits with the withdrawal queue's estimator.
FEATURE = Feature("web", setup, needs=("energy", "withdrawals"))
