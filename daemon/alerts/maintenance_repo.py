"""SQL for maintenance windows."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from daemon.alerts.maintenance import Window
from daemon.db.types import Connection, Record, one

_COLS = (
    "id, matchers, starts_at, ends_at, end_when_resolved, affects_withdrawals, comment, created_by, "
    "created_at, saw_firing_at, ended_at, end_reason"
)


def _row(r: Record) -> dict[str, Any]:
    d = dict(r)
    d["matchers"] = json.loads(d["matchers"])
    return d


async def add(conn: Connection, fields: dict[str, Any]) -> dict[str, Any]:
    """A new window."""
    row = await conn.fetchrow(
        f"""
        INSERT INTO alert_maintenance (matchers, starts_at, ends_at, end_when_resolved, affects_withdrawals,
            comment, created_by)
        VALUES ($1::jsonb, $2, $3, $4, $5, $6, $7) RETURNING {_COLS}
        """,  # noqa: S608 (constant columns)
        json.dumps(fields["matchers"]),
        fields["starts_at"],
        fields["ends_at"],
        fields["end_when_resolved"],
        fields["affects_withdrawals"],
        fields["comment"],
        fields["created_by"],
    )
    return _row(one(row))


async def get(conn: Connection, window_id: int) -> dict[str, Any] | None:
    """One window."""
    row = await conn.fetchrow(
        f"SELECT {_COLS} FROM alert_maintenance WHERE id = $1",  # noqa: S608 (constant columns)
        window_id,
    )
    return _row(row) if row is not None else None


async def listing(
    conn: Connection, *, not_ended_at: datetime | None = None, limit: int = 1000
) -> list[dict[str, Any]]:
    """Windows newest first (only those not yet over at `not_ended_at`, when given)."""
    rows = await conn.fetch(
        f"""
        SELECT {_COLS} FROM alert_maintenance
        WHERE $1::timestamptz IS NULL OR (ended_at IS NULL AND ends_at > $1)
        ORDER BY id DESC LIMIT $2
        """,  # noqa: S608 (constant columns)
        not_ended_at,
        limit,
    )
    return [_row(r) for r in rows]


async def end(conn: Connection, window_id: int, now: datetime, reason: str) -> dict[str, Any] | None:
    """End a window now (a window already over keeps its end); None when there is no such window."""
    row = await conn.fetchrow(
        f"""
        UPDATE alert_maintenance SET ended_at = $2, end_reason = $3
        WHERE id = $1 AND ended_at IS NULL AND ends_at > $2 RETURNING {_COLS}
        """,  # noqa: S608 (constant columns)
        window_id,
        now,
        reason,
    )
    if row is not None:
        return _row(row)
    return await get(conn, window_id)


async def mark_saw_firing(conn: Connection, ids: list[int], now: datetime) -> None:
    """Windows that have now muted a firing alert (end_when_resolved arms)."""
    if ids:
        await conn.execute(
            "UPDATE alert_maintenance SET saw_firing_at = $2 WHERE id = ANY($1::bigint[]) "
            "AND saw_firing_at IS NULL",
            ids,
            now,
        )


async def end_resolved(conn: Connection, ids: list[int], now: datetime) -> None:
    """End windows whose alerts have resolved."""
    if ids:
        await conn.execute(
            "UPDATE alert_maintenance SET ended_at = $2, end_reason = 'resolved' "
            "WHERE id = ANY($1::bigint[]) AND ended_at IS NULL",
            ids,
            now,
        )


async def current(conn: Connection, now: datetime) -> list[Window]:
    """Windows not over at `now` (active or scheduled), for the evaluator."""
    return [
        Window(
            r["id"],
            r["matchers"],
            r["starts_at"],
            r["ends_at"],
            r["end_when_resolved"],
            r["saw_firing_at"] is not None,
        )
        for r in await listing(conn, not_ended_at=now)
    ]


async def upcoming_for_withdrawals(
    conn: Connection, now: datetime, horizon: datetime
) -> list[dict[str, Any]]:
    """Windows marked affects_withdrawals that are active or start before `horizon`, soonest first."""
    rows = await conn.fetch(
        f"""
        SELECT {_COLS} FROM alert_maintenance
        WHERE affects_withdrawals AND ended_at IS NULL AND ends_at > $1 AND starts_at < $2
        ORDER BY starts_at LIMIT 5
        """,  # noqa: S608 (constant columns)
        now,
        horizon,
    )
    return [_row(r) for r in rows]
