"""`db.*`, `tron.*`, `api.*` and `partner.*` for the alert rules: declared and read by the system monitor."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

from daemon.alerts.namespaces import NUM, Namespace, Values
from daemon.alerts.platform import Platform
from daemon.monitoring import partner_namespace
from daemon.monitoring.api_window import ApiWindow
from daemon.monitoring.deps import MonitoringDeps
from daemon.observability.values import gauge_value

DB = Namespace(
    "db",
    {"up": "bool", "pool_in_use": NUM, "pool_max": NUM, "latency_ms": NUM, "pool_idle": NUM},
    doc="the database (latency_ms: slowest replica's SELECT 1, from the system snapshot)",
)
TRON = Namespace(
    "tron",
    {"up": "bool", "head_block": NUM, "head_age_seconds": NUM},
    doc="the TRON node this replica talks to",
)
API = Namespace(
    "api",
    {
        "requests": NUM,
        "response_time_ms": NUM,
        "p95_ms": NUM,
        "p99_ms": NUM,
        "error_rate": NUM,
        "probe_ms": NUM,
    },
    doc="the HTTP API of every replica over the last monitoring collection (this replica's own traffic "
    "since the last evaluation while there is no fresh system snapshot); probe_ms: slowest self-probe",
)


def register(platform: Platform, deps: MonitoringDeps) -> None:
    """Let rules name `db.*`, `tron.*`, `api.*` and `partner.*`."""
    state, runtime, metrics = deps.state, deps.runtime, deps.metrics

    def db() -> Values:
        pool = runtime.pool
        out: Values = {"up": bool(gauge_value(metrics.db_up))}
        if pool is not None:
            out |= {"pool_in_use": pool.get_size() - pool.get_idle_size(), "pool_max": pool.get_max_size()}
        snap = state.fresh()  # latency_ms of the slowest replica, and pool_idle, from the system snapshot
        return out | ({"latency_ms": snap.db.latency_ms, "pool_idle": snap.db.pool_idle} if snap else {})

    def tron() -> Values | None:
        health = runtime.chain_health
        if health is None:
            return None
        age = time.monotonic() - health.last_ok if health.last_ok is not None else math.inf
        return {"up": health.fresh(), "head_block": health.head_block, "head_age_seconds": age}

    window = ApiWindow(metrics.http_duration)

    def api() -> Values | None:
        """Every replica's traffic from the system snapshot; this replica's own window when there is none."""
        own = window.read()  # read even when unused, so a fallback covers only the time since the last read
        snap = state.fresh()
        if snap is None:
            return own
        return {k: v for k, v in snap.api.model_dump().items() if v is not None}

    def live_within() -> float:
        # Seconds within which a replica's stored figures count (as in the snapshot's merge).
        return 3 * state.settings.collect_interval

    platform.add_namespace(DB, db)
    platform.add_namespace(TRON, tron)
    platform.add_namespace(API, api)
    partner_namespace.register(platform, lambda: datetime.now(UTC), live_within)
