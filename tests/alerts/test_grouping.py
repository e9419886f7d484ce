"""Grouped notifications: a storm is one message per group, timers survive restarts, #226, time mutes."""

from __future__ import annotations

from typing import Any

from daemon.alerts.context import evaluate_once, seconds_until_due
from tests.alerts.conftest import AppFactory, FakeClock, SinkFactory, state_of, until
from tests.alerts.test_delivery import admin, hook, setup
from tests.alerts.test_email import smtp  # noqa: F401 (the aiosmtpd fixture)

RULE = """
groups:
  - name: pools
    interval: 1m
    rules:
      - alert: PoolFull
        for_each: pool
        expr: pool.usage_ratio > 0.9
        labels: {severity: critical}
        annotations: {summary: "{{ pool.name }} is full"}
"""
V4_KEYS = {
    "version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels", "commonLabels",
    "commonAnnotations", "routeLabels", "externalURL", "notification_reason", "alerts",
}  # fmt: skip
ALERT_KEYS = {"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"}


def slack(url: str) -> dict[str, Any]:
    return {"type": "slack", "name": "slack", "url": url, "allow_private": True}


def pools(n: int, ratio: float = 0.99, prefix: str = "p") -> list[dict[str, Any]]:
    return [{"name": f"{prefix}{i:02d}", "usage_ratio": ratio} for i in range(n)]


async def start(
    alerts_app: AppFactory, tmp_path: Any, receivers: list[dict[str, Any]], route: dict[str, Any], **more: Any
) -> tuple[Any, Any, FakeClock]:
    return await setup(alerts_app, tmp_path, receivers, RULE, route=route, **more)


async def test_fifty_pools_going_critical_are_one_slack_message(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink()
    route = {"receiver": "slack", "group_by": ["alertname"], "group_wait": "30s"}
    client, knobs, clock = await start(alerts_app, tmp_path, [slack(s.url)], route)
    knobs.pools[:] = pools(50)
    assert await evaluate_once(client.app) == 0  # group_wait: nothing yet
    # The evaluator's loop wakes when the group's wait ends, not at the rule group's next minute.
    assert seconds_until_due(state_of(client)) == 30
    clock.advance(29)
    assert await evaluate_once(client.app) == 0
    clock.advance(1)
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(s.received) == 1)
    (msg,) = s.received
    assert msg["text"].splitlines()[0] == "[FIRING:50] PoolFull (critical)"
    blocks = msg["blocks"]
    assert len(blocks) <= 50 and blocks[-1]["elements"][0]["text"] == "and 10 more"
    assert "p00 is full" in blocks[1]["text"]["text"]
    # Two more pools within group_interval: one update at the next interval tick, listing all 52.
    knobs.pools[:] = pools(52)
    clock.advance(60)
    assert await evaluate_once(client.app) == 0
    clock.advance(240)
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(s.received) == 2)
    assert s.received[1]["text"].splitlines()[0] == "[FIRING:52] PoolFull (critical)"
    # Unchanged: nothing until the rule's own repeat_interval (4h, no route sets one).
    clock.advance(300)
    assert await evaluate_once(client.app) == 0


async def test_webhook_gets_alertmanager_v4_groups_and_resolves(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink()
    route = {"receiver": "hook", "group_by": ["alertname"], "group_wait": "10s", "group_interval": "1m"}
    client, knobs, clock = await start(alerts_app, tmp_path, [hook(s.url, max_alerts=3)], route)
    knobs.pools[:] = pools(5)
    await evaluate_once(client.app)
    clock.advance(10)
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(s.received) == 1)
    doc = s.received[0]
    assert set(doc) == V4_KEYS and doc["version"] == "4" and doc["status"] == "firing"
    assert doc["groupKey"] == '{}:{alertname="PoolFull"}' and doc["groupLabels"] == {"alertname": "PoolFull"}
    assert doc["commonLabels"] == {"alertname": "PoolFull", "severity": "critical"}
    assert doc["truncatedAlerts"] == 2 and len(doc["alerts"]) == 3 and doc["receiver"] == "hook"
    assert doc["notification_reason"] == "first notification"
    assert all(set(a) == ALERT_KEYS and a["status"] == "firing" for a in doc["alerts"])
    knobs.pools[:] = pools(5, ratio=0.1)
    clock.advance(60)
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(s.received) == 2)
    done = s.received[1]
    assert done["status"] == "resolved" and done["notification_reason"] == "all alerts resolved"
    assert done["truncatedAlerts"] == 2 and {a["status"] for a in done["alerts"]} == {"resolved"}
    assert len(s.unique()) == 2  # each group notification has its own stable id
    assert state_of(client).evaluator.router.groups.groups == {}  # all resolved: the group is gone


