"""The system collector: every replica measures itself; the lease holder adds shared figures and publishes."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import UTC, datetime

import aiohttp
from pydantic import ValidationError

from daemon.db.errors import DB_ERRORS
from daemon.db.types import Connection
from daemon.jobs import Job
from daemon.monitoring import repo
from daemon.monitoring.api_window import ApiWindow
from daemon.monitoring.bus import METRICS_REF, fits
from daemon.monitoring.deps import MonitoringDeps
from daemon.monitoring.snapshot import (
    ApiFigures,
    DbFigures,
    EnergyFigures,
    MonitoringSnapshot,
    PartnerFigures,
    ReplicaFigures,
    TransactionFigures,
    merge_api,
    merge_db,
    metrics_message,
)

log = logging.getLogger(__name__)
PRUNE_EVERY = 240  # cycles
FORGET_REPLICAS_AFTER = 3600.0


def _probe_url(deps: MonitoringDeps) -> str | None:
    configured = deps.state.settings.probe_url
    if configured:
        return configured
    address = deps.runtime.listen_address
    if address is None:
        return None
    # A wildcard listener is reached through loopback.
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(address[0], address[0])  # noqa: S104
    return f"http://[{host}]:{address[1]}/healthz" if ":" in host else f"http://{host}:{address[1]}/healthz"


class Collector:
    """One loop per replica: own figures every interval; when leading, the shared snapshot as well."""

    def __init__(self, deps: MonitoringDeps, session: aiohttp.ClientSession) -> None:
        self.deps = deps
        self.state = deps.state
        self.session = session
        self.window = ApiWindow(deps.metrics.http_duration)
        self.wake = asyncio.Event()
        self.cycles = 0

    def job(self) -> Job:
        """`monitoring-collect` (every replica); no backoff: without the database its clients still
        get this replica's own figures every interval."""
        interval = self.state.settings.collect_interval
        return Job("monitoring-collect", self.cycle, interval=interval, backoff_max=interval, wake=self.wake)

    async def cycle(self) -> None:
        """Measure this replica, store its figures, and publish the snapshot if this replica leads."""
        figures = await self.replica_figures()
        self.state.local = figures
        try:
            async with self.deps.runtime.pool.acquire() as conn:
                partner_api = json.dumps(self.deps.metrics.partner_traffic.buckets())
                await repo.save_replica(conn, self.state.replica, figures.model_dump_json(), partner_api)
                if self.state.leading:
                    await self.publish(conn, figures)
        except DB_ERRORS:
            self._local_fallback(figures)
            raise

    def _local_fallback(self, own: ReplicaFigures) -> None:
        """Without the database no snapshot arrives: this replica's clients get its own figures."""
        last = self.state.current
        if last is None:
            return
        age = (own.collected_at - last.collected_at).total_seconds()
        if age < 2 * self.state.settings.collect_interval:
            return  # the lease holder may still get through
        snap = last.model_copy(
            update={
                "collected_at": own.collected_at,
                "leader": own.replica,
                "source": "local",
                "api": own.api,
                "db": own.db,
                "replicas": [own],
            }
        )
        text = metrics_message(snap)
        if self.state.adopt(snap, text):
            self.state.hub.broadcast(text)

    async def replica_figures(self) -> ReplicaFigures:
        """Self-probe, the request window since the last cycle, and the database pool."""
        probe = await self._probe()
        api = self.window.read() or {}
        return ReplicaFigures(
            replica=self.state.replica,
            collected_at=datetime.now(UTC),
            api=ApiFigures(
                probe_ms=probe,
                requests=api.get("requests", 0),
                response_time_ms=api.get("response_time_ms"),
                p95_ms=api.get("p95_ms"),
                p99_ms=api.get("p99_ms"),
                error_rate=api.get("error_rate"),
            ),
            db=await self._db(),
        )

    async def _probe(self) -> float | None:
        url = _probe_url(self.deps)
        if url is None:
            return None
        timeout = aiohttp.ClientTimeout(total=self.state.settings.probe_timeout)
        start = time.perf_counter()
        try:
            async with self.session.get(url, timeout=timeout) as resp:
                await resp.read()
                ok = resp.status == 200
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("self-probe failed url=%s error=%r", url, exc)
            return None
        if not ok:
            log.warning("self-probe failed url=%s status=%s", url, resp.status)
            return None
        return 1000 * (time.perf_counter() - start)

    async def _db(self) -> DbFigures:
        pool = self.deps.runtime.pool
        # Sizes first: the check's own connection is not load.
        size, idle, most = pool.get_size(), pool.get_idle_size(), pool.get_max_size()
        wait = self.state.settings.probe_timeout
        try:
            async with pool.acquire(timeout=wait) as conn:
                start = time.perf_counter()
                await conn.fetchval("SELECT 1", timeout=wait)
                latency = 1000 * (time.perf_counter() - start)
        except DB_ERRORS as exc:
            log.warning("database check failed error=%s", type(exc).__name__)
            return DbFigures(up=False, pool_busy=size - idle, pool_idle=idle, pool_max=most)
        return DbFigures(up=True, latency_ms=latency, pool_busy=size - idle, pool_idle=idle, pool_max=most)

    async def publish(self, conn: Connection, own: ReplicaFigures) -> None:
        """Build the shared snapshot, store it, and NOTIFY every replica (all in one transaction)."""
        interval = self.state.settings.collect_interval
        replicas = [own]
        for row in await repo.live_replicas(conn, 3 * interval):
            if row["replica"] == own.replica:
                continue
            try:
                replicas.append(ReplicaFigures.model_validate_json(row["figures"]))
            except ValidationError:  # a replica of another version: its figures are left out
                log.warning("replica figures unreadable replica=%s", row["replica"])
        partners, partner_keys = await repo.active_partners(conn)
        tx = await repo.transaction_counts(conn)
        snap = MonitoringSnapshot(
            collected_at=datetime.now(UTC),
            interval_seconds=interval,
            leader=own.replica,
            api=merge_api([r.api for r in replicas]),
            db=merge_db([r.db for r in replicas]),
            energy=self._energy(),
            partners=PartnerFigures(active_24h=partners, keys_used_24h=partner_keys),
            transactions=TransactionFigures(
                queued_last_hour=tx["queued"],
                emergency_last_hour=tx["emergency"],
                queue_waiting=tx["waiting"],
                emergency_open=tx["emergency_open"],
            ),
            replicas=sorted(replicas, key=lambda r: r.replica),
        )
        text = metrics_message(snap)
        async with conn.transaction():
            await repo.save_snapshot(conn, text, snap.collected_at)
            await repo.notify(conn, text if fits(text) else METRICS_REF)
        self.cycles += 1
        if self.cycles % PRUNE_EVERY == 1:
            await repo.prune_replicas(conn, FORGET_REPLICAS_AFTER)

    def _energy(self) -> EnergyFigures | None:
        energy = self.deps.energy
        if energy is None:
            return None
        snap = energy.current
        t = snap.totals
        if not t.pools:
            return None
        return EnergyFigures(
            level=snap.level,
            pools=t.pools,
            pools_up=t.pools_up,
            energy_available=t.energy_available,
            energy_limit=t.energy_limit,
            energy_used=t.energy_used,
            usage_ratio=t.usage_ratio,
            daily_consumption=t.daily_consumption,
            stale=snap.stale(),
        )
