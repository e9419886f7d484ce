"""SQL the forecast reads: usage history since a cursor, and the energy the waiting queue needs."""

from __future__ import annotations

from datetime import datetime

from daemon.db.types import Connection, Record

BATCH = 50_000


async def readings_after(conn: Connection, after: datetime) -> list[Record]:
    """History rows stored after `after` (wall), oldest first, at most BATCH."""
    rows: list[Record] = await conn.fetch(
        "SELECT pool_id, taken_at, chain_time, energy_used, window_slots FROM energy_pool_snapshots "
        "WHERE taken_at > $1 ORDER BY taken_at, pool_id LIMIT $2",
        after,
        BATCH,
    )
    return rows


async def waiting_energy(conn: Connection) -> int:
    """Energy the queued withdrawals not yet sent need: waiting, and released but not yet claimed."""
    value = await conn.fetchval(
        "SELECT coalesce(sum(required_energy), 0) FROM energy_withdrawal_queue "
        "WHERE status IN ('waiting', 'released')"
    )
    return int(value)
