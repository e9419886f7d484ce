"""Silences in PostgreSQL: create, list, expire."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from daemon.db.types import Connection, Record, one


async def add_silence(
    conn: Connection,
    matchers: dict[str, str] | list[str],
    starts: datetime,
    ends: datetime,
    by: str,
    comment: str,
) -> dict[str, Any]:
    """A new silence."""
    row = await conn.fetchrow(
        """
        INSERT INTO alert_silences (matchers, starts_at, ends_at, created_by, comment, created_at)
        VALUES ($1::jsonb, $2, $3, $4, $5, now())
        RETURNING id, matchers, starts_at, ends_at, created_by, comment, created_at
        """,
        json.dumps(matchers),
        starts,
        ends,
        by,
        comment,
    )
    return _silence(one(row))


async def silences(conn: Connection, *, since: datetime | None) -> list[dict[str, Any]]:
    """Silences (those ending after `since`, or all), newest first."""
    rows = await conn.fetch(
        "SELECT id, matchers, starts_at, ends_at, created_by, comment, created_at FROM alert_silences "
        "WHERE $1::timestamptz IS NULL OR ends_at > $1 ORDER BY id DESC LIMIT 1000",
        since,
    )
    return [_silence(r) for r in rows]


async def expire_silence(conn: Connection, silence_id: int, now: datetime) -> bool:
    """End a silence now; False when there is no such silence."""
    status: str = await conn.execute(
        "UPDATE alert_silences SET ends_at = "
        "greatest(starts_at + interval '1 millisecond', least(ends_at, $2)) WHERE id = $1",
        silence_id,
        now,
    )
    return status.endswith(" 1")


def _silence(row: Record) -> dict[str, Any]:
    d = dict(row)
    d["matchers"] = json.loads(d["matchers"])
    return d
