"""The daemon that owns the embedded PostgreSQL brings it back when it dies (crash, kill -9, OOM killer)."""

from __future__ import annotations

import asyncio
import logging

from daemon.db.embedded import EmbeddedPostgres

log = logging.getLogger(__name__)
CHECK_INTERVAL = 1.0  # seconds between looks at the postmaster (a process check, no query)
MAX_BACKOFF = 30.0


async def keep_alive(server: EmbeddedPostgres, interval: float = CHECK_INTERVAL) -> None:
    """Forever: when the postmaster is gone, start it again (backing off while starting fails)."""
    wait = interval
    failing = False
    while True:
        await asyncio.sleep(wait)
        if await asyncio.to_thread(server.alive):
            wait, failing = interval, False
            continue
        if not failing:
            log.warning("embedded postgres is not running, restarting it pgdata=%s", server.pgdata)
        try:
            await asyncio.to_thread(server.revive)
        # pg_ctl failed, or the old postmaster is still a zombie (docs/failure-modes.md): try again.
        except Exception as exc:
            if not failing:
                log.warning("embedded postgres did not start, retrying error=%s", type(exc).__name__)
            failing = True
            wait = min(MAX_BACKOFF, max(interval, wait * 2))
            continue
        wait, failing = interval, False
