"""Admin alert API: alert state, notification history, silences and rule reload."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from daemon import keys
from daemon.alerts import ack, ack_repo, repo, silences_repo
from daemon.alerts.context import alerts_state, reload
from daemon.alerts.models import (
    AlertList,
    AlertView,
    HistoryQuery,
    Notification,
    NotificationPage,
    ReloadResult,
    RulesInfo,
    SilenceCreate,
    SilenceList,
    SilenceQuery,
    SilenceView,
)
from daemon.alerts.ops_models import AckEvent, AckView
from daemon.alerts.partner_routes import partner_alert_endpoints
from daemon.alerts.receiver_test import receiver_test_endpoints
from daemon.alerts.rules import RuleError
from daemon.alerts.timewindow import window
from daemon.errors import NotFound, ValidationFailed
from daemon.http.body import read_json, read_query
from daemon.http.endpoints import Endpoint, json_response, path_id

ALERTS = "/api/v1/admin/alerts"
SILENCES = f"{ALERTS}/silences"


def _ts(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


async def list_alerts(request: web.Request) -> web.Response:
    """Pending and firing instances (and those resolved in the last 15 minutes), from any replica."""
    state = request.app[alerts_state]
    async with request.app[keys.runtime].pool.acquire() as conn:
        rows = await repo.load_instances(conn)
        acks = await ack_repo.current(conn, [r["fingerprint"] for r in rows if r["state"] == "firing"])
    order = {"firing": 0, "pending": 1, "inactive": 2}
    rows.sort(key=lambda r: (order[r["state"]], r["rule"], r["fingerprint"]))
    rules = state.evaluator.rules
    return json_response(
        AlertList(
            alerts=[
                AlertView(
                    fingerprint=r["fingerprint"],
                    alertname=r["rule"],
                    state=r["state"],
                    labels=r["labels"],
                    annotations=r["annotations"],
                    value=r["value"],
                    active_at=_ts(r["active_at"]),
                    fired_at=_ts(r["fired_at"]),
                    resolved_at=_ts(r["resolved_at"]),
                    last_notified_at=_ts(r["last_sent_at"]),
                    notifications=r["seq"],
                    muted=r["muted"],
                    **_ack(r, acks),
                )
                for r in rows
            ],
            rules=RulesInfo(
                loaded=len(rules.rules),
                files=list(rules.files),
                loaded_at=state.loaded_at,
                last_reload_error=state.last_error,
            ),
        )
    )


async def alert_history(request: web.Request) -> web.Response:
    """Every notification: when, to whom, outcome and attempts; newest first."""
    q = read_query(request, HistoryQuery)
    async with request.app[keys.runtime].pool.acquire() as conn:
        rows = await repo.history(conn, before_id=q.before, limit=q.limit + 1, receiver=q.receiver)
        more = len(rows) > q.limit
        since = rows[q.limit - 1]["created_at"] if more else None
        until = await ack_repo.created_at(conn, q.before) if q.before is not None else None
        events = await ack_repo.events(conn, since=since, until=until, limit=500)
    items = [
        Notification(
            **{k: v for k, v in r.items() if k != "payload"},
            labels=r["payload"].get("labels", {}),
            annotations=r["payload"].get("annotations", {}),
        )
        for r in rows[: q.limit]
    ]
    return json_response(
        NotificationPage(
            items=items,
            next_before=items[-1].id if more else None,
            acks=[AckEvent.model_validate(e) for e in events],
        )
    )


def _ack(row: dict[str, Any], acks: list[dict[str, Any]]) -> dict[str, Any]:
    found = ack.current_ack(row, acks) if row["state"] == "firing" else None
    return {"acked": found is not None, "ack": AckView.model_validate(found) if found else None}


def _silence(row: dict[str, object], now: datetime) -> SilenceView:
    view = SilenceView.model_validate({**row, "active": False})
    view.active = view.starts_at <= now < view.ends_at
    return view


async def create_silence(request: web.Request) -> web.Response:
    """Mute matching alerts for a while."""
    body = await read_json(request, SilenceCreate)
    now = request.app[alerts_state].clock()
    starts, ends = window(body.starts_at, body.ends_at, body.duration_seconds, now, "silences")
    p = request[keys.principal]
    async with request.app[keys.runtime].pool.acquire() as conn:
        row = await silences_repo.add_silence(
            conn, body.matchers, starts, ends, f"admin:{p.admin_id}", body.comment
        )
    return json_response(_silence(row, now), 201)


async def list_silences(request: web.Request) -> web.Response:
    """Active and future silences (and ended ones with ?expired=true)."""
    q = read_query(request, SilenceQuery)
    now = request.app[alerts_state].clock()
    async with request.app[keys.runtime].pool.acquire() as conn:
        rows = await silences_repo.silences(conn, since=None if q.expired else now)
    return json_response(SilenceList(items=[_silence(r, now) for r in rows]))


async def delete_silence(request: web.Request) -> web.Response:
    """End a silence now (it stays listed with ?expired=true)."""
    silence_id = path_id(request)
    now = request.app[alerts_state].clock()
    async with request.app[keys.runtime].pool.acquire() as conn:
        if not await silences_repo.expire_silence(conn, silence_id, now):
            raise NotFound(f"no silence {silence_id}")
    return json_response(None)


async def reload_rules(request: web.Request) -> web.Response:
    """Re-read the rule files here and on the evaluating replica; a broken file keeps the old rules (422)."""
    state = request.app[alerts_state]
    try:
        rules = reload(state)
    except RuleError as exc:
        raise ValidationFailed(
            f"rules not reloaded, previous rules stay in force: {exc}", field="rules"
        ) from None
    async with request.app[keys.runtime].pool.acquire() as conn:
        state.reload_seen = await repo.request_reload(conn)
    return json_response(ReloadResult(loaded=len(rules.rules), files=list(rules.files)))


def alerts_endpoints() -> list[Endpoint]:
    """The alert routes (admin, and partners' own alerts)."""
    tag = "alerts"
    return [
        *partner_alert_endpoints(),
        *receiver_test_endpoints(),
        Endpoint(
            "GET", ALERTS, list_alerts, "admin", "Alert instances and rule status", tag, response=AlertList
        ),
        Endpoint(
            "GET",
            f"{ALERTS}/history",
            alert_history,
            "admin",
            "Notification history",
            tag,
            query=HistoryQuery,
            response=NotificationPage,
        ),
        Endpoint(
            "POST",
            SILENCES,
            create_silence,
            "admin",
            "Create a silence",
            tag,
            body=SilenceCreate,
            response=SilenceView,
            status=201,
        ),
        Endpoint(
            "GET",
            SILENCES,
            list_silences,
            "admin",
            "List silences",
            tag,
            query=SilenceQuery,
            response=SilenceList,
        ),
        Endpoint(
            "DELETE",
            f"{SILENCES}/{{id}}",
            delete_silence,
            "admin",
            "End a silence",
            tag,
            status=204,
            errors=(404,),
        ),
        Endpoint(
            "POST",
            "/api/v1/admin/rules/reload",
            reload_rules,
            "admin",
            "Reload alert rules",
            tag,
            response=ReloadResult,
            errors=(422,),
        ),
    ]
