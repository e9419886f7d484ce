"""Admin API: the plan, actions with reasons, approve or cancel, and the executor's claim and complete."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field

from daemon import keys
from daemon.autopilot import actions_repo as repo
from daemon.autopilot.policy_context import autopilot_state, wake_key
from daemon.db.types import Record
from daemon.errors import Conflict, NotFound, ValidationFailed
from daemon.http.body import RequestModel, read_json, read_query
from daemon.http.endpoints import Endpoint, json_response, path_id

API = "/api/v1/admin/autopilot"
State = Literal["planned", "approved", "signing", "broadcast", "confirmed", "failed", "cancelled"]
CLAIM_SECONDS = 60.0


class Action(BaseModel):
    """One action: what, for which pool, why, and where it stands."""

    id: int
    source: str
    kind: Literal["delegate", "undelegate", "stake"]
    owner_address: str
    receiver_address: str | None
    pool_id: int | None
    amount_sun: int
    energy: int
    lock_blocks: int
    reason: str
    state: State
    signer: Literal["builtin", "executor"]
    txid: str | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class Actions(BaseModel):
    """A page of actions, newest first."""

    actions: list[Action]
    next_before: int | None


class Overview(BaseModel):
    """The mode, the last plan's short pools and why some were left to the queue, and budget left."""

    mode: Literal["off", "plan", "act"]
    pools_short: list[dict[str, Any]]
    uncovered: list[str]
    figures: dict[str, Any]


class ActionsQuery(RequestModel):
    """Filter and page."""

    state: State | None = None
    limit: int = Field(50, ge=1, le=500)
    before: int | None = Field(None, ge=1, lt=2**63)


class ClaimBody(RequestModel):
    """How many unsigned actions the executor takes."""

    limit: int = Field(10, ge=1, le=100)


class Unsigned(Action):
    """An action waiting for the executor's signature, with the node-built transaction."""

    transaction: dict[str, Any]
    claim_expires_at: datetime


class Claimed(BaseModel):
    """What the executor claimed."""

    actions: list[Unsigned]


class CompleteBody(RequestModel):
    """The executor broadcast the transaction: its txid."""

    txid: str = Field(pattern=r"^[0-9a-fA-F]{64}$")


def _action(r: Record) -> Action:
    return Action(**{k: r[k] for k in Action.model_fields})


async def autopilot_overview(request: web.Request) -> web.Response:
    """The mode and the last cycle's findings."""
    state = request.app[autopilot_state]
    plan = state.last_plan
    short = [
        {
            "pool_id": s.pool_id,
            "pool": s.pool_name,
            "seconds_until_short": s.seconds,
            "energy_needed": s.energy,
        }
        for s in (plan.short if plan else [])
    ]
    return json_response(
        Overview(
            mode=state.mode, pools_short=short, uncovered=plan.blocked if plan else [], figures=state.figures
        )
    )


async def list_autopilot_actions(request: web.Request) -> web.Response:
    """Planned and executed actions with their reasons."""
    q = read_query(request, ActionsQuery)
    async with request.app[keys.runtime].pool.acquire() as conn:
        rows = await repo.listing(conn, q.state, q.limit, q.before)
    nxt = rows[-1]["id"] if len(rows) == q.limit else None
    return json_response(Actions(actions=[_action(r) for r in rows], next_before=nxt))


async def _move(request: web.Request, frm: tuple[str, ...], to: str) -> web.Response:
    action_id = path_id(request)
    async with request.app[keys.runtime].pool.acquire() as conn:
        row = await repo.move(
            conn, action_id, frm, to, **({"error": "cancelled by an admin"} if to == "cancelled" else {})
        )
        if row is None:
            current = await repo.get(conn, action_id)
            if current is None:
                raise NotFound(f"no such action: {action_id}")
            raise Conflict(
                f"action {action_id} is {current['state']}; only {' or '.join(frm)} ones can be {to}"
            )
    request.app[wake_key].set()
    return json_response(_action(row))


async def approve_autopilot_action(request: web.Request) -> web.Response:
    """Approve a planned action: the leader carries it out next cycle (in plan mode too)."""
    return await _move(request, ("planned",), "approved")


async def cancel_autopilot_action(request: web.Request) -> web.Response:
    """Cancel an action nothing has been signed for yet."""
    return await _move(request, ("planned", "approved"), "cancelled")


async def claim_autopilot_actions(request: web.Request) -> web.Response:
    """Executor protocol: take unsigned transactions of reserves signed outside tronwatch."""
    body = await read_json(request, ClaimBody)
    now = request.app[autopilot_state].clock()
    until = now + timedelta(seconds=CLAIM_SECONDS)
    async with request.app[keys.runtime].pool.acquire() as conn:
        rows = await repo.claim_unsigned(conn, now, until, body.limit)
    return json_response(
        Claimed(
            actions=[
                Unsigned(
                    **_action(r).model_dump(), transaction=_json(r["unsigned_tx"]), claim_expires_at=until
                )
                for r in rows
            ]
        )
    )


async def complete_autopilot_action(request: web.Request) -> web.Response:
    """Executor protocol: the signed transaction was broadcast; the leader confirms it on chain."""
    action_id = path_id(request)
    body = await read_json(request, CompleteBody)
    async with request.app[keys.runtime].pool.acquire() as conn:
        current = await repo.get(conn, action_id)
        if current is None or current["signer"] != "executor":
            raise NotFound(f"no such executor-signed action: {action_id}")
        if current["txid"] != body.txid.lower():
            raise ValidationFailed("not the transaction this action was built with", field="txid")
        row = await repo.move(conn, action_id, ("signing",), "broadcast")
    request.app[wake_key].set()
    return json_response(_action(row or current))


def _json(value: Any) -> dict[str, Any]:
    import json

    got = json.loads(value) if isinstance(value, str) else value
    return got if isinstance(got, dict) else {}


def autopilot_endpoints() -> list[Endpoint]:
    """The autopilot's admin routes."""
    one = f"{API}/actions/{{id}}"
    return [
        Endpoint(
            "GET",
            API,
            autopilot_overview,
            "admin",
            "Autopilot mode, short pools, budget left",
            "autopilot",
            response=Overview,
        ),
        Endpoint(
            "GET",
            f"{API}/actions",
            list_autopilot_actions,
            "admin",
            "Actions with reasons, newest first",
            "autopilot",
            query=ActionsQuery,
            response=Actions,
        ),
        Endpoint(
            "POST",
            f"{one}/approve",
            approve_autopilot_action,
            "admin",
            "Approve a planned action",
            "autopilot",
            response=Action,
            errors=(404, 409),
        ),
        Endpoint(
            "POST",
            f"{one}/cancel",
            cancel_autopilot_action,
            "admin",
            "Cancel an action not yet signed",
            "autopilot",
            response=Action,
            errors=(404, 409),
        ),
        Endpoint(
            "POST",
            f"{API}/actions/claim",
            claim_autopilot_actions,
            "admin",
            "Executor: claim unsigned transactions",
            "autopilot",
            body=ClaimBody,
            response=Claimed,
        ),
        Endpoint(
            "POST",
            f"{one}/complete",
            complete_autopilot_action,
            "admin",
            "Executor: report the broadcast txid",
            "autopilot",
            body=CompleteBody,
            response=Action,
            errors=(404,),
        ),
    ]
