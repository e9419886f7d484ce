"""`tickets.*` for the alert rules: declared and read by the support package."""

from __future__ import annotations

from daemon.alerts.namespaces import NUM, Namespace, Values
from daemon.alerts.platform import Platform
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


def register(platform: Platform, figures: FiguresHolder) -> None:
    """Let rules name `tickets.*`, read from this replica's latest ticket figures."""

    def tickets() -> Values:
        return dict(figures.current.namespace())

    platform.add_namespace(TICKETS, tickets)
