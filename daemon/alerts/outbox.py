"""Outbox senders (every replica): claim due rows with SKIP LOCKED, deliver, record the outcome."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from daemon.alerts import repo
from daemon.alerts.channels import Channel, Outcome, Sessions, channel_for
from daemon.alerts.metrics import AlertMetrics
from daemon.alerts.platform import Resolver
from daemon.alerts.ratelimit import Bucket
from daemon.alerts.settings import AlertsSettings
from daemon.alerts.ssrf import redact
from daemon.db.errors import DB_ERRORS
from daemon.db.types import Pool
from daemon.jobs import Job

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
DEPTH_INTERVAL = 5.0
DYNAMIC_RATE, DYNAMIC_BURST = 5.0, 10  # per URL, for resolved (not configured) receivers
MAX_INLINE_WAIT = 2.0  # a longer rate-limit wait hands the rows back to the table instead of holding them


def backoff(attempt: int, base: float, cap: float) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(cap, base·2^attempt)]."""
    return random.uniform(0, min(cap, base * 2 ** min(attempt, 30)))


class Sender:
    """Delivers the outbox; any number of Senders (replicas) can run against one table."""

    def __init__(
        self, pool: Pool, settings: AlertsSettings, metrics: AlertMetrics, sessions: Sessions, clock: Clock
    ) -> None:
        self.pool = pool
        self.settings = settings
        self.metrics = metrics
        self.sessions = sessions
        self.clock = clock
        self.wake = asyncio.Event()
        self.buckets: dict[str, Bucket] = {}
        self.channels: dict[str, Channel] = {}
        self.configure(settings)
        self._inflight: set[asyncio.Task[None]] = set()
        self.sem = asyncio.Semaphore(settings.sender_concurrency)
        self.resolve: Resolver | None = None
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # tests drive waits by a fake clock

    def configure(self, settings: AlertsSettings) -> None:
        """(Re)build the channels from the receivers."""
        self.settings = settings
        self.channels = {r.name: channel_for(r, settings) for r in settings.receivers}
        for r in settings.receivers:
            key = self.channels[r.name].rate_key
            if key not in self.buckets:
                self.buckets[key] = Bucket(r.rate_per_second, r.burst)

    def job(self) -> Job:
        """The `alerts-sender` job (every replica): a notify from the evaluator (wake) cuts the idle wait."""
        return Job("alerts-sender", self.once, interval=lambda: self.settings.sender_idle, wake=self.wake)

    async def once(self) -> float:
        """Claim one batch; at once again if it was full, else after the idle wait."""
        claimed = await self.claim_once(self.sem)
        return 0.0 if claimed >= self.settings.sender_batch else self.settings.sender_idle

    async def close(self) -> None:
        """Cancel deliveries in flight (their rows go back when their claim ends) and wait for them."""
        for task in list(self._inflight):
            task.cancel()
        await asyncio.gather(*self._inflight, return_exceptions=True)

    async def claim_once(self, sem: asyncio.Semaphore) -> int:
        """Claim one batch and start its deliveries; returns how many rows were claimed."""
        now = self.clock()
        lease = now + timedelta(seconds=self.settings.claim_seconds)
        async with self.pool.acquire() as conn:
            rows = await repo.claim(conn, now, lease, self.settings.sender_batch)
        by_receiver: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_receiver.setdefault(row["receiver"], []).append(row)
        for name, group in by_receiver.items():
            channel = self.channels.get(name)
            if channel is None and self.resolve is not None:
                channel = await self.resolve(name)
                if channel is not None and channel.rate_key not in self.buckets:
                    self.buckets[channel.rate_key] = Bucket(DYNAMIC_RATE, DYNAMIC_BURST)
            if channel is None:
                await self._record(name, group, Outcome("permanent", None, f"no receiver named {name!r}"))
                continue
            # An aggregation group's notification is a message of its own (never merged with another).
            batches = [[r] for r in group if "alerts" in r["payload"]]
            single = [r for r in group if "alerts" not in r["payload"]]
            batches += [single[i : i + channel.max_batch] for i in range(0, len(single), channel.max_batch)]
            for batch in batches:
                await sem.acquire()
                task = asyncio.create_task(self._deliver(name, channel, batch, sem))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)
        return len(rows)

    async def drain(self) -> None:
        """Wait for deliveries in flight (tests and benches)."""
        while self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    async def _deliver(
        self, name: str, channel: Channel, rows: list[dict[str, Any]], sem: asyncio.Semaphore
    ) -> None:
        try:
            bucket = self.buckets[channel.rate_key]
            holds: int | None = None
            # Again if a 429 for this URL came while we waited: our turn is void, queue behind the hold.
            while holds != bucket.holds:
                holds = bucket.holds
                wait = bucket.reserve(MAX_INLINE_WAIT)  # the token is ours unless the rows go back
                if wait > MAX_INLINE_WAIT:
                    async with self.pool.acquire() as conn:
                        due = self.clock() + timedelta(seconds=wait)
                        await repo.defer(conn, [r["id"] for r in rows], due)
                    self.metrics.notifications.labels(name, "deferred").inc(len(rows))
                    return
                if wait > 0:
                    await self.sleep(wait)
            try:
                outcome = await channel.send(rows, self.sessions)
            except asyncio.CancelledError:
                raise
            except DB_ERRORS:
                raise
            except Exception as exc:  # a channel bug must not leave rows claimed with no error, forever
                log.exception("channel failed receiver=%s", name)
                outcome = Outcome("permanent", None, f"{type(exc).__name__}: {exc}"[:200])
            if outcome.retry_after is not None:
                bucket.hold(min(outcome.retry_after, self.settings.retry_after_max))
            await self._record(name, rows, outcome)
        except DB_ERRORS as exc:
            # The rows stay claimed until their lease ends, then another attempt delivers them again.
            log.warning("outbox update failed receiver=%s error=%s", name, exc)
        finally:
            sem.release()

    async def _record(self, name: str, rows: list[dict[str, Any]], outcome: Outcome) -> None:
        now = self.clock()
        ids = [r["id"] for r in rows]
        attempts = max(r["attempts"] for r in rows)
        kind = outcome.kind
        if kind == "retry" and attempts >= self.settings.max_attempts:
            kind = "permanent"
        async with self.pool.acquire() as conn:
            if kind == "sent":
                await repo.mark_sent(conn, ids, now, outcome.status)
            elif kind == "permanent":
                await repo.mark_failed(conn, ids, now, outcome.error, outcome.status)
            else:
                delay = (
                    min(outcome.retry_after, self.settings.retry_after_max)
                    if outcome.retry_after is not None
                    else backoff(attempts, self.settings.backoff_base, self.settings.backoff_max)
                )
                await repo.mark_retry(
                    conn, ids, now + timedelta(seconds=delay), outcome.error, outcome.status
                )
        label = {"sent": "sent", "permanent": "failed"}.get(kind) or (
            "rate_limited" if outcome.status == 429 else "retry"
        )
        self.metrics.notifications.labels(name, label).inc(len(rows))
        if kind == "sent":
            for r in rows:
                self.metrics.latency.labels(name).observe(max(0.0, (now - r["created_at"]).total_seconds()))
        elif kind == "permanent":
            channel = self.channels.get(name)
            where = redact(getattr(channel, "url", "")) if channel is not None else "?"
            log.error(
                "notification failed permanently receiver=%s target=%s status=%s error=%s ids=%s",
                name,
                where,
                outcome.status,
                outcome.error,
                ",".join(r["notification_id"] for r in rows),
            )
        else:
            log.info(
                "notification will be retried receiver=%s status=%s error=%s",
                name,
                outcome.status,
                outcome.error,
            )


def depth_job(pool: Pool, metrics: AlertMetrics, settings: AlertsSettings, clock: Clock) -> Job:
    """`alerts-depth` (every replica; both parts are cheap): the queue-depth gauge, old history pruned."""

    async def once() -> None:
        async with pool.acquire() as conn:
            metrics.queue_depth.set(await repo.queue_depth(conn))
            await repo.prune_history(conn, clock() - timedelta(days=settings.history_days))

    return Job("alerts-depth", once, interval=DEPTH_INTERVAL)


def utc_now() -> datetime:
    """Wall clock."""
    return datetime.now(UTC)
