"""SQL for alerts: instance state, the outbox (which is also the history) and silences."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from daemon.db.types import Connection

_INSTANCE_COLS = (
    "fingerprint, rule, labels, state, active_at, fired_at, resolved_at, keep_since, "
    "last_sent_at, seq, value, annotations, muted"
)


async def load_instances(conn: Connection) -> list[dict[str, Any]]:
    """Every persisted instance."""
    rows = await conn.fetch(f"SELECT {_INSTANCE_COLS} FROM alert_instances")  # noqa: S608 (constant columns)
    out = []
    for r in rows:
        d = dict(r)
        d["labels"], d["annotations"] = json.loads(d["labels"]), json.loads(d["annotations"])
        out.append(d)
    return out


async def save_instances(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Upsert changed instances."""
    if not rows:
        return
    await conn.executemany(
        """
        INSERT INTO alert_instances (fingerprint, rule, labels, state, active_at, fired_at, resolved_at,
            keep_since, last_sent_at, seq, value, annotations, muted, updated_at)
        VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, now())
        ON CONFLICT (fingerprint) DO UPDATE SET state = $4, active_at = $5, fired_at = $6,
            resolved_at = $7, keep_since = $8, last_sent_at = $9, seq = $10, value = $11,
            annotations = $12::jsonb, muted = $13, updated_at = now()
        """,
        [
            (
                r["fingerprint"],
                r["rule"],
                json.dumps(r["labels"]),
                r["state"],
                r["active_at"],
                r["fired_at"],
                r["resolved_at"],
                r["keep_since"],
                r["last_sent_at"],
                r["seq"],
                r["value"],
                json.dumps(r["annotations"]),
                r["muted"],
            )
            for r in rows
        ],
    )


async def delete_instances(conn: Connection, fingerprints: list[str]) -> None:
    """Forget instances."""
    if fingerprints:
        await conn.execute("DELETE FROM alert_instances WHERE fingerprint = ANY($1::text[])", fingerprints)


_OUTBOX_INSERT = """
        INSERT INTO alert_outbox (notification_id, receiver, alertname, fingerprint, status, payload,
            created_at, due_at)
        VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $7)
        """


