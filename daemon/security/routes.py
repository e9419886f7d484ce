"""GET /api/v1/admin/security/events: filtered, newest first, cursor-paged."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field, field_validator

from daemon import keys
from daemon.http.body import IdCursor, RequestModel, read_query
from daemon.http.endpoints import Endpoint, json_response
from daemon.security import repo
from daemon.security.events import EventType, Severity


class EventQuery(RequestModel):
    """Filters and paging."""

    type: EventType | None = None
    since: datetime | None = Field(None, description="events last seen at or after this time")
    cursor: IdCursor = None
    limit: int = Field(50, ge=1, le=200)

    @field_validator("since")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # a time without an offset is UTC
        return value


class SecurityEvent(BaseModel):
    """One event: identical ones on the same day are one row with a count."""

    id: int
    type: str
    severity: Severity
    partner_id: int | None
    client_ip: str | None
    method: str
    route: str
    details: dict[str, Any]
    day: date
    count: int
    first_seen_at: datetime
    last_seen_at: datetime


class SecurityEventPage(BaseModel):
    """One page; pass next_cursor as `cursor` for the next (older) page."""

    items: list[SecurityEvent]
    next_cursor: str | None


async def list_security_events(request: web.Request) -> web.Response:
    """Security events, newest first."""
    q = read_query(request, EventQuery)
    before = int(q.cursor) if q.cursor is not None else None
    async with request.app[keys.runtime].pool.acquire() as conn:
        rows = await repo.list_events(conn, type=q.type, since=q.since, before_id=before, limit=q.limit + 1)
    items = [SecurityEvent(**{**dict(r), "details": json.loads(r["details"])}) for r in rows[: q.limit]]
    cursor = str(items[-1].id) if len(rows) > q.limit else None
    return json_response(SecurityEventPage(items=items, next_cursor=cursor))


def security_endpoints() -> list[Endpoint]:
    """The security admin routes."""
    return [
        Endpoint(
            "GET",
            "/api/v1/admin/security/events",
            list_security_events,
            "admin",
            "Security events (suspicious patterns, failed auth, rate limits), newest first",
            "monitoring",
            query=EventQuery,
            response=SecurityEventPage,
        )
    ]
