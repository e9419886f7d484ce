"""Acknowledgement: repeats stop until the alert resolves or fires again; the signed one-click link."""

from __future__ import annotations

import re
from typing import Any

import asyncpg

from daemon import keys as app_keys
from daemon.alerts.context import evaluate_once
from tests.alerts.conftest import AppFactory, Sink, SinkFactory, one_rule, state_of, until
from tests.alerts.test_delivery import admin, setup
from tests.conftest import Keys, bearer
from tests.monitoring.conftest import next_of

ALERTS = "/api/v1/admin/alerts"
LINK_SECRET = "ack-link-secret-for-tests"


def slack(s: Sink) -> dict[str, Any]:
    """A Slack receiver on a local sink."""
    return {"type": "slack", "name": "hook", "url": s.url, "allow_private": True}


def texts(s: Sink) -> list[str]:
    """What the Slack channel showed, message by message."""
    return [m["blocks"][0]["text"]["text"] for m in s.received]


async def _fire(client: Any, knobs: Any, s: Sink, n: int) -> None:
    knobs.values["x"] = 8
    await evaluate_once(client.app)
    await until(lambda: len(s.received) == n)
    await state_of(client).sender.drain()  # recorded as sent before the test moves the clock on


async def test_ack_stops_repeats_and_a_new_episode_notifies_again(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink()
    client, knobs, clock = await setup(alerts_app, tmp_path, [slack(s)], one_rule(repeat_interval="10m"))
    h = await admin(client)
    await _fire(client, knobs, s, 1)
    clock.advance(601)
    await _fire(client, knobs, s, 2)  # a repeat
    (alert,) = (await (await client.get(ALERTS, headers=h)).json())["alerts"]
    fp = alert["fingerprint"]
    resp = await client.post(f"{ALERTS}/{fp}/ack", json={"comment": "looking at the pool"}, headers=h)
    assert resp.status == 200
    acked = await resp.json()
    assert acked["acked_by"].startswith("admin:") and acked["comment"] == "looking at the pool"
    (alert,) = (await (await client.get(ALERTS, headers=h)).json())["alerts"]
    assert alert["acked"] is True and alert["ack"]["acked_by"] == acked["acked_by"]
    for _ in range(3):
        clock.advance(601)
        assert await evaluate_once(client.app) == 0  # acknowledged: no repeats
    knobs.values["x"] = 0
    clock.advance(60)
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(s.received) == 3)
    resolved = texts(s)[2]
    assert resolved.startswith("*[RESOLVED] Knob")
    assert f"acknowledged by {acked['acked_by']}" in resolved and "looking at the pool" in resolved
    clock.advance(60)
    await _fire(client, knobs, s, 4)  # fires again: a new episode is told
    assert "acknowledged" not in texts(s)[3]
    clock.advance(601)
    await _fire(client, knobs, s, 5)  # and repeats again: the old acknowledgement is gone
    (alert,) = (await (await client.get(ALERTS, headers=h)).json())["alerts"]
    assert alert["acked"] is False
    history = await (await client.get(f"{ALERTS}/history", headers=h)).json()
    assert [(e["kind"], e["actor"], e["comment"]) for e in history["acks"]] == [
        ("acknowledged", acked["acked_by"], "looking at the pool")
    ]


