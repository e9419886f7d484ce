"""A per-replica count and energy of the waiting entries up to some id, so enqueue need not count them all.

An enqueue's position is `base.count + (waiting entries with id > base.max_id) + 1`: the second term is
exact (a short index range), the first is at most `ttl` old, so it may still count an entry released or
cancelled since (and miss one returned to waiting since). GET recounts exactly.

Between full counts the base is moved up every `ADVANCE_EVERY` by counting only the new tail, so each
enqueue counts the few entries of the last milliseconds rather than all since the last full count: under
load that per-insert range scan (heap visits for fresh rows) cost more PostgreSQL CPU than the insert.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace

from daemon.db.types import Connection, one

MIN_TTL = 0.05  # seconds a full count is reused at least
COST_FACTOR = 20  # ... and at least this many times what counting took (the whole queue is counted)
ADVANCE_EVERY = 0.005  # seconds between moves of max_id up to the newest entry (counting only the tail)

_FULL = (
    "SELECT coalesce((SELECT max(id) FROM energy_withdrawal_queue), 0) AS max_id, count(*) AS n, "
    "coalesce(sum(required_energy), 0)::bigint AS e FROM energy_withdrawal_queue WHERE status = 'waiting'"
)
# `(SELECT $1)` keeps the prepared statement on its generic plan (see queue_repo.insert). Entries above
# max(id) are not visible to this snapshot, so the count covers exactly (old max_id, new max_id].
_TAIL = (
    "SELECT greatest((SELECT max(id) FROM energy_withdrawal_queue), $1::bigint) AS max_id, count(*) AS n, "
    "coalesce(sum(required_energy), 0)::bigint AS e FROM energy_withdrawal_queue "
    "WHERE status = 'waiting' AND id > (SELECT $1::bigint)"
)


@dataclass(frozen=True, slots=True)
class WaitingBase:
    """Waiting entries with id <= max_id: counted in full at `taken` (monotonic), the tail at `advanced`."""

    taken: float
    ttl: float
    max_id: int
    count: int
    energy: int
    advanced: float = 0.0

    def fresh(self, now: float) -> bool:
        """Usable as is: the full count within its ttl and the tail short."""
        return now - self.taken < self.ttl and now - self.advanced < ADVANCE_EVERY


class WaitingTotals:
    """The current base; one refresh at a time, others keep using the previous base meanwhile."""

    def __init__(self) -> None:
        self._base: WaitingBase | None = None
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        """Entries left the queue here (dispatch, cancel): recount at the next enqueue."""
        self._base = None

    async def base(self, conn: Connection) -> WaitingBase:
        """A fresh base, or the previous one while another request refreshes it."""
        base = self._base
        if base is not None and (base.fresh(time.monotonic()) or self._lock.locked()):
            return base
        async with self._lock:
            base = self._base
            started = time.monotonic()
            if base is not None and base.fresh(started):
                return base
            if base is not None and started - base.taken < base.ttl:
                # Only the tail: what left the queue meanwhile is still counted until the next full count.
                row = one(await conn.fetchrow(_TAIL, base.max_id))
                self._base = replace(
                    base,
                    max_id=row["max_id"],
                    count=base.count + row["n"],
                    energy=base.energy + row["e"],
                    advanced=started,
                )
                return self._base
            row = one(await conn.fetchrow(_FULL))
            ttl = max(MIN_TTL, COST_FACTOR * (time.monotonic() - started))
            self._base = WaitingBase(started, ttl, row["max_id"], row["n"], row["e"], started)
            return self._base
