"""The one loop every background job runs in: lease, passes, timeouts, backoff, logs, metrics, stop."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from prometheus_client import Gauge

from daemon.db.errors import DB_ERRORS
from daemon.jobs.job import Job
from daemon.jobs.lease import LeaderLease
from daemon.jobs.metrics import JobMetrics
from daemon.tasks import STOP_TIMEOUT, stop_tasks, wait_event

log = logging.getLogger(__name__)


class Supervisor:
    """Runs declared jobs: leader jobs under their lease, the others on this replica; stops them all."""

    def __init__(
        self,
        *,
        database_url: str | None = None,
        lease_interval: float = 5.0,
        leader_gauge: Gauge | None = None,
        metrics: JobMetrics | None = None,
        grace: float = STOP_TIMEOUT,
    ) -> None:
        self.database_url = database_url
        self.lease_interval = lease_interval
        self.leader_gauge = leader_gauge
        self.metrics = metrics
        self.grace = grace
        self.jobs: dict[str, Job] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.running = False
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # tests drive waits without time

    def add(self, job: Job) -> None:
        """Declare a job; once the supervisor runs, it starts at once."""
        if job.name in self.jobs:
            raise ValueError(f"job {job.name!r} is declared twice")
        if job.leader and (self.database_url is None or self.leader_gauge is None):
            raise ValueError(f"job {job.name!r} needs a lease, and this supervisor has no database")
        self.jobs[job.name] = job
        if self.metrics is not None:
            self.metrics.declare(job.name)
        if self.running:
            self._spawn(job)

    def start(self) -> None:
        """Start every declared job."""
        self.running = True
        for job in self.jobs.values():
            self._spawn(job)

    async def stop(self) -> None:
        """Cancel every job and wait for them (bounded by `grace`)."""
        self.running = False
        tasks, self.tasks = list(self.tasks.values()), {}
        await stop_tasks(tasks, self.grace)

    def _spawn(self, job: Job) -> None:
        self.tasks[job.name] = asyncio.create_task(self._main(job), name=f"job:{job.name}")

    async def _main(self, job: Job) -> None:
        if not job.leader:
            await self._body(job)
            return
        assert self.database_url is not None and self.leader_gauge is not None
        lease = LeaderLease(
            self.database_url,
            job.name,
            lambda: self._body(job),
            interval=self.lease_interval,
            gauge=self.leader_gauge,
        )
        await lease.run()

    async def _body(self, job: Job) -> None:
        """Passes (inside the job's term, entered again after it fails) until cancelled."""
        streak = _Streak(job.name, job.expected)
        if job.first_delay > 0:
            await asyncio.sleep(job.first_delay)
        if job.term is None:
            await self._passes(job, streak)
            return
        while True:
            try:
                async with job.term():
                    streak.recovered()
                    await self._passes(job, streak)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the term's setup failed (e.g. its first query): again after a wait
                self._record(job, "error", 0.0)
                streak.failed(exc)
            await self._wait(job, job.retry_after(streak.failures))

    async def _passes(self, job: Job, streak: _Streak) -> None:
        while True:
            started, wait = time.monotonic(), None
            try:
                async with asyncio.timeout(job.timeout) as deadline:
                    wait = await job.run()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                took = time.monotonic() - started
                expired = isinstance(exc, TimeoutError) and deadline.expired()
                self._record(job, "timeout" if expired else "error", took)
                if job.service and took > job.retry_after(streak.failures + 1):
                    streak.failures = 0  # it ran well for a while: this failure starts a new streak
                streak.failed(exc, timed_out=expired)
            else:
                self._record(job, "ok", time.monotonic() - started)
                if job.service:
                    log.warning("service job ended, restarting it job=%s", job.name)
                streak.recovered()
            if streak.failures:
                wait = job.retry_after(streak.failures)
            await self._wait(job, job.every() if wait is None else wait)

    async def _wait(self, job: Job, seconds: float) -> None:
        if job.wake is None:
            await self.sleep(seconds)
            return
        await wait_event(job.wake, seconds)
        gap = job.gap()
        if gap > 0:
            await asyncio.sleep(gap)
        job.wake.clear()

    def _record(self, job: Job, outcome: str, seconds: float) -> None:
        if self.metrics is None:
            return
        self.metrics.runs.labels(job.name, outcome).inc()
        self.metrics.duration.labels(job.name).observe(seconds)
        if outcome == "ok":
            self.metrics.last_success.labels(job.name).set(time.time())


class _Streak:
    """Failures in a row of one job: logged when the streak starts and when it ends, not in between."""

    def __init__(self, name: str, expected: tuple[type[BaseException], ...] = ()) -> None:
        self.name = name
        self.expected = (*DB_ERRORS, *expected)
        self.failures = 0

    def failed(self, exc: BaseException, *, timed_out: bool = False) -> None:
        self.failures += 1
        if self.failures > 1:
            log.debug("job still failing job=%s failures=%d error=%r", self.name, self.failures, exc)
        elif timed_out:
            log.warning("job timed out, retrying with backoff job=%s", self.name)
        elif isinstance(exc, self.expected):
            log.warning("job failed, retrying with backoff job=%s error=%r", self.name, exc)
        else:  # a bug: the traceback, once
            log.error("job failed, retrying with backoff job=%s", self.name, exc_info=exc)

    def recovered(self) -> None:
        if self.failures:
            log.info("job recovered job=%s after_failures=%d", self.name, self.failures)
        self.failures = 0
