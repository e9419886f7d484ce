"""Admin maintenance-window API: create, list (scheduled, active, ended), get, end now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from daemon import keys
from daemon.alerts import maintenance_repo
from daemon.alerts.context import alerts_state
from daemon.alerts.ops_models import MaintenanceCreate, MaintenanceList, MaintenanceQuery, MaintenanceView
from daemon.alerts.timewindow import window
from daemon.db.types import Connection
from daemon.errors import NotFound
from daemon.http.body import read_json, read_query
from daemon.http.endpoints import Endpoint, json_response, path_id
from daemon.http.idempotency import idempotent

MAINTENANCE = "/api/v1/admin/maintenance"


def view(row: dict[str, Any], now: datetime) -> MaintenanceView:
    """The API form of a stored window."""
    ended = row["ended_at"]
    ends = min(row["ends_at"], ended) if ended is not None else row["ends_at"]
    state = (
        "ended"
        if now >= ends or ends <= row["starts_at"]
        else "scheduled"
        if now < row["starts_at"]
        else "active"
    )
    return MaintenanceView(
        id=row["id"],
        matchers=row["matchers"],
        starts_at=row["starts_at"],
        ends_at=ends,
        end_when_resolved=row["end_when_resolved"],
        affects_withdrawals=row["affects_withdrawals"],
        comment=row["comment"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        state=state,
        ended_early=ended is not None and ended < row["ends_at"],
        end_reason=row["end_reason"],
    )


async def create_window(request: web.Request) -> web.Response:
    """Schedule (or start now) a maintenance window."""
    body = await read_json(request, MaintenanceCreate)
    now = request.app[alerts_state].clock()
    starts, ends = window(body.starts_at, body.ends_at, body.duration_seconds, now, "windows")
    p = request[keys.principal]
    fields = {
        **body.model_dump(include={"matchers", "end_when_resolved", "affects_withdrawals", "comment"}),
        "starts_at": starts,
        "ends_at": ends,
        "created_by": f"admin:{p.admin_id}",
    }

    async def work(conn: Connection) -> tuple[int, BaseModel]:
        return 201, view(await maintenance_repo.add(conn, fields), now)

    return await idempotent(request, work)


async def list_windows(request: web.Request) -> web.Response:
    """Every window, newest first, or those in one state."""
    q = read_query(request, MaintenanceQuery)
    now = request.app[alerts_state].clock()
    async with request.app[keys.runtime].pool.acquire() as conn:
        rows = await maintenance_repo.listing(conn)
    items = [view(r, now) for r in rows]
    return json_response(MaintenanceList(items=[v for v in items if q.state in (None, v.state)]))


async def get_window(request: web.Request) -> web.Response:
    """One window."""
    window_id = path_id(request)
    async with request.app[keys.runtime].pool.acquire() as conn:
        row = await maintenance_repo.get(conn, window_id)
    if row is None:
        raise NotFound(f"no maintenance window {window_id}")
    return json_response(view(row, request.app[alerts_state].clock()))


async def end_window(request: web.Request) -> web.Response:
    """End a window now (a scheduled one never starts); it stays listed as ended."""
    window_id = path_id(request)
    now = request.app[alerts_state].clock()
    async with request.app[keys.runtime].pool.acquire() as conn:
        row = await maintenance_repo.end(conn, window_id, now, "deleted")
    if row is None:
        raise NotFound(f"no maintenance window {window_id}")
    return json_response(view(row, now))


def maintenance_endpoints() -> list[Endpoint]:
    """The maintenance routes (admin only)."""
    tag, one = "alerts", f"{MAINTENANCE}/{{id}}"
    return [
        Endpoint(
            "POST",
            MAINTENANCE,
            create_window,
            "admin",
            "Create a maintenance window",
            tag,
            body=MaintenanceCreate,
            response=MaintenanceView,
            status=201,
            idempotent=True,
        ),
        Endpoint(
            "GET",
            MAINTENANCE,
            list_windows,
            "admin",
            "List maintenance windows",
            tag,
            query=MaintenanceQuery,
            response=MaintenanceList,
        ),
        Endpoint(
            "GET",
            one,
            get_window,
            "admin",
            "A maintenance window",
            tag,
            response=MaintenanceView,
            errors=(404,),
        ),
        Endpoint(
            "DELETE",
            one,
            end_window,
            "admin",
            "End a maintenance window now",
            tag,
            response=MaintenanceView,
            errors=(404,),
        ),
    ]
