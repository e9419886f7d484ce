"""A leader lease per background job: a PostgreSQL advisory lock held on its own connection."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from prometheus_client import Gauge

from daemon.db.connect import connect
from daemon.db.errors import DB_ERRORS
from daemon.db.types import Connection

log = logging.getLogger(__name__)

Body = Callable[[], Coroutine[Any, Any, None]]
# A busy replica may answer its heartbeat late; that alone must not give up the lease.
MIN_HEARTBEAT_TIMEOUT = 2.0


def lock_id(job: str) -> int:
    """A stable signed 64-bit advisory-lock key for a job name."""
    digest = hashlib.blake2b(f"tronwatch:{job}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class LeaderLease:
    """Runs `job` only while this process holds the job's lock; retries every `interval`."""

    def __init__(self, url: str, job_name: str, job: Body, *, interval: float, gauge: Gauge) -> None:
        self.url = url
        self.job_name = job_name
        self.job = job
        self.interval = interval
        self._gauge = gauge.labels(job_name)
        self._gauge.set(0)

    async def run(self) -> None:
        """Contend for the lease forever (until cancelled)."""
        failing = False  # the connect failure is logged once per outage, not every interval
        while True:
            try:
                conn = await connect(self.url, connect_timeout=self.interval)
            except DB_ERRORS as exc:
                if not failing:
                    log.warning("lease connect failed, retrying job=%s error=%s", self.job_name, exc)
                failing = True
                await asyncio.sleep(self.interval)
                continue
            if failing:
                log.info("lease connection back job=%s", self.job_name)
            failing = False
            try:
                await self._hold(conn)
            except DB_ERRORS as exc:
                log.warning("lease lost job=%s error=%s", self.job_name, exc)
            finally:
                self._gauge.set(0)
                await self._close(conn)
            await asyncio.sleep(self.interval)

    async def _hold(self, conn: Connection) -> None:
        key = lock_id(self.job_name)
        while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
            await asyncio.sleep(self.interval)
        log.info("lease acquired job=%s", self.job_name)
        self._gauge.set(1)
        task = asyncio.create_task(self.job(), name=f"job:{self.job_name}")
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=self.interval)
                if not task.done():
                    # The lock lives as long as this session; a dead session means another replica may lead.
                    timeout = max(self.interval, MIN_HEARTBEAT_TIMEOUT)
                    async with asyncio.timeout(timeout):
                        await conn.fetchval("SELECT 1")
            if task.exception() is not None:
                log.error("job failed job=%s error=%r", self.job_name, task.exception())
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _close(self, conn: Connection) -> None:
        # Closing the session releases the advisory lock; terminate if the server is unreachable.
        try:
            async with asyncio.timeout(2):
                await conn.close()
        except DB_ERRORS:
            conn.terminate()
        except asyncio.CancelledError:
            conn.terminate()
            raise
