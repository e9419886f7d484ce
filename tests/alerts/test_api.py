"""Admin alert API: state, silences, rule reload that keeps the old rules on error."""

from __future__ import annotations

from typing import Any

import pytest

from daemon.alerts.context import evaluate_once
from tests.alerts.conftest import AppFactory, one_rule, state_of, until, write_rules
from tests.alerts.test_delivery import admin, setup
from tests.energy.conftest import metric

ALERTS = "/api/v1/admin/alerts"
LOG = [{"type": "log", "name": "hook"}]


async def test_alert_list_shows_firing_instances_and_rule_status(
    alerts_app: AppFactory, tmp_path: Any
) -> None:
    client, knobs, _ = await setup(alerts_app, tmp_path, LOG, one_rule())
    h = await admin(client)
    knobs.values["x"] = 8
    await evaluate_once(client.app)
    body = await (await client.get(ALERTS, headers=h)).json()
    (alert,) = body["alerts"]
    assert alert["alertname"] == "Knob" and alert["state"] == "firing" and alert["value"] == 8
    assert alert["annotations"] == {"summary": "x is 8"} and alert["notifications"] == 1
    assert body["rules"]["loaded"] == 1 and body["rules"]["last_reload_error"] is None
    assert await metric(client, "tronwatch_alerts", alertname="Knob", alertstate="firing") == 1


async def test_silence_mutes_then_expires(alerts_app: AppFactory, tmp_path: Any) -> None:
    client, knobs, clock = await setup(alerts_app, tmp_path, LOG, one_rule())
    h = await admin(client)
    resp = await client.post(
        f"{ALERTS}/silences", json={"matchers": {"alertname": "Knob"}, "duration_seconds": 600}, headers=h
    )
    assert resp.status == 201
    silence = await resp.json()
    assert silence["active"] is True and silence["created_by"].startswith("admin:")
    knobs.values["x"] = 8
    assert await evaluate_once(client.app) == 0  # muted
    listed = await (await client.get(f"{ALERTS}/silences", headers=h)).json()
    assert [s["id"] for s in listed["items"]] == [silence["id"]]
    assert (await client.delete(f"{ALERTS}/silences/{silence['id']}", headers=h)).status == 204
    clock.advance(1)
    assert await evaluate_once(client.app) == 1  # told as soon as the silence ends
    assert (await (await client.get(f"{ALERTS}/silences", headers=h)).json())["items"] == []
    assert (await client.delete(f"{ALERTS}/silences/999", headers=h)).status == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"matchers": {}, "duration_seconds": 60}, "matchers"),
        ({"matchers": {"a": "b"}}, "ends_at"),
        ({"matchers": {"a": "b"}, "duration_seconds": 60, "ends_at": "2030-01-01T00:00:00Z"}, "ends_at"),
        ({"matchers": {"a": "b"}, "ends_at": "2000-01-01T00:00:00Z"}, "ends_at"),
        ({"matchers": {"a": "b"}, "ends_at": "2030-01-01T00:00:00"}, "ends_at"),
        ({"matchers": {"1bad": "b"}, "duration_seconds": 60}, "matchers"),
        ({"matchers": {"a": "b\x00"}, "duration_seconds": 60}, "matchers"),
        ({"matchers": {"a": "b"}, "duration_seconds": -1}, "duration_seconds"),
        ({"matchers": {"a": "b"}, "duration_seconds": 60, "extra": 1}, "extra"),
    ],
)
async def test_bad_silences_are_422_naming_the_field(
    alerts_app: AppFactory, tmp_path: Any, body: dict[str, Any], field: str
) -> None:
    client, _, _ = await setup(alerts_app, tmp_path, LOG, one_rule())
    resp = await client.post(f"{ALERTS}/silences", json=body, headers=await admin(client))
    problem = await resp.json()
    assert resp.status == 422, problem
    assert problem["errors"][0]["field"].startswith(field)


