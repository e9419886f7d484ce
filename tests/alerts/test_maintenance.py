"""Maintenance windows: mute matching alerts, end on time, on DELETE or when resolved; shown on /status."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from daemon.alerts.context import evaluate_once
from tests.alerts.conftest import START, AppFactory, SinkFactory, one_rule
from tests.alerts.test_delivery import admin, hook, setup

MAINT = "/api/v1/admin/maintenance"
ALERTS = "/api/v1/admin/alerts"


async def _alert(client: Any, h: dict[str, str]) -> dict[str, Any]:
    (alert,) = (await (await client.get(ALERTS, headers=h)).json())["alerts"]
    return dict(alert)


async def test_a_window_mutes_matching_alerts_then_ends_on_delete(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink()
    client, knobs, clock = await setup(alerts_app, tmp_path, [hook(s.url)], one_rule())
    h = await admin(client)
    body = {"matchers": ['alertname=~"Kn.b"', 'severity!="info"'], "duration_seconds": 3600, "comment": "db"}
    resp = await client.post(MAINT, json=body, headers=h)
    assert resp.status == 201
    window = await resp.json()
    assert window["state"] == "active" and window["created_by"].startswith("admin:")
    knobs.values["x"] = 8
    assert await evaluate_once(client.app) == 0  # muted: nobody is told
    alert = await _alert(client, h)
    assert alert["state"] == "firing" and alert["muted"] == f"maintenance {window['id']}"
    one = await (await client.get(f"{MAINT}/{window['id']}", headers=h)).json()
    assert one["state"] == "active" and one["matchers"] == body["matchers"]
    ended = await client.delete(f"{MAINT}/{window['id']}", headers=h)
    assert ended.status == 200 and (await ended.json())["state"] == "ended"
    clock.advance(1)
    assert await evaluate_once(client.app) == 1  # told as soon as the window ends
    listed = await (await client.get(MAINT, params={"state": "ended"}, headers=h)).json()
    assert [(w["id"], w["ended_early"], w["end_reason"]) for w in listed["items"]] == [
        (window["id"], True, "deleted")
    ]
    assert (await (await client.get(MAINT, params={"state": "active"}, headers=h)).json())["items"] == []
    assert (await client.get(f"{MAINT}/999", headers=h)).status == 404


async def test_a_retried_create_makes_one_window(alerts_app: AppFactory, tmp_path: Any) -> None:
    client, _, _ = await setup(alerts_app, tmp_path, [], one_rule(receivers="[]"))
    h = {**await admin(client), "Idempotency-Key": "maint-1"}
    body = {"matchers": ['alertname="Knob"'], "duration_seconds": 600}
    first = await (await client.post(MAINT, json=body, headers=h)).json()
    again = await client.post(MAINT, json=body, headers=h)
    assert again.status == 201 and (await again.json())["id"] == first["id"]
    assert len((await (await client.get(MAINT, headers=h)).json())["items"]) == 1


async def test_a_window_that_does_not_match_lets_alerts_through(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink()
    client, knobs, _ = await setup(alerts_app, tmp_path, [hook(s.url)], one_rule())
    h = await admin(client)
    body = {"matchers": ['alertname!~"Kn.*"'], "duration_seconds": 3600}
    assert (await client.post(MAINT, json=body, headers=h)).status == 201
    knobs.values["x"] = 8
    assert await evaluate_once(client.app) == 1


async def test_end_when_resolved_ends_the_window_once_its_alert_resolves(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink()
    client, knobs, clock = await setup(alerts_app, tmp_path, [hook(s.url)], one_rule())
    h = await admin(client)
    body = {"matchers": ['alertname="Knob"'], "duration_seconds": 86400, "end_when_resolved": True}
    window = await (await client.post(MAINT, json=body, headers=h)).json()
    await evaluate_once(client.app)  # nothing has fired yet: the work may not have begun, the window stays
    clock.advance(60)
    knobs.values["x"] = 8
    assert await evaluate_once(client.app) == 0
    clock.advance(60)
    knobs.values["x"] = 0
    assert await evaluate_once(client.app) == 0  # resolved while muted: nothing to resolve for anyone
    got = await (await client.get(f"{MAINT}/{window['id']}", headers=h)).json()
    assert got["state"] == "ended" and got["end_reason"] == "resolved" and got["ended_early"] is True
    clock.advance(60)
    knobs.values["x"] = 9
    assert await evaluate_once(client.app) == 1  # the window is over: the next problem is told


async def test_a_scheduled_window_is_not_in_force_before_it_starts(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink()
    client, knobs, clock = await setup(alerts_app, tmp_path, [hook(s.url)], one_rule(repeat_interval="1m"))
    h = await admin(client)
    starts = (START + timedelta(hours=1)).isoformat()
    ends = (START + timedelta(hours=2)).isoformat()
    body = {"matchers": ['alertname="Knob"'], "starts_at": starts, "ends_at": ends}
    window = await (await client.post(MAINT, json=body, headers=h)).json()
    assert window["state"] == "scheduled"
    knobs.values["x"] = 8
    assert await evaluate_once(client.app) == 1
    clock.advance(3600)
    assert await evaluate_once(client.app) == 0  # the repeat falls inside the window
    assert (await _alert(client, h))["muted"] == f"maintenance {window['id']}"
    clock.advance(3600)
    assert await evaluate_once(client.app) == 1  # over at ends_at


async def test_status_page_announces_withdrawal_maintenance_ahead_of_time(
    alerts_app: AppFactory, tmp_path: Any
) -> None:
    client, _, clock = await setup(alerts_app, tmp_path, [], one_rule(receivers="[]"))
    h = await admin(client)
    soon = {
        "matchers": ['family="energy"'],
        "starts_at": (START + timedelta(hours=2)).isoformat(),
        "duration_seconds": 1800,
        "affects_withdrawals": True,
        "comment": "internal: node upgrade",
    }
    internal = {**soon, "affects_withdrawals": False, "starts_at": (START + timedelta(hours=3)).isoformat()}
    for body in (soon, internal):
        assert (await client.post(MAINT, json=body, headers=h)).status == 201
    ko = await (await client.get("/status", params={"lang": "ko"})).text()
    assert 'data-maintenance="scheduled"' in ko and ko.count('class="notice"') == 1
    assert "2026-11-24 11:00 UTC부터 2026-11-24 11:30 UTC까지 점검이 예정되어 있습니다" in ko
    assert "node upgrade" not in ko  # the comment is for admins
    en = await (await client.get("/status", params={"lang": "en"})).text()
    assert "Maintenance is scheduled from 2026-11-24 11:00 UTC to 2026-11-24 11:30 UTC" in en
    clock.advance(2 * 3600 + 60)
    en = await (await client.get("/status", params={"lang": "en"})).text()
    assert 'data-maintenance="active"' in en and "Maintenance is under way (until 2026-11-24 11:30 UTC)" in en
    clock.advance(3600)
    assert 'class="notice"' not in await (await client.get("/status", params={"lang": "en"})).text()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"matchers": [], "duration_seconds": 60}, "matchers"),
        ({"matchers": ["alertname"], "duration_seconds": 60}, "matchers"),
        ({"matchers": ['pool=~"("'], "duration_seconds": 60}, "matchers"),
        ({"matchers": ['a="b"']}, "ends_at"),
        ({"matchers": ['a="b"'], "ends_at": "2000-01-01T00:00:00Z"}, "ends_at"),
        ({"matchers": ['a="b"'], "duration_seconds": 60, "end_when_resolved": "maybe"}, "end_when_resolved"),
    ],
)
async def test_bad_windows_are_422_naming_the_field(
    alerts_app: AppFactory, tmp_path: Any, body: dict[str, Any], field: str
) -> None:
    client, _, _ = await setup(alerts_app, tmp_path, [], one_rule(receivers="[]"))
    resp = await client.post(MAINT, json=body, headers=await admin(client))
    assert resp.status == 422
    assert next(e["field"] for e in (await resp.json())["errors"]).split(".")[0] == field
