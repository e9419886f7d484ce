"""The list renders each ticket from the JSON stored with it: the very ticket GET returns, field by field."""

from __future__ import annotations

import json

from daemon.support import list_repo, service
from daemon.support.models import TicketQuery
from daemon.support.service import Actor
from tests.support.conftest import TICKETS, Desk


async def test_list_items_equal_the_tickets_themselves(desk: Desk) -> None:
    files = [{"filename": "log.txt", "content_type": "text/plain", "size_bytes": 12, "url": "https://x.io/l"}]
    plain = await desk.create("Question", "How does it work?")
    text = '출금이 전부 실패합니다 "quoted" \\ \n tab\t'
    rich = await desk.create("긴급 출금 불가", text, attachments=files)
    for created in (plain, rich):  # the create response is the same rendering
        assert created == await desk.get(created["id"], desk.acme)
    await desk.say(plain["id"], desk.admin, "answered")  # first response, pending: SLA paused
    desk.clock.advance(minutes=5, microseconds=123)
    assert (await desk.patch(rich["id"], desk.admin, assigned_to=desk.admin_id, priority="low")).status == 200
    assert (await desk.patch(rich["id"], desk.admin, status="resolved")).status == 200
    for who in (desk.admin, desk.acme):
        page = await (await desk.client.get(TICKETS, headers=who)).json()
        assert [t["id"] for t in page["items"]] == [rich["id"], plain["id"]]
        for item in page["items"]:
            assert item == await desk.get(item["id"], who)  # the same strings: times too
    one = await (await desk.client.get(TICKETS, params={"limit": 1}, headers=desk.acme)).json()
    rest = await (
        await desk.client.get(TICKETS, params={"limit": 1, "after": one["next_cursor"]}, headers=desk.acme)
    ).json()
    assert [t["id"] for t in one["items"] + rest["items"]] == [rich["id"], plain["id"]]
    assert rest["next_cursor"] is None


async def test_a_partners_page_is_not_planned_again_on_every_request(desk: Desk) -> None:
    async with desk.pool.acquire() as conn:
        # A desk with history (acme owns a tenth of 20,000 tickets), and statistics that say so.
        await conn.execute(
            "INSERT INTO support_tickets (partner_id, title, description, category, category_source, "
            "priority, priority_source, status, created_at, updated_at, last_activity_at, "
            "first_response_due_at, resolution_due_at) "
            "SELECT CASE WHEN g % 10 = 0 THEN $1::bigint ELSE $2::bigint END, 'Ticket ' || g, 'Seeded', "
            "'other', 'auto', 'low', 'auto', 'closed', $3, $3, $3, $3, $3 "
            "FROM generate_series(1, 20000) AS g",
            desk.acme_id,
            await conn.fetchval("SELECT id FROM partners WHERE name = 'globex'"),
            desk.clock(),
        )
        await conn.execute("ANALYZE support_tickets")
        for _ in range(10):  # PostgreSQL tries 5 custom plans before it may settle on the generic one
            text = await service.list_tickets_json(conn, Actor("partner", desk.acme_id), TicketQuery())
            assert len(json.loads(text)["items"]) == 50
        plans = await conn.fetchrow(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1",
            list_repo._PAGE_FOR_PARTNER,
        )
    # Planned per request, the page cost PostgreSQL more CPU than reading it (bench/ticket_list.py).
    assert plans["generic_plans"] >= 5, dict(plans)