async def test_unack_restarts_repeats_and_acks_of_quiet_alerts_are_refused(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink()
    client, knobs, clock = await setup(alerts_app, tmp_path, [slack(s)], one_rule(repeat_interval="10m"))
    h = await admin(client)
    assert (await client.post(f"{ALERTS}/0123456789abcdef/ack", json={}, headers=h)).status == 404
    assert (await client.post(f"{ALERTS}/not-a-fingerprint/ack", json={}, headers=h)).status == 404
    await _fire(client, knobs, s, 1)
    (alert,) = (await (await client.get(ALERTS, headers=h)).json())["alerts"]
    fp = alert["fingerprint"]
    assert (await client.post(f"{ALERTS}/{fp}/ack", json={"comment": 5}, headers=h)).status == 422
    assert (await client.post(f"{ALERTS}/{fp}/ack", json={}, headers=h)).status == 200
    clock.advance(601)
    assert await evaluate_once(client.app) == 0
    assert (await client.delete(f"{ALERTS}/{fp}/ack", headers=h)).status == 204
    assert (await client.delete(f"{ALERTS}/{fp}/ack", headers=h)).status == 404
    assert await evaluate_once(client.app) == 1  # the repeat that was held back goes out
    history = await (await client.get(f"{ALERTS}/history", headers=h)).json()
    assert [e["kind"] for e in history["acks"]] == ["unacknowledged", "acknowledged"]
    knobs.values["x"] = 0
    clock.advance(60)
    await evaluate_once(client.app)
    resp = await client.post(f"{ALERTS}/{fp}/ack", json={}, headers=h)
    assert resp.status == 409 and "not firing" in (await resp.json())["detail"]


def _link(text: str) -> str:
    m = re.search(r"http://localhost:8080(/alerts/ack/\S+)", text)
    assert m is not None, text
    return m.group(1)


async def test_the_signed_link_acks_on_post_only(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink()
    client, knobs, clock = await setup(
        alerts_app,
        tmp_path,
        [slack(s)],
        one_rule(repeat_interval="10m"),
        ack_link_secret=LINK_SECRET,
        ack_link_ttl=3600,
    )
    h = await admin(client)
    await _fire(client, knobs, s, 1)
    assert "Acknowledge (stops repeats): http://localhost:8080/alerts/ack/" in texts(s)[0]
    path = _link(texts(s)[0])
    page = await client.get(path)  # what a mail client's link scanner does
    assert page.status == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    assert '<form method="post">' in await page.text() and "Knob" in await page.text()
    (alert,) = (await (await client.get(ALERTS, headers=h)).json())["alerts"]
    assert alert["acked"] is False  # a GET acknowledges nothing
    done = await client.post(path, data={"name": "kim", "comment": "on it"})
    assert done.status == 200 and "acknowledged by link:kim" in await done.text()
    (alert,) = (await (await client.get(ALERTS, headers=h)).json())["alerts"]
    assert alert["acked"] is True and alert["ack"]["acked_by"] == "link:kim"
    clock.advance(601)
    assert await evaluate_once(client.app) == 0


async def test_forged_expired_and_stale_links_are_refused(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink()
    client, knobs, clock = await setup(
        alerts_app,
        tmp_path,
        [slack(s)],
        one_rule(repeat_interval="10m"),
        ack_link_secret=LINK_SECRET,
        ack_link_ttl=3600,
    )
    h = await admin(client)
    await _fire(client, knobs, s, 1)
    path = _link(texts(s)[0])
    fp, episode, expires, mac = path.rsplit("/", 1)[1].split(".")
    forged = [
        f"/alerts/ack/{fp}.{episode}.{int(expires) + 86400}.{mac}",  # a longer life
        f"/alerts/ack/{fp}.{int(episode) + 1}.{expires}.{mac}",  # another episode
        f"/alerts/ack/{fp}.{episode}.{expires}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}",
        "/alerts/ack/garbage",
    ]
    for bad in forged:
        for method in ("GET", "POST"):
            resp = await client.request(method, bad)
            assert resp.status == 403, (method, bad)
            assert resp.content_type == "application/problem+json"
    knobs.values["x"] = 0
    clock.advance(60)
    await evaluate_once(client.app)
    # The resolved notification is sent and recorded before the clock moves on. Otherwise, under load,
    # it came after the new episode's, or not until the test's clock moved again.
    await until(lambda: len(s.received) == 2)
    await state_of(client).sender.drain()
    clock.advance(60)
    await _fire(client, knobs, s, 3)
    assert (await client.post(path)).status == 409  # the link was for the episode that ended
    clock.advance(3601)
    for method in ("GET", "POST"):
        assert (await client.request(method, _link(texts(s)[2]))).status == 410
    (alert,) = (await (await client.get(ALERTS, headers=h)).json())["alerts"]
    assert alert["acked"] is False


async def test_an_ack_reaches_the_stream(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any, keys: Keys
) -> None:
    s = await sink()
    client, knobs, _ = await setup(alerts_app, tmp_path, [slack(s)], one_rule())
    await _fire(client, knobs, s, 1)
    h = await admin(client)
    (alert,) = (await (await client.get(ALERTS, headers=h)).json())["alerts"]
    key, _ = await keys.admin("streamer")
    async with client.ws_connect("/ws/monitoring", headers=bearer(key)) as ws:
        await next_of(ws, "hello")
        await client.post(f"{ALERTS}/{alert['fingerprint']}/ack", json={"comment": "mine"}, headers=h)
        event = await next_of(ws, "alert_acknowledged")
        await client.delete(f"{ALERTS}/{alert['fingerprint']}/ack", headers=h)
        withdrawn = await next_of(ws, "alert_unacknowledged")
    assert event["data"]["fingerprint"] == alert["fingerprint"] and event["data"]["alertname"] == "Knob"
    assert event["data"]["acked_by"].startswith("admin:") and event["data"]["comment"] == "mine"
    assert withdrawn["data"]["fingerprint"] == alert["fingerprint"]


# Once, right after the next INSERT into alert_acks: un-ack the standing ack, as another admin's
# DELETE committing between the ack's INSERT ... DO NOTHING and its SELECT of the standing ack would.
_UNACK_ONCE = """
CREATE TABLE race_once (done boolean NOT NULL);
INSERT INTO race_once VALUES (false);
CREATE FUNCTION unack_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT (SELECT done FROM race_once) THEN
        UPDATE race_once SET done = true;
        UPDATE alert_acks SET unacked_at = now(), unacked_by = 'admin:other' WHERE unacked_at IS NULL;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER unack_race AFTER INSERT ON alert_acks FOR EACH STATEMENT EXECUTE FUNCTION unack_once();
"""


async def test_an_ack_racing_an_unack_makes_the_new_ack(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink()
    client, knobs, _clock = await setup(alerts_app, tmp_path, [slack(s)], one_rule(repeat_interval="10m"))
    h = await admin(client)
    await _fire(client, knobs, s, 1)
    (alert,) = (await (await client.get(ALERTS, headers=h)).json())["alerts"]
    fp = alert["fingerprint"]
    first = await client.post(f"{ALERTS}/{fp}/ack", json={"comment": "first"}, headers=h)
    assert first.status == 200
    conn = await asyncpg.connect(client.app[app_keys.database_url])
    try:
        await conn.execute(_UNACK_ONCE)
    finally:
        await conn.close()
    resp = await client.post(f"{ALERTS}/{fp}/ack", json={"comment": "second"}, headers=h)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["comment"] == "second"
    (alert,) = (await (await client.get(ALERTS, headers=h)).json())["alerts"]
    assert alert["acked"] is True and alert["ack"]["comment"] == "second"
