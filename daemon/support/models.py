"""Ticket vocabulary and the API's request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from pydantic import AwareDatetime, BaseModel, Field

from daemon.http.body import RequestModel

Status = Literal["open", "in_progress", "pending", "resolved", "closed"]
Priority = Literal["low", "medium", "high", "critical"]
Category = Literal["api", "billing", "technical", "energy", "withdrawal", "account", "other"]
Source = Literal["auto", "manual"]
SenderType = Literal["partner", "admin", "system"]

STATUSES: tuple[Status, ...] = get_args(Status)
PRIORITIES: tuple[Priority, ...] = get_args(Priority)  # lowest first: the order rules raise along
CATEGORIES: tuple[Category, ...] = get_args(Category)
ACTIVE: tuple[Status, ...] = ("open", "in_progress", "pending")
MAX_ATTACHMENTS = 10
MAX_TEXT = 10_000


class Attachment(RequestModel):
    """Metadata of a file the partner or admin stores elsewhere (tronwatch keeps no file bodies)."""

    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(
        "application/octet-stream", max_length=127, pattern=r"^[\w.+-]+/[\w.+-]+$", examples=["image/png"]
    )
    size_bytes: int = Field(ge=0, lt=2**53, description="Checked against support.attachment_max_bytes")
    url: str | None = Field(None, max_length=2048, pattern=r"^https?://\S+$")


class TicketCreate(RequestModel):
    """A new ticket; priority is the partner's view and may be raised (never lowered) by the rules."""

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=MAX_TEXT)
    priority: Priority | None = None
    attachments: list[Attachment] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)


class TicketPatch(RequestModel):
    """Admins: any field. Partners: status `closed`, or `open` to reopen a pending/resolved ticket."""

    status: Status | None = None
    priority: Priority | None = None
    category: Category | None = None
    assigned_to: int | None = Field(None, ge=1, lt=2**63, description="An admin id; null unassigns")


class MessageCreate(RequestModel):
    """A reply or (admins only) an internal note; admins may set the ticket's status with it."""

    message: str = Field(min_length=1, max_length=MAX_TEXT)
    attachments: list[Attachment] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)
    internal: bool = False
    status: Status | None = Field(None, description="Admins only: the status to set along with the reply")


class TicketQuery(RequestModel):
    """Filters and cursor paging; partner_id and assigned_to are for admins."""

    status: Status | None = None
    priority: Priority | None = None
    category: Category | None = None
    partner_id: int | None = Field(None, ge=1, lt=2**63)
    assigned_to: int | None = Field(None, ge=1, lt=2**63)
    updated_since: AwareDatetime | None = None
    limit: int = Field(50, ge=1, le=100)
    after: str | None = Field(None, max_length=64, description="next_cursor of the previous page")


class PageQuery(RequestModel):
    """Cursor paging, oldest first."""

    limit: int = Field(50, ge=1, le=100)
    after: int = Field(0, ge=0, lt=2**63)


class AttachmentOut(BaseModel):
    """Stored attachment metadata."""

    filename: str
    content_type: str
    size_bytes: int
    url: str | None = None


class Ticket(BaseModel):
    """A support ticket with its SLA state."""

    id: int
    partner_id: int
    title: str
    description: str
    attachments: list[AttachmentOut]
    status: Status
    priority: Priority
    priority_source: Source
    requested_priority: Priority | None
    category: Category
    category_source: Source
    assigned_to: int | None
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    first_response_due_at: datetime
    resolution_due_at: datetime
    first_responded_at: datetime | None
    first_response_breached_at: datetime | None
    resolution_breached_at: datetime | None
    sla_paused: bool
    sla_paused_seconds: float


class TicketPage(BaseModel):
    """One page, newest activity first; pass next_cursor as `after` for the next."""

    items: list[Ticket]
    next_cursor: str | None


class Message(BaseModel):
    """One entry of a ticket's thread."""

    id: int
    ticket_id: int
    sender_type: SenderType
    sender_id: int | None
    message: str
    attachments: list[AttachmentOut]
    internal: bool
    created_at: datetime


class MessagePage(BaseModel):
    """Thread entries, oldest first."""

    items: list[Message]
    next_cursor: str | None


class Event(BaseModel):
    """One audit-trail entry: who changed which field from what to what."""

    id: int
    ticket_id: int
    actor_type: SenderType
    actor_id: int | None
    field: Literal["created", "status", "priority", "category", "assigned_to", "sla"]
    from_value: str | None
    to_value: str | None
    detail: dict[str, object] | None
    created_at: datetime


class EventPage(BaseModel):
    """Audit-trail entries, oldest first."""

    items: list[Event]
    next_cursor: str | None