async def test_group_wait_survives_a_restart(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink()
    clock = FakeClock()
    route = {"receiver": "slack", "group_by": ["alertname"], "group_wait": "30s"}
    client, knobs, _ = await start(alerts_app, tmp_path, [slack(s.url)], route, clock=clock)
    knobs.pools[:] = pools(3)
    assert await evaluate_once(client.app) == 0  # the group is waiting when the process goes away
    await client.close()
    clock.advance(30)
    client2, knobs2, _ = await start(alerts_app, tmp_path, [slack(s.url)], route, clock=clock)
    knobs2.pools[:] = pools(3)
    await evaluate_once(client2.app)  # (the new leader's first cycle may already have flushed it)
    await until(lambda: len(s.received) == 1)  # the restored group's timer ran out: one message
    await state_of(client2).sender.drain()  # recorded as sent before the clock moves on
    clock.advance(60)
    assert await evaluate_once(client2.app) == 0 and len(s.received) == 1
    assert s.received[0]["text"].splitlines()[0] == "[FIRING:3] PoolFull (critical)"


async def silence(client: Any, matchers: Any) -> dict[str, Any]:
    resp = await client.post(
        "/api/v1/admin/alerts/silences",
        json={"matchers": matchers, "duration_seconds": 86400},
        headers=await admin(client),
    )
    body: dict[str, Any] = await resp.json()
    assert resp.status == 201, body
    return body


async def test_silenced_after_firing_still_resolves(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    # Alertmanager issue #226: a silence added after the firing notice swallowed the resolve.
    s = await sink()
    route = {"receiver": "hook", "group_by": ["alertname"], "group_wait": "0s", "group_interval": "1m"}
    client, knobs, clock = await start(alerts_app, tmp_path, [hook(s.url)], route)
    knobs.pools[:] = pools(2)
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(s.received) == 1)
    made = await silence(client, ['pool=~"p0.*"', 'severity!="warning"'])
    assert made["matchers"] == ['pool=~"p0.*"', 'severity!="warning"']
    clock.advance(60)
    assert await evaluate_once(client.app) == 0  # silenced now: no news
    knobs.pools[:] = pools(2, ratio=0.1)
    clock.advance(60)
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(s.received) == 2)
    assert [a["status"] for a in s.received[1]["alerts"]] == ["resolved", "resolved"]


async def test_resolve_silenced_false_drops_silenced_resolves(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink()
    route = {"receiver": "hook", "group_by": ["alertname"], "group_wait": "0s", "group_interval": "1m"}
    client, knobs, clock = await start(alerts_app, tmp_path, [hook(s.url)], route, resolve_silenced=False)
    knobs.pools[:] = pools(2)
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(s.received) == 1)  # delivered before the clock jumps past its claim
    await silence(client, ['pool="p00"'])
    knobs.pools[:] = pools(2, ratio=0.1)
    clock.advance(60)
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(s.received) == 2)
    assert [a["labels"]["pool"] for a in s.received[1]["alerts"]] == ["p01"]


async def test_regex_silence_keeps_matching_pools_out_of_the_group(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink()
    route = {"receiver": "hook", "group_by": ["alertname"], "group_wait": "0s"}
    client, knobs, _ = await start(alerts_app, tmp_path, [hook(s.url)], route)
    await silence(client, ['pool=~"p0[0-4]"'])
    bad = await client.post(
        "/api/v1/admin/alerts/silences",
        json={"matchers": ['pool=~"(?=p)"'], "duration_seconds": 60},
        headers=await admin(client),
    )
    assert bad.status == 422 and (await bad.json())["errors"][0]["field"].startswith("matchers")
    knobs.pools[:] = pools(8)
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(s.received) == 1)
    assert sorted(a["labels"]["pool"] for a in s.received[0]["alerts"]) == ["p05", "p06", "p07"]


