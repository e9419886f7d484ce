"""The ticket API as partners and admins use it: create, validate, see, page, triage."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.conftest import TICKETS, Desk


async def test_new_ticket_is_classified_and_keeps_the_partners_choice_unless_raised(desk: Desk) -> None:
    raised = await desk.create("출금 불가 긴급", "모든 고객 출금이 실패하고 있습니다.", priority="low")
    assert raised["status"] == "open"
    assert raised["category"] == "withdrawal" and raised["category_source"] == "auto"
    assert raised["priority"] == "critical" and raised["requested_priority"] == "low"
    chosen = await desk.create("Invoice question", "Please resend the October invoice.", priority="high")
    assert chosen["priority"] == "high", "the rules never lower what the partner chose"
    assert chosen["category"] == "billing"
    plain = await desk.create("Hello", "Just saying hi to the team.")
    assert plain["priority"] == "medium" and plain["category"] == "other"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "   ", "description": "x"}, "title"),
        ({"title": "t" * 201, "description": "x"}, "title"),
        ({"title": "t"}, "description"),
        ({"title": "t", "description": ""}, "description"),
        ({"title": "t", "description": "x", "priority": "urgent"}, "priority"),
        ({"title": "t", "description": "x", "category": "api"}, "category"),
        ({"title": "t\x00", "description": "x"}, "title"),
        (
            {"title": "t", "description": "x", "attachments": [{"filename": "a.png", "size_bytes": 1}] * 11},
            "attachments",
        ),
        (
            {"title": "t", "description": "x", "attachments": [{"filename": "", "size_bytes": 1}]},
            "attachments.0.filename",
        ),
        (
            {
                "title": "t",
                "description": "x",
                "attachments": [
                    {"filename": "ok.png", "size_bytes": 1},
                    {"filename": "big.zip", "size_bytes": 10**9},
                ],
            },
            "attachments.1.size_bytes",
        ),
    ],
)
async def test_bad_ticket_input_is_422_naming_the_field(desk: Desk, body: dict[str, Any], field: str) -> None:
    resp = await desk.client.post(TICKETS, json=body, headers=desk.acme)
    assert resp.status == 422
    problem = await resp.json()
    assert field in [e["field"] for e in problem["errors"]]


async def test_attachments_within_limits_are_kept(desk: Desk) -> None:
    files = [{"filename": f"log{i}.txt", "content_type": "text/plain", "size_bytes": 100} for i in range(10)]
    ticket = await desk.create("Logs", "Attached.", attachments=files)
    assert [a["filename"] for a in ticket["attachments"]] == [f"log{i}.txt" for i in range(10)]


async def test_create_is_idempotent_per_key(desk: Desk) -> None:
    body = {"title": "Webhook down", "description": "No callbacks since 9am."}
    headers = {**desk.acme, "Idempotency-Key": "t-1"}
    first = await desk.client.post(TICKETS, json=body, headers=headers)
    again = await desk.client.post(TICKETS, json=body, headers=headers)
    assert first.status == again.status == 201
    assert (await first.json())["id"] == (await again.json())["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = await desk.client.post(TICKETS, json={**body, "title": "x"}, headers=headers)
    assert other.status == 422
    listed = await (await desk.client.get(TICKETS, headers=desk.acme)).json()
    assert len(listed["items"]) == 1


async def test_partners_see_only_their_own_tickets(desk: Desk) -> None:
    mine = await desk.create()
    url = f"{TICKETS}/{mine['id']}"
    for method, path, body in [
        ("GET", url, None),
        ("PATCH", url, {"status": "closed"}),
        ("GET", f"{url}/messages", None),
        ("POST", f"{url}/messages", {"message": "hi"}),
        ("GET", f"{url}/events", None),
    ]:
        resp = await desk.client.request(method, path, json=body, headers=desk.globex)
        assert resp.status == 404, (method, path)
    assert (await (await desk.client.get(TICKETS, headers=desk.globex)).json())["items"] == []
    assert (await desk.get(mine["id"], desk.admin))["partner_id"] == desk.acme_id
    assert (await desk.client.get(f"{TICKETS}/99999", headers=desk.admin)).status == 404
    assert (await desk.client.get(f"{TICKETS}/abc", headers=desk.admin)).status == 404


async def test_list_pages_newest_activity_first_with_filters(desk: Desk) -> None:
    ids = []
    for i in range(5):
        desk.clock.advance(minutes=1)
        ids.append((await desk.create(f"Question {i}", "How?"))["id"])
    desk.clock.advance(minutes=1)
    assert (await desk.say(ids[1], desk.acme, "any news?")).status == 201  # bumps ticket 1 to the top
    seen, cursor = [], None
    while True:
        params = {"limit": "2", **({"after": cursor} if cursor else {})}
        page = await (await desk.client.get(TICKETS, params=params, headers=desk.acme)).json()
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [ids[1], ids[4], ids[3], ids[2], ids[0]]
    await desk.patch(ids[2], desk.admin, priority="critical")
    page = await (await desk.client.get(TICKETS, params={"priority": "critical"}, headers=desk.acme)).json()
    assert [t["id"] for t in page["items"]] == [ids[2]]
    by_partner = await desk.client.get(TICKETS, params={"partner_id": str(desk.acme_id)}, headers=desk.admin)
    assert len((await by_partner.json())["items"]) == 5


@pytest.mark.parametrize(
    ("params", "who", "status", "field"),
    [
        ({"limit": "101"}, "acme", 422, "limit"),
        ({"status": "done"}, "acme", 422, "status"),
        ({"after": "not-a-cursor"}, "acme", 422, "after"),
        ({"colour": "red"}, "acme", 422, "colour"),
        ({"partner_id": "1"}, "acme", 403, "partner_id"),
        ({"assigned_to": "1"}, "acme", 403, "assigned_to"),
    ],
)
async def test_bad_list_queries(
    desk: Desk, params: dict[str, str], who: str, status: int, field: str
) -> None:
    resp = await desk.client.get(TICKETS, params=params, headers=getattr(desk, who))
    assert resp.status == status
    assert field in [e["field"] for e in (await resp.json())["errors"]]


async def test_status_machine_and_its_409s(desk: Desk) -> None:
    t = await desk.create()
    bad = await desk.patch(t["id"], desk.acme, status="resolved")
    assert bad.status == 409
    assert "allowed" in (await bad.json())["detail"] and "closed" in (await bad.json())["detail"]
    for status in ("in_progress", "pending", "resolved"):
        resp = await desk.patch(t["id"], desk.admin, status=status)
        assert resp.status == 200 and (await resp.json())["status"] == status
    assert (await desk.get(t["id"]))["resolved_at"] is not None
    reopened = await desk.say(t["id"], desk.acme, "It broke again")
    assert reopened.status == 201
    assert (await desk.get(t["id"]))["status"] == "open", "a partner reply reopens a resolved ticket"
    assert (await desk.get(t["id"]))["resolved_at"] is None
    closed = await desk.patch(t["id"], desk.acme, status="closed")
    assert (await closed.json())["status"] == "closed"
    assert (await desk.patch(t["id"], desk.acme, status="closed")).status == 200  # closing again: no-op
    final = await desk.patch(t["id"], desk.admin, status="open")
    assert final.status == 409 and "closed is final" in (await final.json())["detail"]
    assert (await desk.say(t["id"], desk.acme, "hello?")).status == 409


async def test_partner_may_only_close_or_reopen(desk: Desk) -> None:
    t = await desk.create()
    resp = await desk.patch(t["id"], desk.acme, priority="critical")
    assert resp.status == 403 and (await resp.json())["errors"][0]["field"] == "priority"
    assert (await desk.patch(t["id"], desk.acme)).status == 422
    assert (await desk.patch(t["id"], desk.admin, status="pending")).status == 200
    assert (await (await desk.patch(t["id"], desk.acme, status="open")).json())["status"] == "open"


async def test_admin_triage_is_manual_and_audited(desk: Desk) -> None:
    t = await desk.create("Invoice wrong", "The invoice total is off.")
    resp = await desk.patch(
        t["id"], desk.admin, priority="high", category="account", assigned_to=desk.admin_id
    )
    body = await resp.json()
    assert (body["priority"], body["priority_source"]) == ("high", "manual")
    assert (body["category"], body["category_source"]) == ("account", "manual")
    assert body["assigned_to"] == desk.admin_id
    unknown = await desk.patch(t["id"], desk.admin, assigned_to=987654)
    assert unknown.status == 422 and (await unknown.json())["errors"][0]["field"] == "assigned_to"
    await desk.patch(t["id"], desk.admin, assigned_to=None, status="in_progress")
    events = (await (await desk.client.get(f"{TICKETS}/{t['id']}/events", headers=desk.acme)).json())["items"]
    trail = [(e["actor_type"], e["field"], e["from_value"], e["to_value"]) for e in events]
    assert trail == [
        ("partner", "created", None, "open"),
        ("admin", "priority", "medium", "high"),
        ("admin", "category", "billing", "account"),
        ("admin", "assigned_to", None, str(desk.admin_id)),
        ("admin", "assigned_to", str(desk.admin_id), None),
        ("admin", "status", "open", "in_progress"),
    ]
    assert events[0]["detail"]["category"] == "billing"


async def test_thread_hides_internal_notes_from_partners(desk: Desk) -> None:
    t = await desk.create()
    assert (await desk.say(t["id"], desk.admin, "customer is VIP", internal=True)).status == 201
    after_note = await desk.get(t["id"])
    assert after_note["first_responded_at"] is None and after_note["status"] == "open"
    assert (await desk.say(t["id"], desk.admin, "We are on it")).status == 201
    replied = await desk.get(t["id"])
    assert replied["first_responded_at"] is not None
    assert replied["status"] == "pending", "a public admin reply waits on the partner"
    forbidden = await desk.say(t["id"], desk.acme, "sneaky", internal=True)
    assert forbidden.status == 403
    url = f"{TICKETS}/{t['id']}/messages"
    partner_view = (await (await desk.client.get(url, headers=desk.acme)).json())["items"]
    admin_view = (await (await desk.client.get(url, headers=desk.admin)).json())["items"]
    assert [m["message"] for m in partner_view] == ["We are on it"]
    assert [m["message"] for m in admin_view] == ["customer is VIP", "We are on it"]
    keep = await desk.say(t["id"], desk.admin, "still looking", status="in_progress")
    assert keep.status == 201 and (await desk.get(t["id"]))["status"] == "in_progress"
    wrong = await desk.say(t["id"], desk.admin, "x", status="bogus")
    assert wrong.status == 422