def _outbox_args(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The INSERT's parameters for each notification row."""
    keys = ("notification_id", "receiver", "alertname", "fingerprint", "status")
    return [(*(r[k] for k in keys), json.dumps(r["payload"]), r["created_at"]) for r in rows]


async def enqueue(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Add notifications; a notification id already present is kept as it is (idempotent)."""
    if not rows:
        return
    await conn.executemany(
        _OUTBOX_INSERT + "ON CONFLICT (receiver, notification_id) DO NOTHING",
        _outbox_args(rows),
    )


async def enqueue_resends(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Add re-sends, or re-arm the episode's earlier one with the newer payload (one row per episode)."""
    if not rows:
        return
    await conn.executemany(
        _OUTBOX_INSERT
        + """ON CONFLICT (receiver, notification_id) DO UPDATE SET payload = EXCLUDED.payload,
            created_at = EXCLUDED.created_at, due_at = EXCLUDED.due_at, outcome = 'pending', attempts = 0,
            last_error = NULL, http_status = NULL, sent_at = NULL""",
        _outbox_args(rows),
    )


async def install_id(conn: Connection) -> str | None:
    """This database's install id (None before migration 0013)."""
    exists = await conn.fetchval("SELECT to_regclass('tronwatch_install') IS NOT NULL")
    if not exists:
        return None
    value: str | None = await conn.fetchval("SELECT install_id FROM tronwatch_install")
    return value


async def claim(conn: Connection, now: datetime, lease_until: datetime, limit: int) -> list[dict[str, Any]]:
    """Take due rows no other sender holds; they come back after `lease_until` if this sender dies."""
    rows = await conn.fetch(
        """
        UPDATE alert_outbox o SET due_at = $2, attempts = o.attempts + 1
        FROM (SELECT id FROM alert_outbox WHERE outcome = 'pending' AND due_at <= $1
              ORDER BY due_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) due
        WHERE o.id = due.id
        RETURNING o.id, o.notification_id, o.receiver, o.alertname, o.fingerprint, o.status, o.payload,
            o.created_at, o.attempts, (SELECT install_id FROM tronwatch_install) AS install_id
        """,
        now,
        lease_until,
        limit,
    )
    out = []
    for r in rows:
        d = dict(r)
        d["payload"] = json.loads(d["payload"])
        out.append(d)
    return out


async def mark_sent(conn: Connection, ids: list[int], now: datetime, http_status: int | None) -> None:
    """Delivered."""
    await conn.execute(
        "UPDATE alert_outbox SET outcome = 'sent', sent_at = $2, http_status = $3, last_error = NULL "
        "WHERE id = ANY($1::bigint[])",
        ids,
        now,
        http_status,
    )


async def mark_retry(
    conn: Connection, ids: list[int], due: datetime, error: str, http_status: int | None
) -> None:
    """Try again at `due`."""
    await conn.execute(
        "UPDATE alert_outbox SET due_at = $2, last_error = $3, http_status = $4 WHERE id = ANY($1::bigint[])",
        ids,
        due,
        error[:500],
        http_status,
    )


async def defer(conn: Connection, ids: list[int], due: datetime) -> None:
    """Hand claimed rows back untried (our own rate limit): the claim does not count as an attempt."""
    await conn.execute(
        "UPDATE alert_outbox SET due_at = $2, attempts = greatest(0, attempts - 1) "
        "WHERE id = ANY($1::bigint[])",
        ids,
        due,
    )


async def mark_failed(
    conn: Connection, ids: list[int], now: datetime, error: str, http_status: int | None
) -> None:
    """Given up (permanent error or too many attempts)."""
    await conn.execute(
        "UPDATE alert_outbox SET outcome = 'failed', sent_at = $2, last_error = $3, http_status = $4 "
        "WHERE id = ANY($1::bigint[])",
        ids,
        now,
        error[:500],
        http_status,
    )


async def queue_depth(conn: Connection) -> int:
    """Notifications not yet delivered or given up."""
    n: int = await conn.fetchval("SELECT count(*) FROM alert_outbox WHERE outcome = 'pending'")
    return n


async def history(
    conn: Connection, *, before_id: int | None, limit: int, receiver: str | None
) -> list[dict[str, Any]]:
    """Notifications, newest first."""
    rows = await conn.fetch(
        """
        SELECT id, notification_id, receiver, alertname, fingerprint, status, payload, created_at,
            attempts, outcome, last_error, http_status, sent_at
        FROM alert_outbox
        WHERE ($1::bigint IS NULL OR id < $1) AND ($2::text IS NULL OR receiver = $2)
        ORDER BY id DESC LIMIT $3
        """,
        before_id,
        receiver,
        limit,
    )
    out = []
    for r in rows:
        d = dict(r)
        d["payload"] = json.loads(d["payload"])
        out.append(d)
    return out


async def prune_history(conn: Connection, older_than: datetime) -> int:
    """Drop finished notifications older than the retention."""
    status: str = await conn.execute(
        "DELETE FROM alert_outbox WHERE outcome <> 'pending' AND created_at < $1", older_than
    )
    return int(status.split()[-1])


async def request_reload(conn: Connection) -> datetime:
    """Record a rules reload for the evaluator, wherever it runs; returns the request's time."""
    stamp: datetime = await conn.fetchval(
        "INSERT INTO alert_rules_reload (requested_at) VALUES (clock_timestamp()) "
        "ON CONFLICT (id) DO UPDATE SET requested_at = EXCLUDED.requested_at RETURNING requested_at"
    )
    return stamp


async def reload_requested_at(conn: Connection) -> datetime | None:
    """The last recorded reload request (None before the first)."""
    stamp: datetime | None = await conn.fetchval("SELECT requested_at FROM alert_rules_reload")
    return stamp


async def load_groups(conn: Connection) -> list[dict[str, Any]]:
    """Every persisted aggregation group (its timers and members)."""
    rows = await conn.fetch("SELECT doc FROM alert_groups")
    return [json.loads(r["doc"]) for r in rows]


async def save_groups(conn: Connection, docs: list[dict[str, Any]], removed: list[str]) -> None:
    """Upsert changed groups and drop the emptied ones."""
    if removed:
        await conn.execute("DELETE FROM alert_groups WHERE id = ANY($1::text[])", removed)
    if docs:
        await conn.executemany(
            """
            INSERT INTO alert_groups (id, receiver, group_key, doc, updated_at)
            VALUES ($1, $2, $3, $4::jsonb, now())
            ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc, updated_at = now()
            """,
            [
                (d["id"], d["receiver"], d["key"], json.dumps({k: v for k, v in d.items() if k != "id"}))
                for d in docs
            ],
        )
