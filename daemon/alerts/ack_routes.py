"""Acknowledge a firing alert: the admin API, and the signed one-click link (GET confirms, POST acks)."""

from __future__ import annotations

import html
import logging
from typing import Any

from aiohttp import web

from daemon import keys
from daemon.alerts import ack, ack_repo
from daemon.alerts.context import alerts_state
from daemon.alerts.ops_models import AckCreate, AckView
from daemon.db.types import Connection
from daemon.errors import Conflict, NotFound, ValidationFailed
from daemon.http.body import read_json
from daemon.http.endpoints import Endpoint, json_response

log = logging.getLogger(__name__)
ACK = "/api/v1/admin/alerts/{fingerprint}/ack"
LINK = "/alerts/ack/{token}"
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def _fingerprint(request: web.Request) -> str:
    fp = request.match_info["fingerprint"]
    if not ack.FINGERPRINT.match(fp):
        raise NotFound(f"no alert {fp!r}")
    return fp


async def _firing(conn: Connection, fp: str, episode: int | None) -> dict[str, Any]:
    row = await ack_repo.instance(conn, fp)
    if row is None:
        raise NotFound(f"no alert {fp}")
    current = ack.episode(row["fired_at"])
    if row["state"] != "firing" or (episode is not None and episode != current):
        raise Conflict("this alert is not firing (it resolved, or fired again since this link was sent)")
    return row


async def acknowledge(app: web.Application, fp: str, episode: int | None, by: str, comment: str) -> AckView:
    """Acknowledge the alert's current episode (or the link's, which must still be current)."""
    state = app[alerts_state]
    now = state.clock()
    async with app[keys.runtime].pool.acquire() as conn:
        row = await _firing(conn, fp, episode)
        found, made = await ack_repo.add(
            conn, fp, row["rule"], ack.episode(row["fired_at"]) or 0, by, comment, now
        )
    view = AckView.model_validate(found)
    if made:
        log.info("alert acknowledged alertname=%s fingerprint=%s by=%s", view.alertname, fp, by)
        _tell(state.ack_listeners, "alert_acknowledged", view.model_dump(mode="json"))
    return view


def _tell(listeners: list[Any], kind: str, data: dict[str, Any]) -> None:
    for listener in listeners:
        listener(kind, data)


async def ack_alert(request: web.Request) -> web.Response:
    """Acknowledge a firing alert: repeats stop until it resolves or fires again."""
    body = await read_json(request, AckCreate)
    p = request[keys.principal]
    return json_response(
        await acknowledge(request.app, _fingerprint(request), None, f"admin:{p.admin_id}", body.comment)
    )


async def unack_alert(request: web.Request) -> web.Response:
    """Withdraw the acknowledgement: repeats start again."""
    fp, state = _fingerprint(request), request.app[alerts_state]
    p = request[keys.principal]
    async with request.app[keys.runtime].pool.acquire() as conn:
        row = await ack_repo.instance(conn, fp)
        gone = None
        if row is not None and row["fired_at"] is not None:
            gone = await ack_repo.remove(
                conn, fp, ack.episode(row["fired_at"]) or 0, f"admin:{p.admin_id}", state.clock()
            )
    if gone is None:
        raise NotFound(f"alert {fp} is not acknowledged")
    _tell(state.ack_listeners, "alert_unacknowledged", AckView.model_validate(gone).model_dump(mode="json"))
    return json_response(None)


def _token(request: web.Request) -> tuple[str, int]:
    settings = request.app[alerts_state].settings
    if settings.ack_link_secret is None:
        raise NotFound("acknowledge links are not enabled")
    now = request.app[alerts_state].clock().timestamp()
    return ack.check_token(settings.ack_link_secret.get_secret_value(), request.match_info["token"], now)


def _page(title: str, inner: str, status: int = 200) -> web.Response:
    text = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>body{{font-family:system-ui,sans-serif;max-width:36rem;"
        f"margin:2rem auto;padding:1rem}}label{{display:block;margin:.5rem 0}}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{inner}</body></html>"
    )
    return web.Response(
        text=text, status=status, content_type="text/html", charset="utf-8", headers=PAGE_HEADERS
    )


async def link_confirm(request: web.Request) -> web.Response:
    """The link's page: what would be acknowledged, and a button (a prefetch acknowledges nothing)."""
    fp, episode = _token(request)
    async with request.app[keys.runtime].pool.acquire() as conn:
        row = await _firing(conn, fp, episode)
    labels = "".join(
        f"<li>{html.escape(k)}={html.escape(str(v))}</li>" for k, v in sorted(row["labels"].items())
    )
    form = (
        f"<p>Alert <strong>{html.escape(row['rule'])}</strong> is firing.</p><ul>{labels}</ul>"
        '<form method="post"><label>Your name <input name="name" maxlength="100"></label>'
        '<label>Comment <input name="comment" maxlength="1000"></label>'
        '<button type="submit">Acknowledge</button></form>'
    )
    return _page("Acknowledge this alert?", form)


async def link_ack(request: web.Request) -> web.Response:
    """The button: acknowledge the episode the link was sent for."""
    fp, episode = _token(request)
    form = await request.post()
    name, comment = str(form.get("name") or "").strip(), str(form.get("comment") or "").strip()
    if len(name) > 100:
        raise ValidationFailed("at most 100 characters", field="name")
    if len(comment) > 1000:
        raise ValidationFailed("at most 1000 characters", field="comment")
    view = await acknowledge(request.app, fp, episode, f"link:{name}" if name else "link", comment)
    when = view.acked_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    return _page(
        "Acknowledged",
        f"<p>{html.escape(view.alertname)} was acknowledged by "
        f"{html.escape(view.acked_by)} at {when}. Repeats stop until it resolves or fires again.</p>",
    )


def ack_endpoints() -> list[Endpoint]:
    """Admin ack/un-ack, and the public signed link (the token is its credential)."""
    tag = "alerts"
    return [
        Endpoint(
            "POST",
            ACK,
            ack_alert,
            "admin",
            "Acknowledge a firing alert",
            tag,
            body=AckCreate,
            response=AckView,
            errors=(404, 409),
        ),
        Endpoint(
            "DELETE", ACK, unack_alert, "admin", "Withdraw an acknowledgement", tag, status=204, errors=(404,)
        ),
        Endpoint(
            "GET",
            LINK,
            link_confirm,
            "public",
            "Acknowledge link: confirmation page",
            tag,
            media_type="text/html",
            errors=(403, 404, 409, 410),
        ),
        Endpoint(
            "POST",
            LINK,
            link_ack,
            "public",
            "Acknowledge link: acknowledge (form: name, comment)",
            tag,
            media_type="text/html",
            errors=(403, 404, 409, 410, 422),
        ),
    ]
