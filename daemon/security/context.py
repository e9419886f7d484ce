"""The security monitor of one app: events, failed-auth tracking, IP blocks, rate limits, `security.*`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address, IPv6Address
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry

from daemon import keys
from daemon.alerts.platform import register_namespace
from daemon.db.connect import create_pool
from daemon.db.errors import DB_ERRORS
from daemon.db.outage import RETRY_AFTER, Outage
from daemon.db.types import Pool
from daemon.errors import ServiceUnavailable, TooManyRequests
from daemon.jobs import Job
from daemon.security import events as security_events
from daemon.security import ratelimit, repo
from daemon.security.events import SEVERE, SEVERITY, SecurityMetrics, dedup_hash, figures, redact
from daemon.security.settings import RateLimit, SecuritySettings

log = logging.getLogger(__name__)
IP = IPv4Address | IPv6Address
MAX_LOCAL = 10_000  # bounded per-replica memories (blocks, refusals already recorded)


class SecurityState:
    """Everything the security middlewares, routes and jobs of one app share."""

    def __init__(
        self, settings: SecuritySettings, registry: CollectorRegistry, pool: Callable[[], Pool]
    ) -> None:
        self.settings = settings
        self.metrics = SecurityMetrics(registry)
        self.shared_pool = pool
        self.own_pool: Pool | None = None  # its own pool while the app runs (see security_context)
        self.clock: Callable[[], float] = time.time
        self.blocks: dict[IP, float] = {}  # client IP -> blocked until (epoch seconds), refreshed from the DB
        self.refused: dict[str, int] = {}  # bucket -> window whose refusal is already an event
        self.figures: dict[str, Any] | None = None
        self.outage = Outage(
            log, "rate limits are not counted (withdrawal creation gets 503), events not stored"
        )

    def pool(self) -> Pool:
        """The security pool (the app's pool until the own one is open)."""
        return self.own_pool if self.own_pool is not None else self.shared_pool()

    def now(self) -> datetime:
        """The clock as an aware datetime."""
        return datetime.fromtimestamp(self.clock(), UTC)

    async def record(
        self,
        kind: str,
        *,
        ip: IP | None,
        partner_id: int | None,
        method: str = "",
        route: str = "",
        location: str = "",
        details: dict[str, Any] | None = None,
    ) -> None:
        """Count the event and store it (one row per identity and day); a database failure is only logged."""
        severity = SEVERITY[kind]
        self.metrics.events.labels(kind, severity).inc()
        safe = {k: redact(v) if isinstance(v, str) else v for k, v in (details or {}).items()}
        try:
            async with self.pool().acquire() as conn:
                await repo.record_event(
                    conn,
                    type=kind,
                    severity=severity,
                    partner_id=partner_id,
                    client_ip=ip,
                    method=method,
                    route=route,
                    details=safe,
                    dedup_hash=dedup_hash(kind, ip, partner_id, method, route, location),
                    at=self.now(),
                )
            self.outage.succeeded()
        except DB_ERRORS as exc:
            self.outage.failed(exc)
        if severity in SEVERE:
            log.warning(
                "security event type=%s severity=%s ip=%s partner=%s route=%s",
                kind,
                severity,
                ip,
                partner_id,
                route,
            )

    def blocked_for(self, ip: IP | None) -> float:
        """Seconds this IP stays blocked (0: not blocked)."""
        until = self.blocks.get(ip) if ip is not None else None
        return max(0.0, until - self.clock()) if until is not None else 0.0

    async def failed_auth(self, ip: IP | None, method: str, route: str) -> None:
        """A bad key from `ip`: AUTH_FAILED; at the threshold MULTIPLE_FAILED_AUTH (and a block)."""
        await self.record("AUTH_FAILED", ip=ip, partner_id=None, method=method, route="*")
        if ip is None:
            return
        cfg = self.settings.failed_auth
        rule = (
            RateLimit(limit=cfg.threshold - 1, window_seconds=cfg.window_seconds)
            if cfg.threshold > 1
            else None
        )
        now = self.clock()
        try:
            async with self.pool().acquire() as conn:
                decision = await ratelimit.check(conn, f"failed_auth:{ip}", rule, now) if rule else None
        except DB_ERRORS as exc:  # the 401 stands; only the counting is lost
            self.outage.failed(exc)
            return
        if decision is not None and decision.allowed:
            return
        details: dict[str, Any] = {"threshold": cfg.threshold, "window_seconds": cfg.window_seconds}
        if cfg.block_seconds > 0:
            until = now + cfg.block_seconds
            self._remember_block(ip, until)  # this replica at once; the others at their next refresh
            details["blocked_until"] = datetime.fromtimestamp(until, UTC).isoformat()
            try:
                async with self.pool().acquire() as conn:
                    await repo.block(
                        conn, ip, datetime.fromtimestamp(until, UTC), "MULTIPLE_FAILED_AUTH", self.now()
                    )
            except DB_ERRORS as exc:
                log.warning("block not stored (this replica only) error=%s", type(exc).__name__)
        await self.record(
            "MULTIPLE_FAILED_AUTH", ip=ip, partner_id=None, method=method, route=route, details=details
        )

    def _remember_block(self, ip: IP, until: float) -> None:
        if len(self.blocks) >= MAX_LOCAL:
            self.blocks.clear()
        self.blocks[ip] = max(until, self.blocks.get(ip, 0.0))

    async def limit(
        self,
        action: str,
        subject: str,
        *,
        ip: IP | None,
        partner_id: int | None,
        method: str,
        route: str,
        exempt: Callable[[], Awaitable[bool]] | None = None,
        fail_closed: bool = False,
    ) -> None:
        """Count one `action` by `subject`; TooManyRequests (429, Retry-After) past the limit.

        `exempt` is asked only past the limit (e.g. "is this a retry?"): if true, the call goes on and
        is neither refused, counted as refused nor recorded. Without the database the call goes on,
        unless `fail_closed` (ServiceUnavailable, 503).
        """
        rule: RateLimit = getattr(self.settings.rate_limits, action)
        if not rule.enabled:
            return
        bucket = f"{action}:{subject}"
        try:
            async with self.pool().acquire() as conn:
                decision = await ratelimit.check(conn, bucket, rule, self.clock())
        except DB_ERRORS as exc:
            # Fail open: without the database the limit cannot be counted, and refusing every call
            # would turn a database hiccup into an outage of routes that need no database. Money moving
            # past an uncounted limit is worse than a retry: those calls fail closed.
            self.outage.failed(exc)
            if fail_closed:
                raise ServiceUnavailable(
                    f"the {action} limit cannot be checked now (database unavailable); retry shortly",
                    headers={"Retry-After": str(RETRY_AFTER)},
                ) from exc
            return
        self.outage.succeeded()
        if decision.allowed or (exempt is not None and await exempt()):
            return
        self.metrics.rate_limited.labels(action).inc()
        # One event per bucket and window on this replica: a client hammering past its limit must not
        # turn every refused request into a database write.
        if self.refused.get(bucket) != decision.window:
            if len(self.refused) >= MAX_LOCAL:
                self.refused.clear()
            self.refused[bucket] = decision.window
            details = {"action": action, "limit": rule.limit, "window_seconds": rule.window_seconds}
            await self.record(
                "RATE_LIMIT_EXCEEDED",
                ip=ip,
                partner_id=partner_id,
                method=method,
                route=route,
                location=bucket,
                details=details,
            )
        raise TooManyRequests(
            f"rate limit for {action} exceeded: {rule.limit} per {rule.window_seconds:g} s; "
            f"retry in {decision.retry_after} s",
            headers={"Retry-After": str(decision.retry_after)},
        )

    async def refresh(self) -> None:
        """Re-read active blocks and the `security.*` figures from the database."""
        now = self.now()
        since = (now - timedelta(minutes=5)).replace(second=0, microsecond=0)
        async with self.pool().acquire() as conn:
            blocks = await repo.active_blocks(conn, now)
            counts = await repo.counts_since(conn, since)
        self.blocks = {r["client_ip"]: r["until"].timestamp() for r in blocks[:MAX_LOCAL]}
        self.figures = figures(counts, len(blocks))

    async def purge(self) -> None:
        """Drop events past retention, old minute buckets and rate-limit windows."""
        now = self.now()
        longest = max(
            60.0,
            self.settings.failed_auth.window_seconds,
            *(
                r.window_seconds
                for r in (self.settings.rate_limits.withdrawal, self.settings.rate_limits.api_call)
            ),
        )
        async with self.pool().acquire() as conn:
            await repo.purge(
                conn,
                events_before=now - timedelta(days=self.settings.retention_days),
                minutes_before=now - timedelta(hours=1),
                window_before=int(now.timestamp() - 2 * longest),
            )


security_state = web.AppKey("security_state", SecurityState)


def _refresh_job(state: SecurityState) -> Job:
    """`security-refresh` (every replica): blocks and figures each pass, old rows purged every 240th."""
    passes = 0

    async def once() -> None:
        nonlocal passes
        passes += 1
        await state.refresh()
        if passes % 240 == 1:
            await state.purge()

    return Job("security-refresh", once, interval=lambda: state.settings.figures_interval)


async def security_context(app: web.Application) -> AsyncIterator[None]:
    """A small pool of its own; refresh blocks and figures (and purge old rows) while the app runs."""
    state, settings = app[security_state], app[keys.settings]
    # Its own pool, because asyncpg's default reset on release is one more round trip (RESET ALL,
    # UNLISTEN, ...) on every rate-limit check; and limit checks never wait behind handlers' queries.
    state.own_pool = await create_pool(
        app[keys.database_url],
        min_size=1,
        max_size=state.settings.pool_max,
        connect_timeout=settings.database.connect_timeout,
    )
    app[keys.jobs].add(_refresh_job(state))
    try:
        yield
    finally:
        pool, state.own_pool = state.own_pool, None
        try:
            async with asyncio.timeout(settings.server.shutdown_timeout):
                await pool.close()
        except DB_ERRORS:
            pool.terminate()


def install(app: web.Application) -> SecurityState:
    """Attach the security state and its metrics, and declare `security.*` to the alert rules (no I/O)."""
    runtime = app[keys.runtime]
    state = SecurityState(app[keys.settings].security, app[keys.metrics].registry, lambda: runtime.pool)
    app[security_state] = state
    register_namespace(app, security_events.SECURITY, lambda: state.figures)
    return state