async def test_routes_match_by_regex_and_negation(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    team, rest = await sink(), await sink()
    route = {
        "receiver": "slack",
        "group_by": ["alertname"],
        "group_wait": "0s",
        "routes": [
            {"matchers": ['pool=~"eu-.*"', 'pool!="eu-test"'], "receiver": "hook", "group_by": ["pool"]}
        ],
    }
    client, knobs, _ = await start(alerts_app, tmp_path, [slack(rest.url), hook(team.url)], route)
    knobs.pools[:] = [*pools(2, prefix="eu-"), {"name": "eu-test", "usage_ratio": 1}, *pools(1, prefix="us-")]
    assert await evaluate_once(client.app) == 3  # two eu pools grouped by pool on hook, the rest on slack
    await until(lambda: len(team.received) == 2 and len(rest.received) == 1)
    assert sorted(d["groupLabels"]["pool"] for d in team.received) == ["eu-00", "eu-01"]
    assert rest.received[0]["text"].splitlines()[0] == "[FIRING:2] PoolFull (critical)"


async def test_mute_time_intervals_hold_notifications_until_the_window_ends(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink()
    route = {
        "receiver": "hook",
        "group_by": ["alertname"],
        "group_wait": "0s",
        "group_interval": "1h",
        "routes": [{"matchers": ["severity=critical"], "mute_time_intervals": ["tuesdays"]}],
    }
    intervals = [{"name": "tuesdays", "time_intervals": [{"weekdays": ["tuesday"]}]}]
    # The fake clock starts on Tuesday 2026-11-24, 09:00 UTC.
    client, knobs, clock = await start(alerts_app, tmp_path, [hook(s.url)], route, time_intervals=intervals)
    knobs.pools[:] = pools(2)
    assert await evaluate_once(client.app) == 0
    clock.advance(15 * 3600)  # Wednesday 00:00
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(s.received) == 1)
    assert len(s.received[0]["alerts"]) == 2


async def test_group_repeats_leave_out_acknowledged_alerts(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink()
    route = {"receiver": "hook", "group_by": ["alertname"], "group_wait": "0s", "group_interval": "5m",
             "repeat_interval": "1h"}  # fmt: skip
    client, knobs, clock = await start(alerts_app, tmp_path, [hook(s.url)], route)
    knobs.pools[:] = pools(3)
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(s.received) == 1)
    h = await admin(client)
    instances = state_of(client).evaluator.instances.values()
    (fp,) = [i.fingerprint for i in instances if i.labels["pool"] == "p01"]
    resp = await client.post(f"/api/v1/admin/alerts/{fp}/ack", json={"comment": "on it"}, headers=h)
    assert resp.status == 200, await resp.text()
    clock.advance(3600)
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(s.received) == 2)
    assert s.received[1]["notification_reason"] == "repeat interval elapsed"
    assert sorted(a["labels"]["pool"] for a in s.received[1]["alerts"]) == ["p00", "p02"]


async def test_a_group_is_one_mail_listing_its_alerts(
    alerts_app: AppFactory,
    smtp: Any,  # noqa: F811
    tmp_path: Any,
) -> None:
    inbox, port, ca = smtp
    receiver = {"type": "email", "name": "mail", "smarthost": f"127.0.0.1:{port}", "from": "tw@example.com",
                "to": ["ops@example.com"], "ca_file": ca, "allow_private": True}  # fmt: skip
    route = {"receiver": "mail", "group_by": ["alertname"], "group_wait": "0s"}
    client, knobs, _ = await start(alerts_app, tmp_path, [receiver], route)
    knobs.pools[:] = pools(12)
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(inbox.messages) == 1, seconds=10)
    (msg,) = inbox.messages
    assert msg["Subject"] == "[FIRING:12] PoolFull (critical)"
    text = msg.get_body(("plain",)).get_content()
    assert all(f"p{i:02d} is full" in text for i in range(12))


async def test_the_rules_repeat_interval_applies_when_no_route_sets_one(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink()
    route = {"receiver": "hook", "group_by": ["alertname"], "group_wait": "0s", "group_interval": "5m"}
    rules = RULE.replace("annotations:", "repeat_interval: 30m\n        annotations:")
    client, knobs, clock = await setup(alerts_app, tmp_path, [hook(s.url)], rules, route=route)
    knobs.pools[:] = pools(2)
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(s.received) == 1)
    await state_of(client).sender.drain()  # recorded as sent before the clock moves on
    clock.advance(25 * 60)
    assert await evaluate_once(client.app) == 0
    clock.advance(5 * 60)
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(s.received) == 2)
    assert s.received[1]["notification_reason"] == "repeat interval elapsed"


async def test_rules_with_receivers_bypass_the_tree_and_honour_resolve_silenced(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink()
    route = {"receiver": "hook", "group_by": ["alertname"], "group_wait": "1h"}
    rules = RULE.replace("annotations:", "receivers: [hook]\n        annotations:")
    client, knobs, clock = await setup(
        alerts_app, tmp_path, [hook(s.url)], rules, route=route, resolve_silenced=False
    )
    knobs.pools[:] = pools(2)
    assert await evaluate_once(client.app) == 2  # one per instance, at once: no group_wait
    await until(lambda: len(s.received) == 2)
    await silence(client, ['pool="p00"'])
    knobs.pools[:] = pools(2, ratio=0.1)
    clock.advance(60)
    assert await evaluate_once(client.app) == 1  # p00's resolve is dropped (silenced), p01's goes out
    await until(lambda: len(s.received) == 3)
    assert s.received[2]["alerts"][0]["labels"]["pool"] == "p01"
