"""`tickets.*` for the alert rules: declared and read by the support package."""

from __future__ import annotations

from aiohttp import web

from daemon.alerts.namespaces import NUM, Namespace, Values
from daemon.alerts.platform import register_namespace
from daemon.support.figures import FiguresHolder

TICKETS = Namespace(
    "tickets",
    {
        "open": NUM,
        "open_critical": NUM,
        "open_high": NUM,
        "open_medium": NUM,
        "open_low": NUM,
        "sla_breached": NUM,
        "oldest_unanswered_minutes": NUM,
    },
    doc="unresolved support tickets",
)


def register(app: web.Application, figures: FiguresHolder) -> None:
    """Let rules name `tickets.*`, read from this replica's latest ticket figures."""

    def tickets() -> Values:
        return dict(figures.current.namespace())

    register_namespace(app, TICKETS, tickets)
