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
from daemon.alerts.platform import on_ack, on_cycle, platform
from daemon.db.errors import DB_ERRORS
from daemon.db.types import Pool
from daemon.energy.runtime import energy_runtime
from daemon.jobs import Job
from daemon.monitoring import alert_namespaces, repo
from daemon.monitoring.bus import METRICS_REF, Listener, Publisher, fits
from daemon.monitoring.collector import Collector
from daemon.monitoring.deps import MonitoringDeps
from daemon.monitoring.hub import Hub
from daemon.monitoring.snapshot import MonitoringSnapshot, message
from daemon.monitoring.state import MonitoringState, monitoring_state, replica_name
from daemon.monitoring.ws_routes import UNAUTHORIZED
from daemon.runtime import Runtime
from daemon.tasks import stop_tasks

if TYPE_CHECKING:
    from daemon.alerts.notices import Cycle
    from daemon.energy.snapshot import EnergySnapshot

log = logging.getLogger(__name__)
_METRICS_PREFIX = '{"type":"metrics_update",'
ANNOTATION_CHARS = 500


def install(app: web.Application) -> MonitoringState:
    """State, stream metrics and hooks (no I/O); call after the energy runtime exists."""
    settings = app[keys.settings].monitoring
    hub = Hub(settings.ws_queue_size, app[keys.metrics].registry)
    state = MonitoringState(settings, hub, Publisher(hub.broadcast), replica_name())
    app[monitoring_state] = state
    app.on_shutdown.append(_close_streams)
    energy = app.get(energy_runtime)
    if energy is not None:
        energy.holder.listeners.append(partial(energy_changed, state))
    on_cycle(app, partial(alerts_changed, state))
    on_ack(app, partial(alert_acked, state))
    alert_namespaces.register(platform(app), deps(app))
    return state


def deps(app: web.Application) -> MonitoringDeps:
    """What the collector and the alert readers use, from the installed app."""
    energy = app.get(energy_runtime)
    return MonitoringDeps(
        app[monitoring_state], app[keys.runtime], app[keys.metrics], energy.holder if energy else None
    )


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


async def catch_up(state: MonitoringState, runtime: Runtime) -> None:
    """The stored snapshot: after (re)connecting, or when NOTIFY could not carry it."""
    async with runtime.pool.acquire() as conn:
        text = await repo.load_snapshot(conn)
    if text is not None:
        received(state, text)


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


async def recheck_keys(state: MonitoringState, pool: Pool, every: float) -> None:
    """Close streams whose key was revoked (as HTTP requests stop within the key cache's lifetime)."""
    hashes = list({c.key_hash for c in state.hub.clients})
    if not hashes:
        return
    async with pool.acquire(timeout=every) as conn:
        live = await repo.live_keys(conn, hashes)
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
    session = aiohttp.ClientSession(trust_env=False)
    collector = Collector(deps(app), session)
    catch_up_logged = partial(_catch_up_logged, state, runtime)
    refs: set[asyncio.Task[None]] = set()

    def on_message(payload: str) -> None:
        if payload != METRICS_REF:
            received(state, payload)
            return
        task = asyncio.create_task(catch_up_logged(), name="monitoring-catch-up")
        refs.add(task)
        task.add_done_callback(refs.discard)

    listener = Listener(
        app[keys.database_url],
        on_message,
        catch_up_logged,
        check_every=min(5.0, state.settings.collect_interval),
    )
    jobs, every = app[keys.jobs], max(1.0, settings.auth.key_cache_seconds)
    jobs.add(listener.job())
    jobs.add(state.publisher.job(runtime.pool))
    jobs.add(collector.job())
    # Leading only marks this replica as the one that publishes the shared snapshot.
    lead = partial(_lead, state, collector)
    jobs.add(
        Job("monitoring-collector", lead, interval=settings.jobs.lease_interval, leader=True, service=True)
    )
    keys_job = partial(recheck_keys, state, runtime.pool, every)
    jobs.add(Job("monitoring-keys", keys_job, interval=every, first_delay=every))
    try:
        yield
    finally:
        await stop_tasks(refs)
        await session.close()


async def _catch_up_logged(state: MonitoringState, runtime: Runtime) -> None:
    try:
        await catch_up(state, runtime)
    except DB_ERRORS as exc:
        log.warning("stored snapshot not loaded error=%s", exc)
