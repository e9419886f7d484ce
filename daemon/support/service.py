"""Ticket operations: create, change, reply and list, with the audit trail; no HTTP here."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from daemon.db.types import Connection
from daemon.errors import Conflict, Forbidden, NotFound, ValidationFailed
from daemon.support import lifecycle, list_repo, notify_outbox, repo
from daemon.support.classify import Rules
from daemon.support.models import Attachment, MessageCreate, Ticket, TicketCreate, TicketPatch, TicketQuery
from daemon.support.settings import SupportSettings

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A keyset after every ticket: the first page binds it like any cursor (see list_repo.LIST_FOR_PARTNER).
FIRST_PAGE = (datetime(9999, 12, 31, tzinfo=UTC), 2**63 - 1)


@dataclass(frozen=True)
class Actor:
    """Who acts: a partner (by partner id) or an admin (by admin id)."""

    role: Literal["partner", "admin"]
    id: int

    @property
    def owner_scope(self) -> int | None:
        """The partner whose tickets this actor may see; None for admins (all)."""
        return self.id if self.role == "partner" else None


def check_attachments(attachments: list[Attachment], max_bytes: int) -> list[dict[str, Any]]:
    """The attachments as stored; 422 naming the first one over the size limit."""
    for i, a in enumerate(attachments):
        if a.size_bytes > max_bytes:
            raise ValidationFailed(
                f"attachment {a.filename!r} is {a.size_bytes} bytes; the limit is {max_bytes}",
                field=f"attachments.{i}.size_bytes",
            )
    return [a.model_dump() for a in attachments]


async def create_ticket(
    conn: Connection,
    actor: Actor,
    body: TicketCreate,
    now: datetime,
    cfg: SupportSettings,
    rules: Rules,
    receivers: list[str] | None = None,
    external_url: str = "",
    *,
    full: bool = True,
) -> dict[str, Any]:
    """A new open ticket, classified, with its SLA deadlines, a `created` event and its notifications.

    Without `full`, the row has only id, api_json, category and priority.
    """
    attachments = check_attachments(body.attachments, cfg.attachment_max_bytes)
    c = rules.classify(body.title, body.description, body.priority)
    first, resolution = lifecycle.due_times(now, c.priority, 0.0, cfg.sla)
    ticket = {
        "partner_id": actor.id,
        "title": body.title,
        "description": body.description,
        "attachments": attachments,
        "category": c.category,
        "priority": c.priority,
        "requested_priority": body.priority,
        "created_at": now,
        "first_response_due_at": first,
        "resolution_due_at": resolution,
    }
    detail = {
        "priority": c.priority,
        "priority_keywords": list(c.priority_keywords),
        "category": c.category,
        "category_scores": c.category_scores,
    }
    template, ticket_id = ("{}", "")
    if receivers:
        template, ticket_id = notify_outbox.created_template(ticket, now, external_url)
    tail = _api_json_tail(ticket, now)
    return await repo.insert_ticket(
        conn, ticket, actor.id, detail, receivers, template, ticket_id, api_json_tail=tail, full=full
    )


_ID_HEAD = '{"id":0'
# What every new ticket has, beside the values create_ticket chose.
_NEW: dict[str, Any] = {
    "status": "open",
    "priority_source": "auto",
    "category_source": "auto",
    "assigned_to": None,
    "sla_paused": False,
    "sla_paused_seconds": 0.0,
    **dict.fromkeys(("resolved_at", "closed_at", "first_responded_at")),
    **dict.fromkeys(("first_response_breached_at", "resolution_breached_at")),
}


def _api_json_tail(ticket: dict[str, Any], now: datetime) -> str:
    """A new ticket's API JSON (as GET renders the Ticket model) after its id, which the INSERT adds."""
    model = Ticket(id=0, **ticket, **_NEW, updated_at=now, last_activity_at=now)
    text = model.__pydantic_serializer__.to_json(model).decode()
    assert text.startswith(_ID_HEAD)  # id is the model's first field
    return text[len(_ID_HEAD) :]


async def get_ticket(conn: Connection, actor: Actor, ticket_id: int, *, lock: bool = False) -> dict[str, Any]:
    """The ticket if this actor may see it; another partner's ticket does not exist for them."""
    row = await repo.get_ticket(conn, ticket_id, partner_id=actor.owner_scope, lock=lock)
    if row is None:
        raise NotFound(f"ticket {ticket_id} does not exist")
    return row


