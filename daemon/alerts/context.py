"""Alerts at run time: per-app state, rule (re)loading, the evaluator (leader) and senders (every replica)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

import aiohttp
from aiohttp import web

from daemon import keys
from daemon.alerts import ack, maintenance_repo, repo, silences_repo
from daemon.alerts.channels import Sessions
from daemon.alerts.evaluator import Evaluator
from daemon.alerts.maintenance import resolved_windows
from daemon.alerts.metrics import AlertMetrics
from daemon.alerts.namespaces import Registry
from daemon.alerts.outbox import Sender, depth_job
from daemon.alerts.platform import AckListener, CycleListener, platform
from daemon.alerts.rules import Rule, RuleError, RuleSet, load_rules
from daemon.alerts.settings import AlertsSettings
from daemon.alerts.ssrf import guarded_connector
from daemon.alerts.suppress import Silence
from daemon.db.errors import DB_ERRORS
from daemon.db.types import Connection
from daemon.jobs import Job
from daemon.observability.profiler import profiled

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The wall clock, timezone-aware."""
    return datetime.now(UTC)


@dataclass
class AlertsState:
    """Everything the alert routes and jobs of one app share."""

    settings: AlertsSettings
    namespaces: Registry
    evaluator: Evaluator
    metrics: AlertMetrics
    clock: Clock
    sender: Sender | None = None
    last_error: str | None = None
    cycles: int = 0
    loaded_at: datetime | None = None
    # The last reload request (table alert_rules_reload) this app's rules already reflect.
    reload_seen: datetime | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # (file, group) -> when that group is next due, epoch seconds on `clock`; absent: due now.
    due: dict[tuple[str, str], float] = field(default_factory=dict)
    # Registered by producers through the platform (on_cycle, on_ack).
    listeners: list[CycleListener] = field(default_factory=list)
    ack_listeners: list[AckListener] = field(default_factory=list)


alerts_state = web.AppKey("alerts_state", AlertsState)


def load(settings: AlertsSettings, namespaces: Registry) -> RuleSet:
    """Load the configured rule files against these namespaces (RuleError on the first problem)."""
    return load_rules(
        settings.rule_files,
        namespaces.fields(),
        per_instance=namespaces.per_instance(),
        receivers={r.name for r in settings.receivers},
        default_receivers=settings.default_receivers,
        default_interval=settings.evaluation_interval,
    )


def install(
    app: web.Application, settings: AlertsSettings | None = None, *, clock: Clock = utc_now
) -> AlertsState:
    """Attach alert state and metrics (no I/O: the rule files are read when the app starts)."""
    if settings is None:
        settings = app[keys.settings].alerts
    plugged = platform(app)  # what producers registered, or will register before the app starts
    holder: list[Evaluator] = []
    metrics = AlertMetrics(app[keys.metrics].registry, lambda: holder[0].instances.values())
    holder.append(Evaluator(RuleSet((), ()), settings, metrics))
    state = AlertsState(
        settings,
        plugged.namespaces,
        holder[0],
        metrics,
        clock,
        listeners=plugged.cycle_listeners,
        ack_listeners=plugged.ack_listeners,
    )
    app[alerts_state] = state
    return state


def reload(state: AlertsState) -> RuleSet:
    """Re-read the rule files; on any error the running rules stay and the error is kept and raised."""
    try:
        rules = load(state.settings, state.namespaces)
    except RuleError as exc:
        state.last_error = str(exc)
        state.metrics.reload_ok.set(0)
        log.error("rules reload failed, keeping the previous rules error=%s", exc)
        raise
    state.evaluator.replace_rules(rules)
    state.last_error, state.loaded_at = None, state.clock()
    state.metrics.reload_ok.set(1)
    state.metrics.rules_loaded.set(len(rules.rules))
    log.info("rules reloaded rules=%d files=%d", len(rules.rules), len(rules.files))
    return rules


def _next_due(state: AlertsState, key: tuple[str, str], interval: float, now: float) -> float:
    # Never more than one interval ahead: the clock went back, or a reload shortened the interval.
    return min(state.due.get(key, now), now + interval)


def seconds_until_due(state: AlertsState) -> float:
    """How long until the earliest group is due (the default interval when there are no rules)."""
    now = state.clock().timestamp()
    groups = state.evaluator.rules.groups()
    flush = state.evaluator.router.groups.next_due()  # an aggregation group's group_wait/interval ends
    waits = [_next_due(state, k, g[0].interval_s, now) - now for k, g in groups.items()]
    if flush is not None:
        waits.append(flush - now)
    if not waits:
        return state.settings.evaluation_interval
    return max(0.0, min(waits))


def _due_rules(state: AlertsState, now: float, all_groups: bool) -> list[Rule]:
    """The rules of every group due at `now` (or of all groups), marking those groups due again."""
    groups = state.evaluator.rules.groups()
    state.due = {k: v for k, v in state.due.items() if k in groups}  # forget groups a reload removed
    out: list[Rule] = []
    for key, rules in groups.items():
        interval = rules[0].interval_s
        if all_groups or _next_due(state, key, interval, now) <= now:
            out += rules
            state.due[key] = now + interval
    return out


