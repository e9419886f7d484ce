"""SLA breach log lines; new tickets and admin replies go through the alerts outbox (notify_outbox)."""

from __future__ import annotations

import logging
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Notifier(Protocol):
    """Called by the SLA job after breaches committed (operators route breaches with the tickets.* rules)."""

    async def sla_breached(self, breaches: list[dict[str, Any]]) -> None:
        """Tickets just missed a deadline."""


class LogNotifier:
    """Breaches as log lines (ids and enums only: ticket text may hold anything)."""

    async def sla_breached(self, breaches: list[dict[str, Any]]) -> None:
        """Log one `notify support_team sla_breached` line per ticket."""
        for b in breaches:
            which = "+".join(k for k in ("first_response", "resolution") if b[k])
            log.warning(
                "notify to=support_team event=sla_breached ticket_id=%d partner_id=%d priority=%s "
                "deadline=%s",
                b["id"],
                b["partner_id"],
                b["priority"],
                which,
            )
