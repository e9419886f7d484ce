"""`log`: notifications written to the log (demo mode, and a safe default)."""

from __future__ import annotations

import logging
from typing import Any

from daemon.alerts.channels.base import Outcome, Sessions
from daemon.alerts.channels.text import title
from daemon.alerts.escape import quoted
from daemon.alerts.settings import LogReceiver

log = logging.getLogger("daemon.alerts.notify")


class LogChannel:
    """Always succeeds."""

    max_batch = 100

    def __init__(self, receiver: LogReceiver) -> None:
        self.receiver = receiver
        self.rate_key = f"log:{receiver.name}"

    async def send(self, rows: list[dict[str, Any]], sessions: Sessions) -> Outcome:
        """Log each notification."""
        for row in rows:
            # Quoted: a value cannot add lines or key=value pairs of its own to the log.
            text = quoted(title(row["payload"], self.receiver.language))
            log.info("alert id=%s title=%s", row["notification_id"], text)
        return Outcome("sent")
