"""SQL for security events, their per-minute counts, rate-limit counters and IP blocks."""

from __future__ import annotations

import json
from datetime import datetime
from ipaddress import IPv4Address, IPv6Address
from typing import Any

from daemon.db.types import Connection, Record, one
from daemon.observability.profiler import profiled

IP = IPv4Address | IPv6Address | None

# One statement: the day's deduplicated row (count + 1) and the type's minute bucket together.
_RECORD = """
WITH ev AS (
    INSERT INTO security_events AS e (type, severity, partner_id, client_ip, method, route, details, day,
                                      dedup_hash, first_seen_at, last_seen_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, ($9::timestamptz AT TIME ZONE 'UTC')::date, $8, $9, $9)
    ON CONFLICT (day, dedup_hash) DO UPDATE
        SET count = e.count + 1, last_seen_at = greatest(e.last_seen_at, EXCLUDED.last_seen_at)
    RETURNING id, count
), m AS (
    INSERT INTO security_event_minutes AS m (type, severity, minute, count)
    VALUES ($1, $2, date_trunc('minute', $9::timestamptz), 1)
    ON CONFLICT (minute, type, severity) DO UPDATE SET count = m.count + 1
)
SELECT id, count FROM ev
"""


@profiled("db.security_event")
async def record_event(
    conn: Connection,
    *,
    type: str,
    severity: str,
    partner_id: int | None,
    client_ip: IP,
    method: str,
    route: str,
    details: dict[str, Any],
    dedup_hash: bytes,
    at: datetime,
) -> tuple[int, int]:
    """Insert or count the day's event; (id, count)."""
    row = await conn.fetchrow(
        _RECORD, type, severity, partner_id, client_ip, method, route, json.dumps(details), dedup_hash, at
    )
    row = one(row)
    return int(row["id"]), int(row["count"])


# The current and previous window's counts after counting this call, in one round trip.
_HIT = """
WITH cur AS (
    INSERT INTO rate_limit_counters AS c (bucket, window_start, count) VALUES ($1, $2, 1)
    ON CONFLICT (bucket, window_start) DO UPDATE SET count = c.count + 1
    RETURNING count
)
SELECT (SELECT count FROM cur) AS current,
       coalesce((SELECT count FROM rate_limit_counters WHERE bucket = $1 AND window_start = $3), 0)
           AS previous
"""


async def hit(conn: Connection, bucket: str, start: int, length: int) -> tuple[int, int]:
    """Count one call in the window starting at epoch second `start`; (its count, the previous one's)."""
    row = await conn.fetchrow(_HIT, bucket, start, start - length)
    row = one(row)
    return int(row["current"]), int(row["previous"])


async def unhit(conn: Connection, bucket: str, start: int) -> None:
    """Take back a call that was refused."""
    await conn.execute(
        "UPDATE rate_limit_counters SET count = count - 1 "
        "WHERE bucket = $1 AND window_start = $2 AND count > 0",
        bucket,
        start,
    )


async def purge(
    conn: Connection, *, events_before: datetime, minutes_before: datetime, window_before: int
) -> None:
    """Forget old events, minute buckets, rate-limit windows (before epoch second `window_before`)."""
    await conn.execute("DELETE FROM security_events WHERE last_seen_at < $1", events_before)
    await conn.execute("DELETE FROM security_event_minutes WHERE minute < $1", minutes_before)
    await conn.execute("DELETE FROM rate_limit_counters WHERE window_start < $1", window_before)
    await conn.execute("DELETE FROM security_blocks WHERE until < now()")


async def counts_since(conn: Connection, since: datetime) -> list[Record]:
    """(type, severity, count) over minute buckets from `since`."""
    return list(
        await conn.fetch(
            "SELECT type, severity, sum(count)::bigint AS n FROM security_event_minutes "
            "WHERE minute >= $1 GROUP BY type, severity",
            since,
        )
    )


async def block(conn: Connection, ip: IP, until: datetime, reason: str, at: datetime) -> None:
    """Block an IP until `until` (extending an existing block)."""
    await conn.execute(
        "INSERT INTO security_blocks AS b (client_ip, until, reason, created_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (client_ip) DO UPDATE SET until = greatest(b.until, EXCLUDED.until), reason = $3",
        ip,
        until,
        reason,
        at,
    )


async def active_blocks(conn: Connection, at: datetime) -> list[Record]:
    """Blocks still in force."""
    return list(await conn.fetch("SELECT client_ip, until FROM security_blocks WHERE until > $1", at))


async def list_events(
    conn: Connection, *, type: str | None, since: datetime | None, before_id: int | None, limit: int
) -> list[Any]:
    """Events newest first (by id), filtered; keyset paging with `before_id`."""
    return list(
        await conn.fetch(
            "SELECT id, type, severity, partner_id, host(client_ip) AS client_ip, method, route, details, "
            "day, count, first_seen_at, last_seen_at FROM security_events "
            "WHERE ($1::text IS NULL OR type = $1) AND ($2::timestamptz IS NULL OR last_seen_at >= $2) "
            "AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $4",
            type,
            since,
            before_id,
            limit,
        )
    )
