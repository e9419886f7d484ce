"""A per-replica count and energy of the waiting entries up to some id, so enqueue need not count them all.

An enqueue's position is `base.count + (waiting entries with id > base.max_id) + 1`: the second term is
exact (a short range of the partial index), the first is at most `ttl` old, so it may still count an
entry released or cancelled since (and miss one returned to waiting since). GET recounts exactly.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

MIN_TTL = 0.05  # seconds a base is reused at least
COST_FACTOR = 20  # ... and at least this many times what counting took (the whole queue is counted)


@dataclass(frozen=True, slots=True)
class WaitingBase:
    """Waiting entries with id <= max_id, as counted at `taken` (monotonic)."""

    taken: float
    ttl: float
    max_id: int
    count: int
    energy: int


class WaitingTotals:
    """The current base; one refresh at a time, others keep using the previous base meanwhile."""

    def __init__(self) -> None:
        self._base: WaitingBase | None = None
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        """Entries left the queue here (dispatch, cancel): recount at the next enqueue."""
        self._base = None

    async def base(self, conn: Any) -> WaitingBase:
        """A base no older than its ttl, or the previous one while another request recounts."""
        base = self._base
        if base is not None and (time.monotonic() - base.taken < base.ttl or self._lock.locked()):
            return base
        async with self._lock:
            base = self._base
            if base is not None and time.monotonic() - base.taken < base.ttl:
                return base
            started = time.monotonic()
            row = await conn.fetchrow(
                "SELECT coalesce((SELECT max(id) FROM energy_withdrawal_queue), 0) AS max_id, count(*) AS n, "
                "coalesce(sum(required_energy), 0)::bigint AS e FROM energy_withdrawal_queue "
                "WHERE status = 'waiting'"
            )
            ttl = max(MIN_TTL, COST_FACTOR * (time.monotonic() - started))
            self._base = WaitingBase(started, ttl, row["max_id"], row["n"], row["e"])
            return self._base
