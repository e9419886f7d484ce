"""What rules can name: declared namespaces with typed fields, and one snapshot of their values per cycle."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from daemon.alerts.expr import Kind
from daemon.energy.delegations import next_expiry
from daemon.energy.snapshot import EnergySnapshot, PoolView

SUN_PER_TRX = 1_000_000
Values = dict[str, Any]


@dataclass(frozen=True)
class Namespace:
    """A namespace: its fields and their kinds; `per_instance` ones are what `for_each` iterates."""

    name: str
    fields: Mapping[str, Kind]
    per_instance: bool = False
    doc: str = ""


@dataclass(frozen=True)
class Snapshot:
    """One evaluation's values: shared namespaces, and the instances of each per-instance namespace."""

    shared: dict[str, Values]
    # None: the list itself is unknown (e.g. pools not read yet after a start): instances keep their state.
    instances: dict[str, list[Values] | None] = field(default_factory=dict)
    at: float = 0.0
    envs: dict[str, list[tuple[Any, dict[str, Any]]]] = field(default_factory=dict, compare=False)


NUM: Kind = "number"
POOL = Namespace(
    "pool",
    {
        "name": "str",
        "id": NUM,
        "up": "bool",
        "enabled": "bool",
        "status": "str",
        "energy_limit": NUM,
        "energy_used": NUM,
        "energy_available": NUM,
        "usage_ratio": NUM,
        "usage_percentage": NUM,
        "available_percentage": NUM,
        "frozen_trx": NUM,
        "balance_trx": NUM,
        "daily_consumption": NUM,
        "runway_seconds": NUM,
        "scrape_age_seconds": NUM,
        "acquired_energy": NUM,
        "delegated_out_energy": NUM,
        "reclaimed_energy_1h": NUM,
        "delegation_expires_in_seconds": NUM,
        "shortage_forecast_seconds": NUM,
    },
    per_instance=True,
    doc="one energy pool (use with for_each: pool)",
)
ENERGY = Namespace(
    "energy",
    {
        "available": NUM,
        "limit": NUM,
        "used": NUM,
        "usage_ratio": NUM,
        "usage_percentage": NUM,
        "available_percentage": NUM,
        "level": "str",
        "pools": NUM,
        "pools_up": NUM,
        "energy_fee_sun": NUM,
        "emergency_fee_trx": NUM,
        "stale": "bool",
        "data_age_seconds": NUM,
        "shortage_forecast_seconds": NUM,
        "warning": NUM,
        "critical": NUM,
        "emergency": NUM,
    },
    doc="totals over the enabled pools; warning/critical/emergency: the configured usage thresholds",
)
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
QUEUE = Namespace(
    "queue",
    {"waiting": NUM, "oldest_wait_minutes": NUM},
    doc="withdrawals waiting for energy (as of the last queue gauge refresh)",
)
SECURITY = Namespace(
    "security",
    {
        "events_last_5m": NUM,
        "severe_last_5m": NUM,
        "failed_auth_last_5m": NUM,
        "blocked_ips": NUM,
        "sql_injection_last_5m": NUM,
        "xss_last_5m": NUM,
        "path_traversal_last_5m": NUM,
        "multiple_failed_auth_last_5m": NUM,
        "unauthorized_access_last_5m": NUM,
        "rate_limit_exceeded_last_5m": NUM,
    },
    doc="security events of every replica over the last five minutes (registered by daemon.monitoring)",
)
PARTNER = Namespace(
    "partner",
    {
        "name": "str",
        "id": NUM,
        "webhook": "bool",
        "waiting": NUM,
        "oldest_wait_seconds": NUM,
        "emergency_pending": NUM,
        "rate_limited_last_5m": NUM,
        "security_events_last_5m": NUM,
        "tickets_open": NUM,
        "tickets_sla_breached": NUM,
        "requests_last_5m": NUM,
        "errors_last_5m": NUM,
        "error_rate_last_5m": NUM,
    },
    per_instance=True,
    doc="one partner (use with for_each: partner; read from the database before each evaluation; "
    "requests/errors: its API calls and 5xx answers on every live replica)",
)
AUTOPILOT = Namespace(
    "autopilot",
    {
        "mode": "str",
        "budget_remaining_delegate_energy": NUM,
        "budget_remaining_stake_trx": NUM,
        "budget_exhausted": NUM,
        "pools_short": NUM,
        "uncovered": NUM,
        "failed_last_1h": NUM,
    },
    doc="the energy autopilot's last cycle on the leader (daemon/autopilot)",
)
BUILTIN = (POOL, ENERGY, QUEUE, TICKETS, DB, TRON, API, SECURITY, PARTNER, AUTOPILOT)


