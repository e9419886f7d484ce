"""`pool.*` and `energy.*` for the alert rules: declared and read by the energy package."""

from __future__ import annotations

import time
from datetime import datetime

from daemon.alerts.namespaces import NUM, Namespace, Values
from daemon.alerts.platform import Platform
from daemon.energy.delegations import next_expiry
from daemon.energy.snapshot import EnergySnapshot, PoolView, SnapshotHolder
from daemon.energy.status_routes import ForecastLookup

SUN_PER_TRX = 1_000_000
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


def register(platform: Platform, holder: SnapshotHolder, forecast: ForecastLookup) -> None:
    """Let rules name `pool.*` and `energy.*`, read from this app's snapshot holder (and `forecast`)."""

    def pools() -> list[Values] | None:
        current, now = holder.current, time.time()
        if not current.pools and current.serial == 0:
            return None  # nothing loaded yet after a start: not "every pool is gone"
        return [
            pool_values(p, now) | {"shortage_forecast_seconds": forecast(p.id)}
            for p in current.pools
            if p.enabled
        ]

    def energy() -> Values:
        values = energy_values(holder.current, time.time())
        return values | {"shortage_forecast_seconds": forecast(None)} if "limit" in values else values

    platform.add_namespace(POOL, pools)
    platform.add_namespace(ENERGY, energy)


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
