"""What the support routes and jobs of one app share: the state and its app key."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiohttp import web

from daemon.alerts.settings import AlertsSettings
from daemon.runtime import Runtime
from daemon.support.classify import Rules
from daemon.support.figures import FiguresHolder
from daemon.support.metrics import SupportMetrics
from daemon.support.notify import Notifier
from daemon.support.settings import SupportSettings

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The wall clock, timezone-aware."""
    return datetime.now(UTC)


@dataclass
class SupportState:
    """Everything the support routes and jobs of one app share."""

    settings: SupportSettings
    rules: Rules
    clock: Clock
    notifier: Notifier
    metrics: SupportMetrics
    figures: FiguresHolder
    runtime: Runtime  # its pool is set once the app starts
    alerts: AlertsSettings  # the default receivers and the external URL for links
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def touched(self) -> None:
        """A ticket changed here: refresh the figures soon."""
        self.changed.set()


support_state = web.AppKey("support_state", SupportState)