async def test_a_broken_reload_keeps_the_running_rules(alerts_app: AppFactory, tmp_path: Any) -> None:
    client, knobs, _ = await setup(alerts_app, tmp_path, LOG, one_rule())
    h = await admin(client)
    write_rules(tmp_path, one_rule(expr="knob.z > 5"))
    resp = await client.post("/api/v1/admin/rules/reload", headers=h)
    problem = await resp.json()
    assert resp.status == 422 and "unknown name 'knob.z'; did you mean 'knob.x'" in problem["detail"]
    assert await metric(client, "tronwatch_rules_last_reload_successful") == 0
    knobs.values["x"] = 8
    assert await evaluate_once(client.app) == 1  # the old rule still runs
    status = (await (await client.get(ALERTS, headers=h)).json())["rules"]
    assert "knob.z" in status["last_reload_error"]
    write_rules(tmp_path, one_rule(name="Other"))
    resp = await client.post("/api/v1/admin/rules/reload", headers=h)
    assert resp.status == 200 and (await resp.json())["loaded"] == 1
    assert await metric(client, "tronwatch_rules_last_reload_successful") == 1
    assert [r.name for r in state_of(client).evaluator.rules.rules] == ["Other"]


async def test_sighup_reloads(alerts_app: AppFactory, tmp_path: Any) -> None:
    import asyncio
    import os
    import signal

    client, _, _ = await setup(alerts_app, tmp_path, LOG, one_rule())
    write_rules(tmp_path, one_rule(name="AfterHup"))
    os.kill(os.getpid(), signal.SIGHUP)
    for _ in range(100):
        if [r.name for r in state_of(client).evaluator.rules.rules] == ["AfterHup"]:
            break
        await asyncio.sleep(0.01)
    assert [r.name for r in state_of(client).evaluator.rules.rules] == ["AfterHup"]


async def test_partners_cannot_see_alerts(alerts_app: AppFactory, tmp_path: Any) -> None:
    from tests.alerts.test_delivery import _url
    from tests.conftest import Keys, bearer

    client, _, _ = await setup(alerts_app, tmp_path, LOG, one_rule())
    key, _ = await Keys(_url(client)).partner("acme")
    for method, path in (
        ("GET", ALERTS),
        ("GET", f"{ALERTS}/history"),
        ("POST", "/api/v1/admin/rules/reload"),
    ):
        assert (await client.request(method, path, headers=bearer(key))).status == 403
        assert (await client.request(method, path)).status == 401


def _db_rule(name: str) -> str:
    return f"""
groups:
  - name: test
    interval: 1h
    rules:
      - alert: {name}
        expr: not db.up
        receivers: [hook]
"""


async def test_a_reload_on_any_replica_reaches_the_evaluating_one(
    alerts_app: AppFactory, tmp_path: Any
) -> None:
    """Behind a load balancer the reload lands on any replica; the evaluator must still pick it up."""
    write_rules(tmp_path, _db_rule("First"))
    settings = {"receivers": LOG, "default_receivers": [], "evaluation_interval": 3600}
    evaluating, other = await alerts_app(settings=settings), await alerts_app(settings=settings)
    write_rules(tmp_path, _db_rule("Second"))
    resp = await other.post("/api/v1/admin/rules/reload", headers=await admin(other))
    assert resp.status == 200
    assert [r.name for r in state_of(evaluating).evaluator.rules.rules] == ["First"]  # not yet
    await evaluate_once(evaluating.app)
    assert [r.name for r in state_of(evaluating).evaluator.rules.rules] == ["Second"]
    assert await metric(evaluating, "tronwatch_rules_last_reload_successful") == 1


async def test_a_replica_that_takes_over_the_evaluator_follows_earlier_reload_requests(
    alerts_app: AppFactory, tmp_path: Any
) -> None:
    """A reload sent to the old leader must not be lost when another replica takes the lease."""
    write_rules(tmp_path, _db_rule("First"))
    settings = {"receivers": LOG, "default_receivers": [], "evaluation_interval": 3600}
    leader = await alerts_app(settings=settings)
    await until(lambda: state_of(leader).cycles >= 1)  # it holds the evaluator lease
    follower = await alerts_app(settings=settings)
    write_rules(tmp_path, _db_rule("Second"))
    assert (await leader.post("/api/v1/admin/rules/reload", headers=await admin(leader))).status == 200
    assert [r.name for r in state_of(follower).evaluator.rules.rules] == ["First"]
    await leader.close()  # the follower takes the lease and evaluates
    await until(lambda: state_of(follower).cycles >= 1)
    assert [r.name for r in state_of(follower).evaluator.rules.rules] == ["Second"]
