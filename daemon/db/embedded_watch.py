"""The daemon that owns the embedded PostgreSQL brings it back when it dies (crash, kill -9, OOM killer)."""

from __future__ import annotations

import asyncio
import logging

from daemon.db.embedded import EmbeddedPostgres
from daemon.jobs import Job

log = logging.getLogger(__name__)
CHECK_INTERVAL = 1.0  # seconds between looks at the postmaster (a process check, no query)
MAX_BACKOFF = 30.0


def keep_alive(server: EmbeddedPostgres, interval: float = CHECK_INTERVAL) -> Job:
    """`embedded-postgres`: when the postmaster is gone, start it again (backing off while starting fails)."""
    failing = False

    async def check() -> None:
        nonlocal failing
        if await asyncio.to_thread(server.alive):
            failing = False
            return
        if not failing:
            log.warning("embedded postgres is not running, restarting it pgdata=%s", server.pgdata)
        failing = True
        # pg_ctl may fail, or the old postmaster still be a zombie (docs/failure-modes.md): the supervisor
        # tries again with backoff.
        await asyncio.to_thread(server.revive)
        failing = False

    return Job(
        "embedded-postgres",
        check,
        interval=interval,
        backoff_max=MAX_BACKOFF,
        first_delay=interval,
        expected=(Exception,),
    )