class Registry:
    """The declared namespaces and, for each, the function that reads its values."""

    def __init__(self) -> None:
        self.namespaces: dict[str, Namespace] = {}
        self.readers: dict[str, Callable[[], Values | list[Values] | None]] = {}
        # Awaited with a connection before each evaluation's snapshot (values that live in the database).
        self.refreshers: list[Callable[[Any], Awaitable[None]]] = []

    def register(self, ns: Namespace, reader: Callable[[], Values | list[Values] | None]) -> None:
        """Declare a namespace (per-instance readers return one dict per instance)."""
        self.namespaces[ns.name] = ns
        self.readers[ns.name] = reader

    def fields(self) -> dict[str, Mapping[str, Kind]]:
        """namespace -> field -> kind, what the compiler checks names against."""
        return {name: ns.fields for name, ns in self.namespaces.items()}

    def snapshot(self) -> Snapshot:
        """Read every namespace once; a reader that fails leaves its namespace empty (no_data)."""
        shared: dict[str, Values] = {}
        instances: dict[str, list[Values] | None] = {}
        for name, read in self.readers.items():
            try:
                got = read()
            except Exception:  # a broken reader must not stop the other rules; its names read as no_data
                got = None
            if self.namespaces[name].per_instance:
                instances[name] = got if isinstance(got, list) else None
            else:
                shared[name] = got if isinstance(got, dict) else {}
        return Snapshot(shared, instances, time.time())


def pool_values(p: PoolView, now: float) -> Values:
    """`pool.*` of one pool."""
    known = p.has_data
    expiry = next_expiry(p.delegations)
    return {
        "name": p.name,
        "id": p.id,
        "up": p.up,
        "enabled": p.enabled,
        "status": p.status,
        "energy_limit": p.energy_limit if known else None,
        "energy_used": p.energy_used if known else None,
        "energy_available": p.energy_available if known else None,
        "usage_ratio": p.usage_ratio if known else None,
        "usage_percentage": 100.0 * p.usage_ratio if known else None,
        "available_percentage": 100.0 * (1 - p.usage_ratio) if known else None,
        "frozen_trx": p.frozen_sun / SUN_PER_TRX if known else None,
        "balance_trx": p.balance_sun / SUN_PER_TRX if known else None,
        "daily_consumption": p.daily_consumption,
        "runway_seconds": p.runway_seconds,
        "scrape_age_seconds": now - p.last_scraped_at.timestamp() if p.last_scraped_at else None,
        "acquired_energy": p.acquired_energy if known else None,
        "delegated_out_energy": p.delegated_out_energy if known else None,
        "reclaimed_energy_1h": p.reclaimed_energy_1h if known else None,
        "delegation_expires_in_seconds": _until(expiry, p, now),
    }


def _until(when: datetime | None, p: PoolView, now: float) -> float | None:
    """Chain seconds from now until `when` (the earliest lock end); negative once reclaimable."""
    if when is None or p.chain_time is None or p.last_scraped_at is None:
        return None
    # Chain time of the reading plus the wall time since: right on mainnet and on a fast devnode clock.
    return (when - p.chain_time).total_seconds() - (now - p.last_scraped_at.timestamp())


def energy_values(s: EnergySnapshot, now: float) -> Values:
    """`energy.*` from the snapshot's totals; no pools read yet means no data."""
    t = s.totals
    warning, critical, emergency = s.thresholds
    levels = {"warning": warning, "critical": critical, "emergency": emergency}
    if not t.pools:
        return {"pools": 0, "pools_up": 0, "stale": s.stale(now), "level": s.level, **levels}
    return {
        **levels,
        "available": t.energy_available,
        "limit": t.energy_limit,
        "used": t.energy_used,
        "usage_ratio": t.usage_ratio,
        "usage_percentage": 100.0 * t.usage_ratio,
        "available_percentage": t.available_percentage,
        "level": s.level,
        "pools": t.pools,
        "pools_up": t.pools_up,
        "energy_fee_sun": s.energy_fee_sun,
        "emergency_fee_trx": float(s.quote.total_trx) if s.quote is not None else None,
        "stale": s.stale(now),
        "data_age_seconds": now - s.data_time.timestamp() if s.data_time else None,
    }
