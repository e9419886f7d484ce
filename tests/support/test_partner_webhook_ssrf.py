"""A partner's webhook URL cannot point the daemon at its own network, however the host is spelled."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient

from daemon.alerts.settings import AlertsSettings
from daemon.config import Settings
from tests.alerts.test_ssrf import DISGUISED, NON_CANONICAL, Listener, listener  # noqa: F401 (fixture)
from tests.conftest import Keys
from tests.support.conftest import Desk, FakeClock, make_desk

Client = Callable[..., Awaitable[TestClient[Any, Any]]]
SECRET = "whsec_" + "YWNtZS1wYXJ0bmVyLXNpZ25pbmcta2V5LTU2Nzg="


async def _desk(aiohttp_client: Client, settings: Settings, keys: Keys, **support: Any) -> Desk:
    alerts = AlertsSettings.model_validate(
        {"receivers": [{"type": "log", "name": "log"}], "sender_idle": 0.05, "backoff_base": 0.05}
    )
    clock = FakeClock()
    clock.now = datetime.now(UTC)  # the Sender delivers rows due by the wall clock
    return await make_desk(
        aiohttp_client, settings.model_copy(update={"alerts": alerts}), keys, clock, **support
    )


async def test_put_refuses_unicode_and_legacy_spellings_of_loopback(
    aiohttp_client: Client, settings: Settings, keys: Keys
) -> None:
    desk = await _desk(aiohttp_client, settings, keys)
    url = f"/api/v1/admin/partners/{desk.acme_id}/webhook"
    for host in DISGUISED + NON_CANONICAL:
        resp = await desk.client.put(
            url, json={"url": f"https://{host}:43203/x", "secret": SECRET}, headers=desk.admin
        )
        body = await resp.json()
        assert resp.status == 422 and body["errors"][0]["field"] == "url", (host, body)  # before: 200
    ok = await desk.client.put(
        url, json={"url": "https://partner.example.com/hook", "secret": SECRET}, headers=desk.admin
    )
    assert ok.status == 200


async def test_put_refuses_non_canonical_ipv4_even_where_private_targets_are_allowed(
    aiohttp_client: Client, settings: Settings, keys: Keys
) -> None:
    desk = await _desk(aiohttp_client, settings, keys, partner_webhook_allow_private=True)
    url = f"/api/v1/admin/partners/{desk.acme_id}/webhook"
    for host in NON_CANONICAL:
        resp = await desk.client.put(
            url, json={"url": f"http://{host}:9/x", "secret": SECRET}, headers=desk.admin
        )
        body = await resp.json()
        assert resp.status == 422 and "canonical IPv4" in body["errors"][0]["message"], host


async def _settled(desk: Desk) -> list[dict[str, Any]]:
    """The partner webhook's notifications once the first is no longer pending (sent or failed)."""
    for _ in range(200):
        resp = await desk.client.get("/api/v1/admin/alerts/history", headers=desk.admin)
        items = [i for i in (await resp.json())["items"] if i["receiver"].startswith("partner:")]
        if items and items[0]["outcome"] != "pending":
            return items
        await asyncio.sleep(0.05)
    raise AssertionError("the partner notification is still pending")


async def test_a_stored_disguised_loopback_webhook_fails_for_good_without_a_connection(
    aiohttp_client: Client,
    settings: Settings,
    keys: Keys,
    listener: Listener,  # noqa: F811
) -> None:
    desk = await _desk(aiohttp_client, settings, keys)
    async with desk.pool.acquire() as conn:  # as a row set before the fix would be
        await conn.execute(
            "UPDATE partners SET webhook_url = $2, webhook_secret = $3 WHERE id = $1",
            desk.acme_id,
            f"https://１２７.０.０.１:{listener.port}/hook",
            SECRET,
        )
    ticket = await desk.create("Callbacks missing", "since 09:10")
    assert (await desk.say(ticket["id"], desk.admin, "Fixed")).status == 201
    items = await _settled(desk)
    assert items and items[0]["outcome"] == "failed" and items[0]["attempts"] == 1, items
    assert items[0]["last_error"] == "receiver URL points at a non-public address"
    assert listener.accepted == 0  # before: the sender connected to 127.0.0.1


async def test_a_stored_non_canonical_webhook_is_a_permanent_failure_not_a_retry(
    aiohttp_client: Client,
    settings: Settings,
    keys: Keys,
    listener: Listener,  # noqa: F811
) -> None:
    desk = await _desk(aiohttp_client, settings, keys, partner_webhook_allow_private=True)
    async with desk.pool.acquire() as conn:
        await conn.execute(
            "UPDATE partners SET webhook_url = $2, webhook_secret = $3 WHERE id = $1",
            desk.acme_id,
            f"http://2130706433:{listener.port}/hook",
            SECRET,
        )
    ticket = await desk.create("Callbacks missing", "since 09:10")
    assert (await desk.say(ticket["id"], desk.admin, "Fixed")).status == 201
    items = await _settled(desk)
    assert items and items[0]["outcome"] == "failed" and items[0]["attempts"] == 1, items  # before: retry
    assert "canonical IPv4" in items[0]["last_error"]
    assert listener.accepted == 0
