"""GET /status and /status/embed: the end user's energy banner (the seed's EnergyStatusAlert), public."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

import jinja2
from aiohttp import web
from pydantic import Field

from daemon.db.errors import DB_ERRORS
from daemon.db.types import Connection
from daemon.energy.snapshot import EnergySnapshot, SnapshotHolder
from daemon.energy.status import SUPPORTED, pick_language, sufficiency
from daemon.http.body import RequestModel, read_query
from daemon.http.endpoints import Endpoint
from daemon.runtime import Runtime
from daemon.web.maintenance_notice import NoticeCache, notices, when
from daemon.web.settings import StatusPageSettings
from daemon.web.texts import TEXTS, fee_text, wait_text
from daemon.withdrawals import queue_repo
from daemon.withdrawals.estimate import minutes

log = logging.getLogger(__name__)
State = Literal["sufficient", "congested", "unknown"]
# (connection, energy queued ahead, energy needed) -> wall seconds until released, None when unknown.
QueueWait = Callable[[Connection, int, int], Awaitable[int | None]]


class PageQuery(RequestModel):
    """The language; without it, Accept-Language (Korean by default)."""

    lang: Literal["ko", "en"] | None = Field(None, description="ko or en")


@dataclass(frozen=True, slots=True)
class StatusView:
    """Public aggregate figures only: no pool names, addresses or users."""

    state: State
    wait_minutes: int | None
    fee_trx: Decimal | None
    updated_at: datetime | None


@dataclass
class PageState:
    """What the page reads (snapshot, queue, notices), its templates and the last wait estimate."""

    settings: StatusPageSettings
    env: jinja2.Environment
    energy: SnapshotHolder
    runtime: Runtime  # its pool is set once the app starts
    notices: NoticeCache
    queue_wait: QueueWait | None = None  # None without the withdrawals feature
    cached: tuple[int, float, int | None] | None = field(default=None)  # (snapshot id, monotonic, wait)


page_state = web.AppKey("status_page_state", PageState)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("daemon.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def new_page_state(
    settings: StatusPageSettings, energy: SnapshotHolder, runtime: Runtime, queue_wait: QueueWait | None
) -> PageState:
    """The page's state (no I/O); the notices go by the wall clock until the wiring hands them another."""
    notice_cache = NoticeCache(settings.cache_seconds, runtime)
    return PageState(settings, _environment(), energy, runtime, notice_cache, queue_wait)


async def back_of_queue_wait(ps: PageState, snap: EnergySnapshot) -> int | None:
    """Minutes until a withdrawal joining the queue now would be released (the queue's own estimator)."""
    runtime = ps.runtime
    if ps.queue_wait is None or runtime.pool is None:
        return sufficiency(snap, speed=runtime.chain_speed()).wait_minutes
    async with runtime.pool.acquire() as conn:
        energy_ahead = await queue_repo.waiting_energy(conn)
        return minutes(await ps.queue_wait(conn, energy_ahead, snap.transfer_energy))


async def status_view(ps: PageState) -> StatusView:
    """The banner's figures from the current snapshot; the wait is re-estimated at most every few seconds."""
    snap = ps.energy.current
    fee = snap.quote.total_trx if snap.quote is not None else None
    if snap.stale():
        return StatusView("unknown", None, fee, snap.data_time)
    if sufficiency(snap).sufficient:
        return StatusView("sufficient", 0, fee, snap.data_time)
    now = time.monotonic()
    if ps.cached is not None and ps.cached[0] == id(snap) and now - ps.cached[1] < ps.settings.cache_seconds:
        wait = ps.cached[2]
    else:
        try:
            wait = await back_of_queue_wait(ps, snap)
        except DB_ERRORS as exc:
            log.warning("status page wait estimate failed, using recovery only error=%s", exc)
            wait = sufficiency(snap, speed=ps.runtime.chain_speed()).wait_minutes
        ps.cached = (id(snap), now, wait)
    return StatusView("congested", wait, fee, snap.data_time)


def choose_language(request: web.Request, asked: str | None) -> str:
    """?lang first, then Accept-Language, then Korean."""
    if asked is not None:
        return asked
    header = request.headers.get("Accept-Language", "")
    if any(tag.strip().lower().split("-")[0] in SUPPORTED for tag in header.replace(";", ",").split(",")):
        return pick_language(header)
    return "ko"


def _headers(settings: StatusPageSettings, lang: str, embed: bool) -> dict[str, str]:
    ancestors = (" ".join(settings.frame_ancestors) or "'self'") if embed else "'none'"
    csp = (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {ancestors}"
    )
    headers = {
        "Content-Security-Policy": csp,
        "Content-Language": lang,
        "Vary": "Accept-Language",
        "Cache-Control": "no-cache",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }
    if not embed:
        headers["X-Frame-Options"] = "DENY"  # for browsers older than CSP frame-ancestors
    return headers


async def _render(request: web.Request, embed: bool) -> web.Response:
    query = read_query(request, PageQuery)
    lang = choose_language(request, query.lang)
    ps = request.app[page_state]
    view = await status_view(ps)
    t = TEXTS[lang]
    maintenance = [
        (n, t[f"maintenance_{n.state}"].format(start=when(n.starts_at), end=when(n.ends_at)))
        for n in await notices(ps.notices)
    ]
    html = ps.env.get_template("status.html").render(
        maintenance=maintenance,
        t=t,
        lang=lang,
        other="en" if lang == "ko" else "ko",
        embed=embed,
        view=view,
        wait=wait_text(view.wait_minutes, lang),
        fee=fee_text(view.fee_trx),
        refresh=ps.settings.refresh_seconds,
        updated=view.updated_at.strftime("%Y-%m-%d %H:%M:%S UTC") if view.updated_at else None,
    )
    return web.Response(
        text=html,
        content_type="text/html",
        charset="utf-8",
        headers=_headers(ps.settings, lang, embed),
    )


async def status_page(request: web.Request) -> web.Response:
    """The full page."""
    return await _render(request, embed=False)


async def status_embed(request: web.Request) -> web.Response:
    """The compact widget for partners' withdrawal pages (framable by the configured origins)."""
    return await _render(request, embed=True)


def status_page_endpoints(settings: StatusPageSettings) -> list[Endpoint]:
    """Both variants, or none when `status_page.enabled` is false (then they answer 404)."""
    if not settings.enabled:
        return []
    pages = (
        ("/status", status_page, "Energy status page for end users"),
        ("/status/embed", status_embed, "Energy status widget for partners' withdrawal pages (iframe)"),
    )
    return [
        Endpoint("GET", path, handler, "public", summary, "status", query=PageQuery, media_type="text/html")
        for path, handler, summary in pages
    ]
