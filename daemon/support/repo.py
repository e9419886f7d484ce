"""SQL for support tickets, their messages and events."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from daemon.alerts.outbox_port import enqueue_from
from daemon.db.types import Connection, Record
from daemon.observability.profiler import profiled

# Every column a ticket update may change, in the order save_ticket binds them ($2..$19).
MUTABLE = (
    "category",
    "category_source",
    "priority",
    "priority_source",
    "status",
    "assigned_to",
    "updated_at",
    "last_activity_at",
    "resolved_at",
    "closed_at",
    "first_response_due_at",
    "resolution_due_at",
    "first_responded_at",
    "first_response_breached_at",
    "resolution_breached_at",
    "sla_paused_at",
    "sla_paused_seconds",
    "awaiting_reply_since",
)
# Atomic with the ticket: no notification for a rolled-back ticket, none lost for a committed one.
_CREATED_NOTIFICATIONS = enqueue_from(
    "SELECT 'ticket:' || t.id || ':created', r, 'TicketCreated', 'TicketCreated:' || t.id, 'firing', "
    "replace($14, $15, t.id::text)::jsonb, $8 FROM t, unnest($13::text[]) r"
)
# (field, from, to, detail) of one audit-trail entry.
EventRow = tuple[str, str | None, str | None, dict[str, Any] | None]


def _row(record: Any) -> dict[str, Any]:
    out = dict(record)
    for key in ("attachments", "detail"):
        value = out.get(key)
        if isinstance(value, str):
            # Most tickets have no attachments; skipping the parser for them is a measurable win in lists.
            out[key] = [] if value == "[]" else json.loads(value)
    return out


@profiled("db.ticket_insert")
async def insert_ticket(
    conn: Connection,
    t: dict[str, Any],
    actor_id: int,
    detail: dict[str, Any],
    receivers: list[str] | None = None,
    template: str = "{}",
    placeholder: str = "",
    *,
    api_json_tail: str,
    full: bool = True,
) -> dict[str, Any]:
    """Insert a ticket, its `created` event and its notifications (outbox rows) in one statement.

    `placeholder` in `template` becomes the new ticket's id; the caller picks one the ticket's text lacks.
    `api_json_tail` is the ticket's API JSON after its id (`,"partner_id":...}`). Without `full`, only the
    ticket's id, stored API JSON, category and priority come back.
    """
    row = await conn.fetchrow(
        # The id is taken first so the JSON can name it: the trigger's plpgsql call is not paid for.
        "WITH n AS (SELECT nextval('support_tickets_id_seq') AS id), "  # noqa: S608
        "t AS (INSERT INTO support_tickets (id, partner_id, title, description, attachments, category, "
        "category_source, priority, priority_source, requested_priority, status, created_at, updated_at, "
        "last_activity_at, first_response_due_at, resolution_due_at, awaiting_reply_since, api_json) "
        "OVERRIDING SYSTEM VALUE VALUES ((SELECT id FROM n), $1, $2, $3, $4::jsonb, $5, 'auto', $6, 'auto', "
        "$7, 'open', $8, $8, $8, $9, $10, $8, '{\"id\":' || (SELECT id FROM n) || $16::text) RETURNING *), "
        "e AS (INSERT INTO ticket_events (ticket_id, actor_type, actor_id, field, to_value, detail, "
        "created_at) SELECT id, 'partner', $11, 'created', 'open', $12::jsonb, $8 FROM t), "
        f"o AS ({_CREATED_NOTIFICATIONS}) "
        # Two constant tails. Without `full`: what a plain create answers with and counts by, no wide row.
        + ("SELECT * FROM t" if full else "SELECT id, api_json, category, priority FROM t"),
        t["partner_id"],
        t["title"],
        t["description"],
        json.dumps(t["attachments"]),
        t["category"],
        t["priority"],
        t["requested_priority"],
        t["created_at"],
        t["first_response_due_at"],
        t["resolution_due_at"],
        actor_id,
        json.dumps(detail, ensure_ascii=False),
        receivers or [],
        template,
        placeholder,
        api_json_tail,
    )
    return _row(row)


_GET = "SELECT * FROM support_tickets WHERE id = $1 AND ($2::bigint IS NULL OR partner_id = $2)"
_GET_LOCKED = (
    "SELECT * FROM support_tickets WHERE id = $1 AND ($2::bigint IS NULL OR partner_id = $2) FOR UPDATE"
)


async def get_ticket(
    conn: Connection, ticket_id: int, *, partner_id: int | None, lock: bool = False
) -> dict[str, Any] | None:
    """One ticket; with `partner_id`, only if that partner owns it. `lock` takes a row lock."""
    row = await conn.fetchrow(_GET_LOCKED if lock else _GET, ticket_id, partner_id)
    return None if row is None else _row(row)


async def save_ticket(conn: Connection, ticket: dict[str, Any]) -> dict[str, Any]:
    """Write every mutable column of `ticket` back."""
    row = await conn.fetchrow(
        "UPDATE support_tickets SET category = $2, category_source = $3, priority = $4, "
        "priority_source = $5, status = $6, assigned_to = $7, updated_at = $8, last_activity_at = $9, "
        "resolved_at = $10, "
        "closed_at = $11, first_response_due_at = $12, resolution_due_at = $13, first_responded_at = $14, "
        "first_response_breached_at = $15, resolution_breached_at = $16, sla_paused_at = $17, "
        "sla_paused_seconds = $18, awaiting_reply_since = $19 WHERE id = $1 RETURNING *",
        ticket["id"],
        *(ticket[col] for col in MUTABLE),
    )
    return _row(row)


async def insert_events(
    conn: Connection,
    ticket_id: int,
    actor_type: str,
    actor_id: int | None,
    events: list[EventRow],
    at: datetime,
) -> None:
    """Append audit-trail entries."""
    await conn.executemany(
        "INSERT INTO ticket_events (ticket_id, actor_type, actor_id, field, from_value, to_value, detail, "
        "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)",
        [
            (ticket_id, actor_type, actor_id, f, old, new, None if d is None else json.dumps(d), at)
            for f, old, new, d in events
        ],
    )


async def insert_message(conn: Connection, m: dict[str, Any]) -> dict[str, Any]:
    """Append a thread entry."""
    row = await conn.fetchrow(
        "INSERT INTO ticket_messages (ticket_id, sender_type, sender_id, message, attachments, internal, "
        "created_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7) RETURNING *",
        m["ticket_id"],
        m["sender_type"],
        m["sender_id"],
        m["message"],
        json.dumps(m["attachments"]),
        m["internal"],
        m["created_at"],
    )
    return _row(row)


async def list_messages(
    conn: Connection, ticket_id: int, *, after_id: int, limit: int, internal: bool
) -> list[dict[str, Any]]:
    """Thread entries oldest first; internal notes only when asked."""
    rows = await conn.fetch(
        "SELECT * FROM ticket_messages WHERE ticket_id = $1 AND id > $2 AND (NOT internal OR $3) "
        "ORDER BY id LIMIT $4",
        ticket_id,
        after_id,
        internal,
        limit,
    )
    return [_row(r) for r in rows]


async def list_events(conn: Connection, ticket_id: int, *, after_id: int, limit: int) -> list[dict[str, Any]]:
    """Audit-trail entries oldest first."""
    rows = await conn.fetch(
        "SELECT * FROM ticket_events WHERE ticket_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        ticket_id,
        after_id,
        limit,
    )
    return [_row(r) for r in rows]


async def admin_exists(conn: Connection, admin_id: int) -> bool:
    """Whether an admin with this id exists."""
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM admins WHERE id = $1)", admin_id))


async def mark_breaches(conn: Connection, now: datetime) -> list[dict[str, Any]]:
    """Mark tickets whose running SLA clock passed a deadline; one `sla` event each. Returns them."""
    rows = await conn.fetch(
        "WITH b AS (UPDATE support_tickets SET "
        "first_response_breached_at = CASE WHEN first_responded_at IS NULL AND first_response_due_at <= $1 "
        "THEN coalesce(first_response_breached_at, $1) ELSE first_response_breached_at END, "
        "resolution_breached_at = CASE WHEN resolution_due_at <= $1 "
        "THEN coalesce(resolution_breached_at, $1) ELSE resolution_breached_at END "
        "WHERE status IN ('open', 'in_progress') AND sla_paused_at IS NULL AND ("
        "(first_responded_at IS NULL AND first_response_breached_at IS NULL AND first_response_due_at <= $1) "
        "OR (resolution_breached_at IS NULL AND resolution_due_at <= $1)) "
        "RETURNING id, partner_id, priority, first_response_breached_at = $1 AS first_response, "
        "resolution_breached_at = $1 AS resolution), "
        "e AS (INSERT INTO ticket_events (ticket_id, actor_type, field, to_value, created_at) "
        "SELECT id, 'system', 'sla', CASE WHEN first_response AND resolution THEN 'breached:both' "
        "WHEN first_response THEN 'breached:first_response' ELSE 'breached:resolution' END, $1 FROM b) "
        "SELECT * FROM b ORDER BY id",
        now,
    )
    return [dict(r) for r in rows]


async def resolved_before(conn: Connection, before: datetime, limit: int) -> list[dict[str, Any]]:
    """Resolved tickets that have stayed resolved since `before` (locked, skipping busy rows)."""
    rows = await conn.fetch(
        "SELECT * FROM support_tickets WHERE status = 'resolved' AND resolved_at < $1 "
        "ORDER BY resolved_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        before,
        limit,
    )
    return [_row(r) for r in rows]


async def active_figures(conn: Connection) -> list[Record]:
    """Per priority over unresolved tickets: count, breached count, oldest unanswered partner message."""
    rows: list[Record] = await conn.fetch(
        "SELECT priority, count(*) AS open, "
        "count(*) FILTER (WHERE first_response_breached_at IS NOT NULL "
        "OR resolution_breached_at IS NOT NULL) AS breached, "
        "min(awaiting_reply_since) FILTER (WHERE status IN ('open', 'in_progress')) AS awaiting "
        "FROM support_tickets WHERE status IN ('open', 'in_progress', 'pending') GROUP BY priority"
    )
    return rows


async def partner_has_tickets(conn: Connection, partner_id: int) -> bool:
    """Whether this partner ever opened a ticket."""
    return bool(
        await conn.fetchval("SELECT EXISTS (SELECT 1 FROM support_tickets WHERE partner_id = $1)", partner_id)
    )
