"""SQL for acknowledgements (one current ack per alert episode; un-acks are kept for the history)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from daemon.db.types import Connection

ACK_TRIES = 3
_COLS = "id, fingerprint, alertname, episode, acked_by, comment, acked_at, unacked_by, unacked_at"


async def add(
    conn: Connection, fingerprint: str, alertname: str, episode: int, by: str, comment: str, now: datetime
) -> tuple[dict[str, Any], bool]:
    """(the episode's current ack, whether this call made it)."""
    for _ in range(ACK_TRIES):
        row = await conn.fetchrow(
            f"""
            INSERT INTO alert_acks (fingerprint, alertname, episode, acked_by, comment, acked_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (fingerprint, episode) WHERE unacked_at IS NULL DO NOTHING RETURNING {_COLS}
            """,  # noqa: S608 (constant columns)
            fingerprint,
            alertname,
            episode,
            by,
            comment,
            now,
        )
        if row is not None:
            return dict(row), True
        existing = await conn.fetchrow(
            f"SELECT {_COLS} FROM alert_acks WHERE fingerprint = $1 AND episode = $2 "  # noqa: S608
            "AND unacked_at IS NULL",
            fingerprint,
            episode,
        )
        if existing is not None:
            return dict(existing), False
        # The ack that stopped ours was removed before we read it (each statement sees the latest
        # commits): the episode is free again, so try to make ours.
    raise LookupError("the episode's ack kept changing while this one was being made")


async def remove(
    conn: Connection, fingerprint: str, episode: int, by: str, now: datetime
) -> dict[str, Any] | None:
    """Un-acknowledge the episode; None when it was not acknowledged."""
    row = await conn.fetchrow(
        f"""
        UPDATE alert_acks SET unacked_by = $3, unacked_at = $4
        WHERE fingerprint = $1 AND episode = $2 AND unacked_at IS NULL RETURNING {_COLS}
        """,  # noqa: S608 (constant columns)
        fingerprint,
        episode,
        by,
        now,
    )
    return dict(row) if row is not None else None


async def current(conn: Connection, fingerprints: list[str]) -> list[dict[str, Any]]:
    """The standing acks of these alerts (any episode: callers match the current one)."""
    if not fingerprints:
        return []
    rows = await conn.fetch(
        f"SELECT {_COLS} FROM alert_acks "  # noqa: S608 (constant columns)
        "WHERE fingerprint = ANY($1::text[]) AND unacked_at IS NULL",
        fingerprints,
    )
    return [dict(r) for r in rows]


async def events(
    conn: Connection, *, since: datetime | None, until: datetime | None, limit: int
) -> list[dict[str, Any]]:
    """Ack and un-ack events in [since, until), newest first."""
    rows = await conn.fetch(
        """
        SELECT * FROM (
            SELECT id, 'acknowledged' AS kind, fingerprint, alertname, episode, acked_by AS actor, comment,
                acked_at AS at FROM alert_acks
            UNION ALL
            SELECT id, 'unacknowledged', fingerprint, alertname, episode, unacked_by, '', unacked_at
            FROM alert_acks WHERE unacked_at IS NOT NULL
        ) e
        WHERE ($1::timestamptz IS NULL OR at >= $1) AND ($2::timestamptz IS NULL OR at < $2)
        ORDER BY at DESC, id DESC LIMIT $3
        """,
        since,
        until,
        limit,
    )
    return [dict(r) for r in rows]


async def created_at(conn: Connection, outbox_id: int) -> datetime | None:
    """When a notification was queued (the history page boundary)."""
    value: datetime | None = await conn.fetchval(
        "SELECT created_at FROM alert_outbox WHERE id = $1", outbox_id
    )
    return value


async def instance(conn: Connection, fingerprint: str) -> dict[str, Any] | None:
    """The stored state of one alert instance."""
    row = await conn.fetchrow(
        "SELECT fingerprint, rule, labels, state, fired_at FROM alert_instances WHERE fingerprint = $1",
        fingerprint,
    )
    if row is None:
        return None
    d = dict(row)
    d["labels"] = json.loads(d["labels"])
    return d
