"""What the monitoring services use of the running app, handed to them by the wiring."""

from __future__ import annotations

from dataclasses import dataclass

from daemon.energy.snapshot import SnapshotHolder
from daemon.metrics import AppMetrics
from daemon.monitoring.state import MonitoringState
from daemon.runtime import Runtime


@dataclass(frozen=True)
class MonitoringDeps:
    """The collector's and the `db.*` / `tron.*` / `api.*` readers' dependencies."""

    state: MonitoringState
    runtime: Runtime  # its pool and listen address are set once the app starts
    metrics: AppMetrics
    energy: SnapshotHolder | None = None  # None without the energy feature
