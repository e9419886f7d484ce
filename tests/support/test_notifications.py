"""Ticket notifications through the alerts outbox: the support team's receivers and the partner's webhook."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient

from daemon.alerts.settings import AlertsSettings
from daemon.config import Settings
from daemon.support import service
from daemon.support.models import TicketCreate
from daemon.support.service import Actor
from tests.alerts.conftest import Sink, SinkFactory, until
from tests.conftest import Keys
from tests.support.conftest import Desk, FakeClock, make_desk

TEAM_SECRET = "whsec_" + "c3VwcG9ydC10ZWFtLXNpZ25pbmcta2V5LTEyMzQ="
PARTNER_SECRET = "whsec_" + "YWNtZS1wYXJ0bmVyLXNpZ25pbmcta2V5LTU2Nzg="
Client = Callable[..., Awaitable[TestClient[Any, Any]]]


async def _desk(aiohttp_client: Client, settings: Settings, keys: Keys, team: Sink, **support: Any) -> Desk:
    hook = {"type": "webhook", "name": "team", "url": team.url, "secret": TEAM_SECRET, "allow_private": True}
    alerts = AlertsSettings.model_validate(
        {"receivers": [hook], "default_receivers": ["team"], "sender_idle": 0.05, "backoff_base": 0.05}
    )
    clock = FakeClock()
    clock.now = datetime.now(UTC)  # the Sender delivers rows due by the wall clock
    return await make_desk(
        aiohttp_client, settings.model_copy(update={"alerts": alerts}), keys, clock, **support
    )


async def _outbox(desk: Desk) -> list[Any]:
    async with desk.pool.acquire() as conn:
        return list(
            await conn.fetch("SELECT receiver, alertname, notification_id FROM alert_outbox ORDER BY id")
        )


async def test_a_new_ticket_reaches_the_support_team_signed(
    aiohttp_client: Client, settings: Settings, keys: Keys, sink: SinkFactory
) -> None:
    team = await sink(secret=TEAM_SECRET)
    desk = await _desk(aiohttp_client, settings, keys, team)
    ticket = await desk.create("출금 불가 긴급", "All withdrawals fail since 09:10")
    await until(lambda: len(team.received) == 1)
    body = team.received[0]  # Alertmanager webhook v4, the signature checked by the sink
    [event] = body["alerts"]
    assert event["labels"]["alertname"] == "TicketCreated" and event["labels"]["kind"] == "event"
    assert event["labels"]["ticket_id"] == str(ticket["id"])
    assert event["labels"]["priority"] == ticket["priority"] == "critical"
    assert f"#{ticket['id']}" in event["annotations"]["summary"]
    # webhook-id is `<install id>:<notification id>`.
    assert [i.split(":", 1)[1] for i in team.ids] == [f"ticket:{ticket['id']}:created"]


async def test_an_admin_public_reply_reaches_the_partner_webhook_signed(
    aiohttp_client: Client, settings: Settings, keys: Keys, sink: SinkFactory
) -> None:
    team, partner = await sink(secret=TEAM_SECRET), await sink(secret=PARTNER_SECRET)
    desk = await _desk(aiohttp_client, settings, keys, team, partner_webhook_allow_private=True)
    url = f"/api/v1/admin/partners/{desk.acme_id}/webhook"
    missing = await desk.client.put(url, json={"url": partner.url}, headers=desk.admin)
    assert missing.status == 422 and (await missing.json())["errors"][0]["field"] == "secret"
    assert (await desk.client.put(url, json={"url": partner.url}, headers=desk.acme)).status == 403
    set_ = await desk.client.put(url, json={"url": partner.url, "secret": PARTNER_SECRET}, headers=desk.admin)
    assert set_.status == 200 and await set_.json() == {
        "partner_id": desk.acme_id,
        "url": partner.url,
        "signed": True,
    }
    ticket = await desk.create("Webhook callbacks not arriving", "Since 09:10 KST")
    await desk.say(ticket["id"], desk.admin, "looking into it", internal=True)
    reply = await (await desk.say(ticket["id"], desk.admin, "Fixed: the callback queue was stuck")).json()
    await desk.say(ticket["id"], desk.acme, "thanks")
    await until(lambda: len(partner.received) == 1 and len(team.received) == 1)
    await asyncio.sleep(0.3)  # nothing else arrives: not the internal note, not the partner's own reply
    assert len(partner.received) == 1
    [event] = partner.received[0]["alerts"]
    assert event["labels"]["alertname"] == "TicketReply"
    assert event["labels"]["message_id"] == str(reply["id"])
    assert event["annotations"]["description"] == "Fixed: the callback queue was stuck"
    # Verified with the partner's secret; webhook-id is `<install id>:<notification id>`.
    assert [i.split(":", 1)[1] for i in partner.ids] == [f"ticket:{ticket['id']}:reply:{reply['id']}"]


async def test_partner_webhooks_keep_the_ssrf_guard(
    aiohttp_client: Client, settings: Settings, keys: Keys, sink: SinkFactory
) -> None:
    desk = await _desk(aiohttp_client, settings, keys, await sink())
    url = f"/api/v1/admin/partners/{desk.acme_id}/webhook"
    for bad in ("http://127.0.0.1:9/hook", "https://10.0.0.7/hook", "file:///etc/passwd"):
        resp = await desk.client.put(url, json={"url": bad, "secret": PARTNER_SECRET}, headers=desk.admin)
        assert resp.status == 422 and (await resp.json())["errors"][0]["field"] == "url", bad
    garbled = await desk.client.put(
        url,
        json={"url": "https://partner.example/hook", "secret": "whsec_not*base64!!!!"},
        headers=desk.admin,
    )
    assert garbled.status == 422 and (await garbled.json())["errors"][0]["field"] == "secret"
    gone = await desk.client.put(
        "/api/v1/admin/partners/999999/webhook", json={"url": None}, headers=desk.admin
    )
    assert gone.status == 404


async def test_a_rolled_back_ticket_notifies_no_one(
    aiohttp_client: Client, settings: Settings, keys: Keys, sink: SinkFactory
) -> None:
    team = await sink(secret=TEAM_SECRET)
    desk = await _desk(aiohttp_client, settings, keys, team)
    body = TicketCreate(title="Dashboard shows impossible numbers", description="120% for pool-beta")

    class Crash(Exception):
        pass

    try:
        async with desk.pool.acquire() as conn, conn.transaction():
            row = await service.create_ticket(
                conn, Actor("partner", desk.acme_id), body, desk.clock(), desk.state.settings,
                desk.state.rules, ["team"], "",
            )  # fmt: skip
            assert [r["alertname"] for r in await conn.fetch("SELECT alertname FROM alert_outbox")] == [
                "TicketCreated"
            ]  # written with the ticket ...
            raise Crash  # ... and the transaction fails after it
    except Crash:
        pass
    assert await _outbox(desk) == []
    async with desk.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM support_tickets WHERE id = $1", row["id"]) == 0
    ticket = await desk.create("Invoice for October is wrong", "1,250 USDT instead of 800")
    await until(lambda: len(team.received) == 1)
    await asyncio.sleep(0.2)
    assert [b["alerts"][0]["labels"]["ticket_id"] for b in team.received] == [str(ticket["id"])]
