"""Leader-only upkeep: expire old idempotency records."""

from __future__ import annotations

import logging

from daemon.db import idempotency_repo
from daemon.db.types import Pool

log = logging.getLogger(__name__)


async def purge_idempotency(pool: Pool, *, ttl_hours: float) -> None:
    """Delete idempotency records older than the TTL (one pass of the `housekeeping` job)."""
    async with pool.acquire() as conn:
        removed = await idempotency_repo.purge_older_than(conn, ttl_hours)
    if removed:
        log.info("idempotency records purged count=%d", removed)