@profiled("alerts.rule_evaluation")
async def evaluate_once(app: web.Application, *, all_groups: bool = True) -> int:
    """A cycle of every group, or the due ones: evaluate, store state + outbox; returns rows enqueued."""
    state, pool = app[alerts_state], app[keys.runtime].pool
    async with state.lock:
        now = state.clock()
        ev = state.evaluator
        with state.metrics.eval_duration.time():
            async with pool.acquire() as conn:
                for refresh in state.namespaces.refreshers:
                    await refresh(conn)
                snap = state.namespaces.snapshot()
                await _follow_reload_requests(state, conn)
                silences = [Silence.from_row(s) for s in await silences_repo.silences(conn, since=now)]
                ev.windows = await maintenance_repo.current(conn, now)
                ev.acks = await ack.apply(conn, ev.instances)
                due = state.due.copy()
                cycle = ev.evaluate(
                    _due_rules(state, now.timestamp(), all_groups), snap, now.timestamp(), silences
                )
                try:
                    await ev.persist(conn, cycle)
                except DB_ERRORS:
                    # Memory ran ahead of the database: go back to what was stored, so the next
                    # cycle produces the same notifications with the same ids.
                    state.due = due
                    with contextlib.suppress(*DB_ERRORS):
                        ev.restore(await repo.load_instances(conn))
                        ev.router.groups.restore(await repo.load_groups(conn))
                    raise
                await _end_resolved_windows(conn, ev, now)
        state.cycles += 1
        for listener in state.listeners:
            listener(cycle, now.timestamp())
    if (cycle.outbox or cycle.resends) and state.sender is not None:
        state.sender.wake.set()
    return len(cycle.outbox)


async def _end_resolved_windows(conn: Connection, ev: Evaluator, now: datetime) -> None:
    """Arm end_when_resolved windows whose alert fired, and end those whose alerts are over."""
    saw, end = resolved_windows(ev.windows, [(i.state, i.labels) for i in ev.instances.values()], now)
    await maintenance_repo.mark_saw_firing(conn, saw, now)
    await maintenance_repo.end_resolved(conn, end, now)
    if end:
        log.info("maintenance windows ended, their alerts resolved windows=%s", end)


async def _follow_reload_requests(state: AlertsState, conn: Connection) -> None:
    """Re-read the rule files if a reload was requested (on any replica) since this app last loaded."""
    requested = await repo.reload_requested_at(conn)
    if requested is None or requested == state.reload_seen:
        return
    state.reload_seen = requested
    with contextlib.suppress(RuleError):  # reported by reload (log + metric); old rules keep running
        reload(state)


@contextlib.asynccontextmanager
async def _leading(app: web.Application) -> AsyncIterator[None]:
    """Just became the leader: the stored instances and groups, and every group due now."""
    state = app[alerts_state]
    async with app[keys.runtime].pool.acquire() as conn:
        state.evaluator.restore(await repo.load_instances(conn))
        state.evaluator.router.groups.restore(await repo.load_groups(conn))
    state.due.clear()
    yield


async def _evaluate(app: web.Application) -> float:
    await evaluate_once(app, all_groups=False)
    return seconds_until_due(app[alerts_state])


def _shortest_interval(state: AlertsState) -> float:
    # After a failure the groups stay due: retry after the shortest interval, not in a tight loop.
    rules = state.evaluator.rules.rules
    return min((r.interval_s for r in rules), default=state.settings.evaluation_interval)


async def alerts_context(app: web.Application) -> AsyncIterator[None]:
    """Senders and the depth gauge on every replica; the evaluator on the lease holder; SIGHUP reloads."""
    state, runtime = app[alerts_state], app[keys.runtime]
    reload(state)  # a broken rule file stops the start, with file, rule and reason (as Prometheus does)
    with contextlib.suppress(*DB_ERRORS):  # unknown: the first evaluation re-reads the files once more
        async with runtime.pool.acquire() as conn:
            state.reload_seen = await repo.reload_requested_at(conn)  # requests before now: files just read
    guarded = aiohttp.ClientSession(connector=guarded_connector(limit=64), trust_env=False)
    private = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64), trust_env=False)
    sender = Sender(runtime.pool, state.settings, state.metrics, Sessions(guarded, private), state.clock)
    plugged = platform(app)
    sender.resolve = plugged.resolve if plugged.resolvers else None
    state.sender = sender
    jobs = app[keys.jobs]
    jobs.add(sender.job())
    jobs.add(depth_job(runtime.pool, state.metrics, state.settings, state.clock))
    jobs.add(
        Job(
            "alerts-evaluator",
            partial(_evaluate, app),
            interval=partial(_shortest_interval, state),
            leader=True,
            term=partial(_leading, app),
        )
    )
    loop = asyncio.get_running_loop()
    hup = False
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGHUP, _on_hup, state)
        hup = True
    try:
        yield
    finally:
        if hup:
            loop.remove_signal_handler(signal.SIGHUP)
        await sender.close()  # its job stopped first (the supervisor's context is the last one)
        state.sender = None
        await guarded.close()
        await private.close()


def _on_hup(state: AlertsState) -> None:
    with contextlib.suppress(RuleError):  # reported by reload (log + metric); old rules keep running
        reload(state)
