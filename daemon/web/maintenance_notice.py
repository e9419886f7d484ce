"""The status page's notice of maintenance that affects withdrawals (windows marked affects_withdrawals)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
from aiohttp import web

from daemon import keys
from daemon.alerts import maintenance_repo
from daemon.alerts.context import alerts_state

log = logging.getLogger(__name__)
HORIZON = timedelta(days=7)  # announced this far ahead


@dataclass(frozen=True, slots=True)
class Notice:
    """One window as end users see it: times only (the comment is for admins)."""

    state: str  # "scheduled" or "active"
    starts_at: datetime
    ends_at: datetime


@dataclass
class NoticeCache:
    """The last answer and when (on the alerts clock), so a busy page does not query per request."""

    seconds: float
    at: datetime | None = None
    items: list[Notice] = field(default_factory=list)


notice_cache = web.AppKey("status_page_notice_cache", NoticeCache)


def _now(app: web.Application) -> datetime:
    state = app.get(alerts_state)
    return state.clock() if state is not None else datetime.now(UTC)


async def notices(app: web.Application) -> list[Notice]:
    """Active and upcoming windows affecting withdrawals, soonest first; none when the database is away."""
    pool = app[keys.runtime].pool
    if pool is None:
        return []
    now = _now(app)
    cache = app.get(notice_cache)
    if cache is not None and cache.at is not None and 0 <= (now - cache.at).total_seconds() < cache.seconds:
        return cache.items
    try:
        async with pool.acquire() as conn:
            rows = await maintenance_repo.upcoming_for_withdrawals(conn, now, now + HORIZON)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
        log.warning("status page maintenance notice not read error=%s", exc)
        return []
    items = [
        Notice("active" if r["starts_at"] <= now else "scheduled", r["starts_at"], r["ends_at"]) for r in rows
    ]
    if cache is not None:
        cache.at, cache.items = now, items
    return items


def when(ts: datetime) -> str:
    """'2026-11-24 09:00 UTC'."""
    return ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