async def update_ticket(
    conn: Connection, actor: Actor, ticket_id: int, patch: TicketPatch, now: datetime, cfg: SupportSettings
) -> dict[str, Any]:
    """Apply a PATCH: admins change anything; partners close, or reopen a pending/resolved ticket."""
    given = patch.model_fields_set
    if not given:
        raise ValidationFailed("send at least one of status, priority, category, assigned_to", field="(body)")
    forbidden = sorted(given - {"status"}) if actor.role == "partner" else []
    if forbidden:
        raise Forbidden(
            f"partners cannot change {forbidden[0]}; an admin triages tickets", field=forbidden[0]
        )
    if "status" in given and patch.status is None:
        raise ValidationFailed("status cannot be null", field="status")
    if "priority" in given and patch.priority is None:
        raise ValidationFailed("priority cannot be null", field="priority")
    if "category" in given and patch.category is None:
        raise ValidationFailed("category cannot be null", field="category")
    row = await get_ticket(conn, actor, ticket_id, lock=True)
    if row["status"] == "closed":
        if given == {"status"} and patch.status == "closed":
            return row  # closing again changes nothing
        lifecycle.check_transition(actor.role, "closed", patch.status or "closed")
    new, events = dict(row), list[repo.EventRow]()
    if patch.priority is not None and (
        patch.priority != row["priority"] or row["priority_source"] != "manual"
    ):
        new |= lifecycle.priority_change(new, patch.priority, now, cfg.sla) | {"priority_source": "manual"}
        events.append(("priority", row["priority"], patch.priority, None))
    if patch.category is not None and (
        patch.category != row["category"] or row["category_source"] != "manual"
    ):
        new |= {"category": patch.category, "category_source": "manual", "updated_at": now}
        events.append(("category", row["category"], patch.category, None))
    if "assigned_to" in given and patch.assigned_to != row["assigned_to"]:
        if patch.assigned_to is not None and not await repo.admin_exists(conn, patch.assigned_to):
            raise ValidationFailed(f"admin {patch.assigned_to} does not exist", field="assigned_to")
        new |= {"assigned_to": patch.assigned_to, "updated_at": now}
        events.append(("assigned_to", _text(row["assigned_to"]), _text(patch.assigned_to), None))
    if patch.status is not None and patch.status != row["status"]:
        lifecycle.check_transition(actor.role, row["status"], patch.status)
        new, event = _move(new, patch.status, now, cfg)
        events.append(event)
    if not events:
        return row  # nothing differs: PATCH is idempotent
    await repo.insert_events(conn, ticket_id, actor.role, actor.id, events, now)
    return await repo.save_ticket(conn, new)


def _move(
    row: dict[str, Any], target: Any, now: datetime, cfg: SupportSettings
) -> tuple[dict[str, Any], Any]:
    """The row after a (checked) status change, and its event."""
    new = row | lifecycle.status_change(row, target, now, cfg.sla)
    if target == "resolved":
        new |= lifecycle.resolution(row, now)
    return new, ("status", row["status"], target, None)


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


async def add_message(
    conn: Connection, actor: Actor, ticket_id: int, body: MessageCreate, now: datetime, cfg: SupportSettings
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Append a reply or note and apply its effects on status and SLA; returns (message, ticket)."""
    if actor.role == "partner" and body.internal:
        raise Forbidden("only admins can post internal notes", field="internal")
    if actor.role == "partner" and body.status is not None:
        raise Forbidden("partners change status with PATCH (close) or by replying (reopen)", field="status")
    attachments = check_attachments(body.attachments, cfg.attachment_max_bytes)
    row = await get_ticket(conn, actor, ticket_id, lock=True)
    if row["status"] == "closed" and not body.internal:
        raise Conflict("ticket is closed, which is final; open a new ticket", field="status")
    new, events = dict(row), list[repo.EventRow]()
    target = body.status
    if actor.role == "partner":
        new |= {"updated_at": now, "last_activity_at": now}
        new["awaiting_reply_since"] = row["awaiting_reply_since"] or now
        if row["status"] in ("pending", "resolved"):
            target = "open"  # the partner answered, or the fix did not hold
    elif not body.internal:
        new |= lifecycle.first_response(row, now)
        if target is None and row["status"] == "open":
            target = "pending"  # answered: now waiting on the partner
    else:
        new["updated_at"] = now
    if target is not None and target != row["status"]:
        if body.status is not None:  # chosen by the admin, so it must be a legal move
            lifecycle.check_transition("admin", row["status"], target)
        new, event = _move(new, target, now, cfg)
        events.append(event)
    message = await repo.insert_message(
        conn,
        {
            "ticket_id": ticket_id,
            "sender_type": actor.role,
            "sender_id": actor.id,
            "message": body.message,
            "attachments": attachments,
            "internal": body.internal,
            "created_at": now,
        },
    )
    if events:
        await repo.insert_events(conn, ticket_id, actor.role, actor.id, events, now)
    return message, await repo.save_ticket(conn, new)


def encode_cursor(row: dict[str, Any]) -> str:
    """An opaque cursor after this ticket in newest-activity order."""
    micros = (row["last_activity_at"] - _EPOCH) // timedelta(microseconds=1)
    return base64.urlsafe_b64encode(f"{micros}:{row['id']}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (last_activity_at, id) a cursor points after; 422 on anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        micros, ticket_id = (int(part) for part in raw.split(":"))
        if not 0 < ticket_id < 2**63:
            raise ValueError(ticket_id)
        return _EPOCH + timedelta(microseconds=micros), ticket_id
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError) as exc:
        raise ValidationFailed("not a cursor from this API; pass next_cursor as is", field="after") from exc


async def list_tickets_json(conn: Connection, actor: Actor, q: TicketQuery) -> str:
    """One page of tickets, newest activity first, as the response's JSON text (rendered by PostgreSQL)."""
    admin_only = [n for n in ("partner_id", "assigned_to") if getattr(q, n) is not None]
    if actor.role == "partner" and admin_only:
        raise Forbidden(f"only admins can filter by {admin_only[0]}", field=admin_only[0])
    after_at, after_id = decode_cursor(q.after) if q.after else FIRST_PAGE
    args = (q.status, q.priority, q.category, q.assigned_to, q.updated_since, after_at, after_id, q.limit + 1)
    owner = actor.owner_scope if actor.role == "partner" else q.partner_id
    page = await list_repo.list_tickets_json(conn, owner, args)
    cursor = None
    if page["n"] > q.limit:
        cursor = encode_cursor({"last_activity_at": page["cursor_at"], "id": page["cursor_id"]})
    return f'{{"items":{page["items"]},"next_cursor":{json.dumps(cursor)}}}'
