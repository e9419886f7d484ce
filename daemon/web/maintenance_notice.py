"""The status page's notice of maintenance that affects withdrawals (windows marked affects_withdrawals)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from daemon.alerts import maintenance_repo
from daemon.db.errors import DB_ERRORS
from daemon.runtime import Runtime

log = logging.getLogger(__name__)
HORIZON = timedelta(days=7)  # announced this far ahead


@dataclass(frozen=True, slots=True)
class Notice:
    """One window as end users see it: times only (the comment is for admins)."""

    state: str  # "scheduled" or "active"
    starts_at: datetime
    ends_at: datetime


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class NoticeCache:
    """The last answer and when (on `clock`, the alerts' one), so a busy page does not query per request."""

    seconds: float
    runtime: Runtime  # its pool is set once the app starts
    clock: Callable[[], datetime] = _utc_now
    at: datetime | None = None
    items: list[Notice] = field(default_factory=list)


async def notices(cache: NoticeCache) -> list[Notice]:
    """Active and upcoming windows affecting withdrawals, soonest first; none when the database is away."""
    pool = cache.runtime.pool
    if pool is None:
        return []
    now = cache.clock()
    if cache.at is not None and 0 <= (now - cache.at).total_seconds() < cache.seconds:
        return cache.items
    try:
        async with pool.acquire() as conn:
            rows = await maintenance_repo.upcoming_for_withdrawals(conn, now, now + HORIZON)
    except DB_ERRORS as exc:
        log.warning("status page maintenance notice not read error=%s", exc)
        return []
    items = [
        Notice("active" if r["starts_at"] <= now else "scheduled", r["starts_at"], r["ends_at"]) for r in rows
    ]
    cache.at, cache.items = now, items
    return items


def when(ts: datetime) -> str:
    """'2026-11-24 09:00 UTC'."""
    return ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
