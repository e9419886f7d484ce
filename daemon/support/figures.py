"""The `tickets.*` figures: what alert rules and gauges read about unresolved tickets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from daemon.db.types import Connection
from daemon.support import repo
from daemon.support.models import PRIORITIES, Priority


@dataclass(frozen=True)
class TicketFigures:
    """Unresolved tickets (open, in_progress, pending) as of `at`."""

    open_by_priority: dict[Priority, int] = field(default_factory=lambda: dict.fromkeys(PRIORITIES, 0))
    sla_breached: int = 0
    oldest_unanswered_minutes: float = 0.0
    at: datetime | None = None

    @property
    def open_critical(self) -> int:
        """Unresolved critical tickets."""
        return self.open_by_priority["critical"]

    def namespace(self) -> dict[str, float]:
        """The values under `tickets.` for the rule engine (issue 6): flat names, numbers only."""
        out: dict[str, float] = {
            "open": float(sum(self.open_by_priority.values())),
            "open_critical": float(self.open_critical),
            "sla_breached": float(self.sla_breached),
            "oldest_unanswered_minutes": self.oldest_unanswered_minutes,
        }
        out |= {f"open_{p}": float(n) for p, n in self.open_by_priority.items()}
        return out


async def ticket_figures(conn: Connection, now: datetime) -> TicketFigures:
    """Read the figures with one aggregate over the unresolved tickets (a partial index)."""
    counts = dict.fromkeys(PRIORITIES, 0)
    breached, oldest = 0, None
    for r in await repo.active_figures(conn):
        counts[r["priority"]] = r["open"]
        breached += r["breached"]
        if r["awaiting"] is not None and (oldest is None or r["awaiting"] < oldest):
            oldest = r["awaiting"]
    minutes = max(0.0, (now - oldest).total_seconds() / 60) if oldest is not None else 0.0
    return TicketFigures(counts, breached, minutes, now)


class FiguresHolder:
    """The latest figures of this replica, refreshed by the support context."""

    def __init__(self) -> None:
        self.current = TicketFigures()
