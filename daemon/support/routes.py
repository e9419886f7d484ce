"""Support ticket API: HTTP in, service calls, JSON out."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel

from daemon import keys
from daemon.db.types import Connection
from daemon.http.body import read_json, read_query
from daemon.http.endpoints import Endpoint, json_response, path_id
from daemon.http.idempotency import HEADER, idempotent
from daemon.support import notify_outbox, repo, service
from daemon.support.models import (
    EventPage,
    Message,
    MessageCreate,
    MessagePage,
    PageQuery,
    Ticket,
    TicketCreate,
    TicketPage,
    TicketPatch,
    TicketQuery,
)
from daemon.support.service import Actor
from daemon.support.state import SupportState, support_state
from daemon.support.webhook_routes import webhook_endpoints

TICKETS = "/api/v1/support/tickets"


def _actor(request: web.Request) -> Actor:
    p = request[keys.principal]
    if p.role == "partner":
        assert p.partner_id is not None  # a partner key always has its partner
        return Actor("partner", p.partner_id)
    assert p.admin_id is not None  # an admin key always has its admin
    return Actor("admin", p.admin_id)


def ticket_model(row: dict[str, Any]) -> Ticket:
    """The API view of a ticket row."""
    return Ticket(**row, sla_paused=row["sla_paused_at"] is not None)


def support_team(app: web.Application) -> tuple[list[str], str]:
    """(receivers told of new tickets, external URL for links) of this app (for the demo's scenario)."""
    return team(app[support_state])


def team(state: SupportState) -> tuple[list[str], str]:
    """(receivers told of new tickets, external URL for links)."""
    alerts = state.alerts
    names = state.settings.notify_receivers
    return list(alerts.default_receivers if names is None else names), alerts.external_url


async def create_ticket(request: web.Request) -> web.Response:
    """Open a ticket (partners); priority and category are set by the rules."""
    body = await read_json(request, TicketCreate)
    state, actor = request.app[support_state], _actor(request)
    created: list[dict[str, Any]] = []

    async def work(conn: Connection) -> tuple[int, BaseModel]:
        row = await service.create_ticket(
            conn, actor, body, state.clock(), state.settings, state.rules, *team(state)
        )
        created.append(row)
        return 201, ticket_model(row)

    if HEADER in request.headers:
        response = await idempotent(request, work)
    else:
        # One INSERT statement (ticket, its event, its notifications) is atomic: no BEGIN/COMMIT needed.
        # The notifications go out with the Sender's next poll (alerts.sender_idle), batched under load.
        async with state.runtime.pool.acquire() as conn:
            row = await service.create_ticket(
                conn,
                actor,
                body,
                state.clock(),
                state.settings,
                state.rules,
                *team(state),
                full=False,
            )
        created.append(row)
        # The trigger's rendering of the ticket (what GET and the list return): no model round trip.
        response = web.Response(text=row["api_json"], status=201, content_type="application/json")
    if created and "Idempotent-Replayed" not in response.headers:
        # After the commit, so a rolled-back create does not count.
        row = created[0]
        state.metrics.created.labels(row["category"], row["priority"]).inc()
        state.touched()
    return response


async def list_tickets(request: web.Request) -> web.Response:
    """Tickets, newest activity first: a partner's own, or (admins) everyone's."""
    query = read_query(request, TicketQuery)
    async with request.app[support_state].runtime.pool.acquire() as conn:
        # PostgreSQL renders the page (TicketPage's shape): no per-row decoding, validation or encoding here.
        text = await service.list_tickets_json(conn, _actor(request), query)
    return web.Response(text=text, content_type="application/json")


async def get_ticket(request: web.Request) -> web.Response:
    """One ticket."""
    ticket_id = path_id(request)
    async with request.app[support_state].runtime.pool.acquire() as conn:
        row = await service.get_ticket(conn, _actor(request), ticket_id)
    return json_response(ticket_model(row))


async def patch_ticket(request: web.Request) -> web.Response:
    """Change status, priority, category or assignee (admins); close or reopen (partners)."""
    ticket_id = path_id(request)
    body = await read_json(request, TicketPatch)
    state = request.app[support_state]
    async with state.runtime.pool.acquire() as conn, conn.transaction():
        row = await service.update_ticket(
            conn, _actor(request), ticket_id, body, state.clock(), state.settings
        )
    state.touched()
    return json_response(ticket_model(row))


async def list_messages(request: web.Request) -> web.Response:
    """The thread, oldest first; partners never see internal notes."""
    ticket_id = path_id(request)
    query = read_query(request, PageQuery)
    actor = _actor(request)
    async with request.app[support_state].runtime.pool.acquire() as conn:
        await service.get_ticket(conn, actor, ticket_id)
        rows = await repo.list_messages(
            conn, ticket_id, after_id=query.after, limit=query.limit + 1, internal=actor.role == "admin"
        )
    items = [Message(**r) for r in rows[: query.limit]]
    cursor = str(items[-1].id) if len(rows) > query.limit else None
    return json_response(MessagePage(items=items, next_cursor=cursor))


async def post_message(request: web.Request) -> web.Response:
    """Reply (partner or admin) or add an internal note (admin)."""
    ticket_id = path_id(request)
    body = await read_json(request, MessageCreate)
    state, actor = request.app[support_state], _actor(request)
    done: list[tuple[dict[str, Any], dict[str, Any]]] = []

    async def work(conn: Connection) -> tuple[int, BaseModel]:
        message, ticket = await service.add_message(
            conn, actor, ticket_id, body, state.clock(), state.settings
        )
        if actor.role == "admin" and not message["internal"]:
            # In the reply's transaction (idempotent() commits work and response together).
            external = state.alerts.external_url
            await notify_outbox.enqueue_reply(conn, ticket, message, state.clock(), external)
        done.append((message, ticket))
        return 201, Message(**message)

    response = await idempotent(request, work)
    if done and "Idempotent-Replayed" not in response.headers:
        state.touched()
    return response


async def list_events(request: web.Request) -> web.Response:
    """The audit trail: every status, priority, category, assignment and SLA change."""
    ticket_id = path_id(request)
    query = read_query(request, PageQuery)
    async with request.app[support_state].runtime.pool.acquire() as conn:
        await service.get_ticket(conn, _actor(request), ticket_id)
        rows = await repo.list_events(conn, ticket_id, after_id=query.after, limit=query.limit + 1)
    page = EventPage.model_validate({"items": rows[: query.limit], "next_cursor": None})
    if len(rows) > query.limit:
        page.next_cursor = str(page.items[-1].id)
    return json_response(page)


def support_endpoints() -> list[Endpoint]:
    """The support ticket routes."""
    one = f"{TICKETS}/{{id}}"
    return [
        Endpoint(
            "POST",
            TICKETS,
            create_ticket,
            "partner",
            "Open a support ticket",
            "support",
            body=TicketCreate,
            response=Ticket,
            status=201,
            idempotent=True,
        ),
        Endpoint(
            "GET",
            TICKETS,
            list_tickets,
            "any_key",
            "List tickets",
            "support",
            query=TicketQuery,
            response=TicketPage,
            errors=(403,),
        ),
        Endpoint("GET", one, get_ticket, "any_key", "One ticket", "support", response=Ticket),
        Endpoint(
            "PATCH",
            one,
            patch_ticket,
            "any_key",
            "Change a ticket",
            "support",
            body=TicketPatch,
            response=Ticket,
            errors=(403, 409),
        ),
        Endpoint(
            "GET",
            f"{one}/messages",
            list_messages,
            "any_key",
            "A ticket's thread",
            "support",
            query=PageQuery,
            response=MessagePage,
        ),
        Endpoint(
            "POST",
            f"{one}/messages",
            post_message,
            "any_key",
            "Reply to a ticket, or add an internal note",
            "support",
            body=MessageCreate,
            response=Message,
            status=201,
            idempotent=True,
            errors=(403, 409),
        ),
        Endpoint(
            "GET",
            f"{one}/events",
            list_events,
            "any_key",
            "A ticket's audit trail",
            "support",
            query=PageQuery,
            response=EventPage,
        ),
        *webhook_endpoints(),
    ]
