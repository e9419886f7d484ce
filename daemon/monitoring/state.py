"""Per-app monitoring state: the hub, the current snapshot and this replica's latest figures."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiohttp import web

from daemon.monitoring.bus import Publisher
from daemon.monitoring.hub import Hub
from daemon.monitoring.settings import MonitoringSettings
from daemon.monitoring.snapshot import MonitoringSnapshot, ReplicaFigures


def replica_name() -> str:
    """host:pid:random, unique per process start."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(2)}"


@dataclass
class MonitoringState:
    """What the collector writes and the stream, the admin API and the alert readers read."""

    settings: MonitoringSettings
    hub: Hub
    publisher: Publisher
    replica: str
    current: MonitoringSnapshot | None = None
    current_message: str | None = None  # `current` as a metrics_update, serialised once
    local: ReplicaFigures | None = None
    leading: bool = False
    arrived: asyncio.Event = field(default_factory=asyncio.Event)  # set by the first snapshot

    def adopt(self, snap: MonitoringSnapshot, text: str) -> bool:
        """Make a received snapshot current; False for an older one (NOTIFY and table reads may race)."""
        if self.current is not None and snap.collected_at <= self.current.collected_at:
            return False
        self.current, self.current_message = snap, text
        self.arrived.set()
        return True

    def fresh(self) -> MonitoringSnapshot | None:
        """The current snapshot unless it is older than three collection intervals."""
        snap = self.current
        if snap is None:
            return None
        age = (datetime.now(UTC) - snap.collected_at).total_seconds()
        return snap if age <= 3 * self.settings.collect_interval else None


monitoring_state = web.AppKey("monitoring_state", MonitoringState)
