"""The one system snapshot: what the WebSocket, the admin API and the alert rules read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Figures(BaseModel):
    model_config = ConfigDict(frozen=True)


class ApiFigures(_Figures):
    """HTTP API over the last collection interval (probe, health and metrics routes excluded)."""

    probe_ms: float | None = Field(None, description="a real GET /healthz through the HTTP stack")
    requests: float = 0
    response_time_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    error_rate: float | None = Field(None, description="5xx share, 0–1")


class DbFigures(_Figures):
    """Database pool and round trip."""

    up: bool
    latency_ms: float | None = Field(None, description="SELECT 1 round trip")
    pool_busy: int = 0
    pool_idle: int = 0
    pool_max: int = 0


class ReplicaFigures(_Figures):
    """One replica's own figures."""

    replica: str
    collected_at: datetime
    api: ApiFigures
    db: DbFigures


class EnergyFigures(_Figures):
    """Totals over the enabled pools, from the pools snapshot."""

    level: str
    pools: int
    pools_up: int
    energy_available: int
    energy_limit: int
    energy_used: int
    usage_ratio: float
    daily_consumption: int | None
    stale: bool


class PartnerFigures(_Figures):
    """Partners whose keys were used in the last 24 hours."""

    active_24h: int
    keys_used_24h: int


class TransactionFigures(_Figures):
    """Queue and emergency withdrawals."""

    queued_last_hour: int
    emergency_last_hour: int
    queue_waiting: int
    emergency_open: int


class MonitoringSnapshot(_Figures):
    """Shared figures from the collector's lease holder, plus every live replica's own."""

    collected_at: datetime
    interval_seconds: float
    leader: str
    source: Literal["leader", "local"] = Field(
        "leader", description="local: the database is unreachable; this replica's own figures only"
    )
    api: ApiFigures = Field(description="over every replica: sums, weighted means, worst quantiles")
    db: DbFigures
    energy: EnergyFigures | None
    partners: PartnerFigures
    transactions: TransactionFigures
    replicas: list[ReplicaFigures]


def merge_api(figures: list[ApiFigures]) -> ApiFigures:
    """Cluster-wide API figures: quantiles cannot be merged exactly, so the worst replica's are kept."""
    total = sum(f.requests for f in figures)

    def worst(values: list[float | None]) -> float | None:
        known = [v for v in values if v is not None]
        return max(known) if known else None

    def weighted(values: list[tuple[float | None, float]]) -> float | None:
        known = [(v, n) for v, n in values if v is not None and n > 0]
        weight = sum(n for _, n in known)
        return sum(v * n for v, n in known) / weight if weight else None

    return ApiFigures(
        probe_ms=worst([f.probe_ms for f in figures]),
        requests=total,
        response_time_ms=weighted([(f.response_time_ms, f.requests) for f in figures]),
        p95_ms=worst([f.p95_ms for f in figures]),
        p99_ms=worst([f.p99_ms for f in figures]),
        error_rate=weighted([(f.error_rate, f.requests) for f in figures]),
    )


def merge_db(figures: list[DbFigures]) -> DbFigures:
    """Cluster-wide pool figures (sums) and the slowest round trip."""
    latencies = [f.latency_ms for f in figures if f.latency_ms is not None]
    return DbFigures(
        up=bool(figures) and all(f.up for f in figures),
        latency_ms=max(latencies) if latencies else None,
        pool_busy=sum(f.pool_busy for f in figures),
        pool_idle=sum(f.pool_idle for f in figures),
        pool_max=sum(f.pool_max for f in figures),
    )


def iso_now() -> str:
    """The wall clock as RFC 3339 UTC."""
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def message(kind: str, data: Any) -> str:
    """A stream message, serialised once: {"type", "data", "timestamp"}."""
    return json.dumps(
        {"type": kind, "data": data, "timestamp": iso_now()}, separators=(",", ":"), default=str
    )


def metrics_message(snap: MonitoringSnapshot) -> str:
    """The `metrics_update` message of a snapshot (the model serialises itself once)."""
    stamp = json.dumps(iso_now())
    return f'{{"type":"metrics_update","data":{snap.model_dump_json()},"timestamp":{stamp}}}'
