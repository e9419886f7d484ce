"""Where each namespace's values come from in a running app (one read per evaluation)."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from daemon import keys
from daemon.alerts.namespaces import (
    API,
    DB,
    ENERGY,
    PARTNER,
    POOL,
    QUEUE,
    TICKETS,
    TRON,
    Registry,
    Values,
    energy_values,
    pool_values,
)
from daemon.alerts.partners import PartnerFigures
from daemon.energy.runtime import energy_runtime
from daemon.energy.status_routes import forecast_lookup


def app_registry(app: web.Application) -> Registry:
    """The built-in namespaces, read from this app's runtime and metrics."""
    runtime = app[keys.runtime]
    reg = Registry()

    def forecast(pool_id: int | None) -> float | None:
        lookup = app.get(forecast_lookup)  # set by the autopilot package
        return lookup(pool_id) if lookup is not None else None

    def pools() -> list[Values] | None:
        energy, now = app.get(energy_runtime), time.time()
        if energy is None:
            return []
        current = energy.holder.current
        if not current.pools and current.serial == 0:
            return None  # nothing loaded yet after a start: not "every pool is gone"
        return [
            pool_values(p, now) | {"shortage_forecast_seconds": forecast(p.id)}
            for p in current.pools
            if p.enabled
        ]

    def energy() -> Values | None:
        rt = app.get(energy_runtime)
        if rt is None:
            return None
        values = energy_values(rt.holder.current, time.time())
        return values | {"shortage_forecast_seconds": forecast(None)} if "limit" in values else values

    def db() -> Values:
        pool = runtime.pool
        up = app[keys.metrics].registry.get_sample_value("tronwatch_db_up")
        out: Values = {"up": bool(up) if up is not None else None}
        if pool is not None:
            out |= {"pool_in_use": pool.get_size() - pool.get_idle_size(), "pool_max": pool.get_max_size()}
        return out | _snapshot_db(app)

    def tron() -> Values | None:
        health = runtime.chain_health
        if health is None:
            return None
        age = time.monotonic() - health.last_ok if health.last_ok is not None else math.inf
        return {"up": health.fresh(), "head_block": health.head_block, "head_age_seconds": age}

    def tickets() -> Values | None:
        from daemon.support.context import support_state  # optional package: absent in slim builds

        state = app.get(support_state)
        return dict(state.figures.current.namespace()) if state is not None else None

    def queue() -> Values | None:
        registry = app[keys.metrics].registry
        waiting = registry.get_sample_value("tronwatch_queue_waiting")
        oldest = registry.get_sample_value("tronwatch_queue_oldest_wait_seconds")
        if waiting is None or oldest is None:
            return None
        return {"waiting": waiting, "oldest_wait_minutes": oldest / 60}

    reg.register(POOL, pools)
    reg.register(QUEUE, queue)
    reg.register(ENERGY, energy)
    reg.register(TICKETS, tickets)
    reg.register(DB, db)
    reg.register(TRON, tron)
    partners = PartnerFigures(lambda: datetime.now(UTC), lambda: _live_replicas_within(app))
    reg.register(PARTNER, partners.read)
    reg.refreshers.append(partners.refresh)
    window = ApiWindow(app)
    reg.register(API, lambda: _api(app, window))
    return reg


def _fresh_snapshot(app: web.Application) -> Any:
    from daemon.monitoring.state import monitoring_state  # optional package

    state = app.get(monitoring_state)
    return state.fresh() if state is not None else None


def _live_replicas_within(app: web.Application) -> float:
    """Seconds within which a replica's stored figures count (as in the snapshot's merge); 0 without them."""
    from daemon.monitoring.state import monitoring_state  # optional package

    state = app.get(monitoring_state)
    return 3 * state.settings.collect_interval if state is not None else 0.0


def _snapshot_db(app: web.Application) -> Values:
    """`db.latency_ms` (slowest replica) and `db.pool_idle` from the system snapshot."""
    snap = _fresh_snapshot(app)
    return {"latency_ms": snap.db.latency_ms, "pool_idle": snap.db.pool_idle} if snap is not None else {}


def _api(app: web.Application, window: ApiWindow) -> Values | None:
    """Every replica's traffic from the system snapshot; this replica's own window when there is none."""
    own = window.read()  # read even when unused, so a fallback covers only the time since the last read
    snap = _fresh_snapshot(app)
    if snap is None:
        return own
    return {k: v for k, v in snap.api.model_dump().items() if v is not None}


class ApiWindow:
    """`api.*` over the time since the previous read, from the HTTP histogram's cumulative buckets."""

    # Scrapes, probes and WebSocket lifetimes are not API traffic (as in the monitoring collector).
    EXCLUDE = ("/metrics", "/healthz", "/readyz", "/ws/monitoring")

    def __init__(self, app: web.Application) -> None:
        self.metrics = app[keys.metrics]
        self.prev: tuple[dict[float, float], float, float, float] | None = None

    def _totals(self) -> tuple[dict[float, float], float, float, float]:
        buckets: dict[float, float] = {}
        total = count = errors = 0.0
        for family in self.metrics.http_duration.collect():
            for s in family.samples:
                if s.labels.get("route") in self.EXCLUDE:
                    continue
                if s.name.endswith("_bucket"):
                    le = float(s.labels["le"])
                    buckets[le] = buckets.get(le, 0.0) + s.value
                elif s.name.endswith("_sum"):
                    total += s.value
                elif s.name.endswith("_count"):
                    count += s.value
                    if s.labels.get("status", "").startswith("5"):
                        errors += s.value
        return buckets, total, count, errors

    def read(self) -> Values | None:
        """Mean and p95/p99 in ms, error rate 0–1; no data when there were no requests."""
        now = self._totals()
        prev, self.prev = self.prev, now
        if prev is None:
            return None
        count = now[2] - prev[2]
        if count <= 0:
            return {"requests": 0}
        deltas = sorted((le, now[0][le] - prev[0].get(le, 0.0)) for le in now[0])
        return {
            "requests": count,
            "response_time_ms": 1000 * (now[1] - prev[1]) / count,
            "p95_ms": 1000 * _quantile(0.95, deltas, count),
            "p99_ms": 1000 * _quantile(0.99, deltas, count),
            "error_rate": (now[3] - prev[3]) / count,
        }


def _quantile(q: float, buckets: list[tuple[float, float]], count: float) -> float:
    """histogram_quantile: linear interpolation inside the bucket holding the q-th observation."""
    rank, lower, below = q * count, 0.0, 0.0
    for le, cumulative in buckets:
        if cumulative >= rank:
            if math.isinf(le):
                return lower
            span = cumulative - below
            return lower + (le - lower) * ((rank - below) / span if span > 0 else 1.0)
        lower, below = le, cumulative
    return lower
