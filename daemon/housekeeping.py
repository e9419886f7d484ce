"""Leader-only upkeep: expire old idempotency records."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from daemon.db import idempotency_repo

log = logging.getLogger(__name__)


async def purge_idempotency_forever(pool: Any, *, ttl_hours: float, every: float = 600.0) -> None:
    """Delete idempotency records older than the TTL, every `every` seconds."""
    while True:
        async with pool.acquire() as conn:
            removed = await idempotency_repo.purge_older_than(conn, ttl_hours)
        if removed:
            log.info("idempotency records purged count=%d", removed)
        await asyncio.sleep(every)
