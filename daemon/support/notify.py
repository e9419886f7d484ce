"""Who hears about ticket activity. Until alert receivers exist (issue 6), a structured log line."""

from __future__ import annotations

import logging
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Notifier(Protocol):
    """Called after the change committed; an outbox-backed notifier replaces the log one with issue 6."""

    async def ticket_created(self, ticket: dict[str, Any]) -> None:
        """A partner opened a ticket: tell the support team."""

    async def admin_replied(self, ticket: dict[str, Any], message: dict[str, Any]) -> None:
        """An admin answered publicly: tell the partner."""

    async def sla_breached(self, breaches: list[dict[str, Any]]) -> None:
        """Tickets just missed a deadline: tell the support team."""


class LogNotifier:
    """Notifications as log lines (ids and enums only: ticket text may hold anything)."""

    async def ticket_created(self, ticket: dict[str, Any]) -> None:
        """Log `notify support_team ticket_created`."""
        log.info(
            "notify to=support_team event=ticket_created ticket_id=%d partner_id=%d priority=%s category=%s",
            ticket["id"],
            ticket["partner_id"],
            ticket["priority"],
            ticket["category"],
        )

    async def admin_replied(self, ticket: dict[str, Any], message: dict[str, Any]) -> None:
        """Log `notify partner admin_replied`."""
        log.info(
            "notify to=partner event=admin_replied ticket_id=%d partner_id=%d message_id=%d status=%s",
            ticket["id"],
            ticket["partner_id"],
            message["id"],
            ticket["status"],
        )

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
