"""Monitoring at run time: the collector, the LISTEN side of the stream, hooks into alerts and energy."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from functools import partial
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from pydantic import ValidationError

from daemon import keys
from daemon.alerts.context import alerts_state
from daemon.db.lease import LeaderLease
from daemon.energy.runtime import energy_runtime
from daemon.monitoring import repo
from daemon.monitoring.bus import DB_ERRORS, METRICS_REF, Listener, Publisher, fits
from daemon.monitoring.collector import Collector
from daemon.monitoring.hub import Hub
from daemon.monitoring.snapshot import MonitoringSnapshot, message
from daemon.monitoring.state import MonitoringState, monitoring_state, replica_name
from daemon.monitoring.ws_routes import UNAUTHORIZED
from daemon.tasks import stop_tasks

if TYPE_CHECKING:
    from daemon.alerts.evaluator import Cycle
    from daemon.energy.snapshot import EnergySnapshot

log = logging.getLogger(__name__)
_METRICS_PREFIX = '{"type":"metrics_update",'
ANNOTATION_CHARS = 500


def install(app: web.Application) -> MonitoringState:
    """State, stream metrics and hooks (no I/O); call after the alerts and energy runtimes exist."""
    settings = app[keys.settings].monitoring
    hub = Hub(settings.ws_queue_size, app[keys.metrics].registry)
    state = MonitoringState(settings, hub, Publisher(hub.broadcast), replica_name())
    app[monitoring_state] = state
    app.on_shutdown.append(_close_streams)
    energy = app.get(energy_runtime)
    if energy is not None:
        energy.holder.listeners.append(partial(energy_changed, state))
    if alerts_state in app:
        app[alerts_state].listeners.append(partial(alerts_changed, state))
        app[alerts_state].ack_listeners.append(partial(alert_acked, state))
    return state


async def _close_streams(app: web.Application) -> None:
    await app[monitoring_state].hub.close_all()


def received(state: MonitoringState, payload: str) -> None:
    """A message from any replica (this one included): adopt snapshots, forward everything."""
    if payload.startswith(_METRICS_PREFIX):
        try:
            snap = MonitoringSnapshot.model_validate(json.loads(payload)["data"])
        except (ValueError, KeyError, ValidationError):
            log.warning("unreadable snapshot message ignored")
            return
        if not state.adopt(snap, payload):
            return
    state.hub.broadcast(payload)


async def catch_up(app: web.Application) -> None:
    """The stored snapshot: after (re)connecting, or when NOTIFY could not carry it."""
    async with app[keys.runtime].pool.acquire() as conn:
        text = await repo.load_snapshot(conn)
    if text is not None:
        received(app[monitoring_state], text)


def energy_changed(
    state: MonitoringState, previous: EnergySnapshot, current: EnergySnapshot, local: bool
) -> None:
    """The scraping replica announces level changes to every replica (followers only copy its figures)."""
    if not local or not previous.totals.pools or previous.level == current.level:
        return
    t = current.totals
    data = {
        "level": current.level,
        "previous": previous.level,
        "usage_ratio": t.usage_ratio,
        "energy_available": t.energy_available,
        "energy_limit": t.energy_limit,
        "pools_up": t.pools_up,
    }
    state.publisher.publish_soon(message("energy_state", data))


def alerts_changed(state: MonitoringState, cycle: Cycle, now: float) -> None:
    """Instances that started firing or resolved in this evaluation, as alert_firing / alert_resolved."""
    for inst in cycle.changed:
        if inst.state == "firing" and inst.fired_at == now:
            kind = "alert_firing"
        elif inst.state == "inactive" and inst.resolved_at == now:
            kind = "alert_resolved"
        else:
            continue
        data = {
            "alertname": inst.rule,
            "fingerprint": inst.fingerprint,
            "labels": inst.labels,
            "annotations": {k: v[:ANNOTATION_CHARS] for k, v in inst.annotations.items()},
            "value": inst.value,
            "fired_at": inst.fired_at,
            "resolved_at": inst.resolved_at,
            "muted": inst.muted,
        }
        text = message(kind, data)
        if not fits(text):
            text = message(kind, {**data, "annotations": {}})
        state.publisher.publish_soon(text)


def alert_acked(state: MonitoringState, kind: str, data: dict[str, Any]) -> None:
    """An acknowledgement made (alert_acknowledged) or withdrawn (alert_unacknowledged) on this replica."""
    state.publisher.publish_soon(message(kind, {**data, "comment": data["comment"][:ANNOTATION_CHARS]}))


async def recheck_keys(state: MonitoringState, pool: Any, every: float) -> None:
    """Close streams whose key was revoked (as HTTP requests stop within the key cache's lifetime)."""
    while True:
        await asyncio.sleep(every)
        hashes = list({c.key_hash for c in state.hub.clients})
        if not hashes:
            continue
        try:
            async with pool.acquire(timeout=every) as conn:
                live = await repo.live_keys(conn, hashes)
        except DB_ERRORS as exc:
            log.warning("stream keys not rechecked error=%s", exc)
            continue
        for client in list(state.hub.clients):
            if client.key_hash not in live:
                log.info("ws client closed: key revoked client=%s", client.name)
                state.hub.close(client, UNAUTHORIZED, b"the API key was revoked")


async def _lead(state: MonitoringState, collector: Collector) -> None:
    state.leading = True
    collector.wake.set()  # publish at once, not an interval later
    try:
        await asyncio.Event().wait()
    finally:
        state.leading = False


async def monitoring_context(app: web.Application) -> AsyncIterator[None]:
    """Listener, publisher and collector on every replica; the shared snapshot on the lease holder."""
    state, settings, runtime = app[monitoring_state], app[keys.settings], app[keys.runtime]
    url = app[keys.database_url]
    session = aiohttp.ClientSession(trust_env=False)
    collector = Collector(app, session)
    refs: set[asyncio.Task[None]] = set()

    def on_message(payload: str) -> None:
        if payload != METRICS_REF:
            received(state, payload)
            return
        task = asyncio.create_task(_catch_up_logged(app), name="monitoring-catch-up")
        refs.add(task)
        task.add_done_callback(refs.discard)

    listener = Listener(
        url, on_message, partial(_catch_up_logged, app), check_every=min(5.0, state.settings.collect_interval)
    )
    lease = LeaderLease(
        url,
        "monitoring-collector",
        lambda: _lead(state, collector),
        interval=settings.jobs.lease_interval,
        gauge=app[keys.metrics].leader,
    )
    tasks = [
        asyncio.create_task(listener.run(), name="monitoring-listen"),
        asyncio.create_task(state.publisher.run(runtime.pool), name="monitoring-publish"),
        asyncio.create_task(collector.run(), name="monitoring-collect"),
        asyncio.create_task(lease.run(), name="lease:monitoring-collector"),
        asyncio.create_task(
            recheck_keys(state, runtime.pool, max(1.0, settings.auth.key_cache_seconds)),
            name="monitoring-keys",
        ),
    ]
    try:
        yield
    finally:
        await stop_tasks([*tasks, *refs])
        await session.close()


async def _catch_up_logged(app: web.Application) -> None:
    try:
        await catch_up(app)
    except DB_ERRORS as exc:
        log.warning("stored snapshot not loaded error=%s", exc)
