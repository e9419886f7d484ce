"""Delivery to real local sinks: signatures, 429/Retry-After, 5xx retries, permanent 4xx, batching, SSRF."""

from __future__ import annotations

from typing import Any

from daemon.alerts.checks import receiver_problems
from daemon.alerts.context import evaluate_once
from daemon.alerts.settings import AlertsSettings
from tests.alerts.conftest import SECRET, AppFactory, FakeClock, Knobs, SinkFactory, one_rule, state_of, until
from tests.energy.conftest import metric


def hook(url: str, **more: Any) -> dict[str, Any]:
    """A webhook receiver on a local sink."""
    return {"type": "webhook", "name": "hook", "url": url, "allow_private": True, **more}


async def setup(
    alerts_app: AppFactory,
    tmp_path: Any,
    receivers: list[dict[str, Any]],
    rules: str,
    clock: FakeClock | None = None,
    **settings: Any,
) -> tuple[Any, Knobs, FakeClock]:
    clock = clock or FakeClock()
    (tmp_path / "rules").mkdir(exist_ok=True)
    client = await alerts_app(
        clock=clock,
        settings={"receivers": receivers, "default_receivers": [], "evaluation_interval": 3600, **settings},
    )
    knobs = Knobs(client, tmp_path)
    await until(lambda: state_of(client).cycles >= 1)  # the leader's first cycle (then it waits an hour)
    knobs.rules(rules)
    return client, knobs, clock


async def test_firing_and_resolved_reach_a_signed_webhook_each_once(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink(secret=SECRET)
    client, knobs, clock = await setup(alerts_app, tmp_path, [hook(s.url, secret=SECRET)], one_rule())
    knobs.values["x"] = 7
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(s.received) == 1)
    await state_of(client).sender.drain()  # recorded as sent before the clock moves on
    doc = s.received[0]
    assert doc["version"] == "4" and doc["status"] == "firing" and doc["receiver"] == "hook"
    alert = doc["alerts"][0]
    assert alert["labels"] == {"alertname": "Knob", "severity": "critical"}
    assert alert["annotations"] == {"summary": "x is 7"} and alert["endsAt"].startswith("0001-")
    # Still firing: nothing new until repeat_interval (4h by default).
    clock.advance(60)
    assert await evaluate_once(client.app) == 0
    knobs.values["x"] = 1
    clock.advance(1)
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(s.received) == 2)
    assert s.received[1]["status"] == "resolved" and s.received[1]["alerts"][0]["endsAt"].startswith("2026-")
    assert len(s.unique()) == 2 and all(i.endswith((":firing:1", ":resolved:2")) for i in s.ids)
    await state_of(client).sender.drain()  # the sink answered; the outcome is recorded just after
    assert await metric(client, "tronwatch_notifications_total", receiver="hook", outcome="sent") == 2
    hist = await (await client.get("/api/v1/admin/alerts/history", headers=await admin(client))).json()
    assert [(h["status"], h["outcome"], h["attempts"]) for h in hist["items"]] == [
        ("resolved", "sent", 1),
        ("firing", "sent", 1),
    ]


async def test_a_firing_after_the_instance_was_forgotten_is_delivered_again(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink(secret=SECRET)
    client, knobs, clock = await setup(alerts_app, tmp_path, [hook(s.url, secret=SECRET)], one_rule())
    knobs.values["x"] = 7
    assert await evaluate_once(client.app) == 1
    knobs.values["x"] = 1
    clock.advance(60)
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(s.received) == 2)
    await state_of(client).sender.drain()  # recorded as sent before its claim lease runs out
    clock.advance(16 * 60)  # past the 15 min a resolved instance is kept
    assert await evaluate_once(client.app) == 0 and not state_of(client).evaluator.instances
    knobs.values["x"] = 8
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(s.unique()) == 3)
    assert s.received[-1]["status"] == "firing"
    assert s.received[-1]["alerts"][0]["annotations"]["summary"] == "x is 8"


async def admin(client: Any) -> dict[str, str]:
    from tests.conftest import Keys, bearer

    key, _ = await Keys(_url(client)).admin()
    return bearer(key)


def _url(client: Any) -> str:
    from daemon import keys

    return str(client.app[keys.database_url])


async def test_429_retry_after_is_honoured_then_delivered(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink(answers=[(429, {"Retry-After": "1"}), (500, {})])
    slack = {"type": "slack", "name": "hook", "url": s.url, "allow_private": True}
    client, knobs, clock = await setup(alerts_app, tmp_path, [slack], one_rule())
    knobs.values["x"] = 9
    await evaluate_once(client.app)
    await until(lambda: len(s.times) == 1)
    # Nothing goes out before Retry-After has passed, even when the row is due by the table's clock.
    clock.advance(1)
    state_of(client).sender.wake.set()
    await until(lambda: len(s.times) == 2, seconds=5)
    assert s.times[1] - s.times[0] >= 0.95
    # The 500's retry is due by the clock as it was when the Sender recorded it: record, then advance.
    await state_of(client).sender.drain()
    clock.advance(60)  # past the jittered 5xx backoff
    await until(lambda: len(s.received) == 1, seconds=5)
    assert s.received[0]["text"].startswith("[FIRING] Knob") and s.received[0]["blocks"]
    assert await metric(client, "tronwatch_notifications_total", receiver="hook", outcome="rate_limited") == 1
    assert await metric(client, "tronwatch_notifications_total", receiver="hook", outcome="retry") == 1


async def test_4xx_is_permanent_and_visible(alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any) -> None:
    s = await sink(answers=[(404, {})])
    client, knobs, clock = await setup(alerts_app, tmp_path, [hook(s.url)], one_rule())
    knobs.values["x"] = 9
    await evaluate_once(client.app)
    await until(lambda: len(s.times) == 1)
    h = await admin(client)
    await until(lambda: True)
    for _ in range(100):
        items = (await (await client.get("/api/v1/admin/alerts/history", headers=h)).json())["items"]
        if items and items[0]["outcome"] == "failed":
            break
        clock.advance(0)
    assert items[0]["outcome"] == "failed" and items[0]["http_status"] == 404 and items[0]["attempts"] == 1
    clock.advance(3600)
    state_of(client).sender.wake.set()
    await evaluate_once(client.app)
    assert len(s.times) == 1  # never retried
    assert await metric(client, "tronwatch_notifications_total", receiver="hook", outcome="failed") == 1


async def test_a_burst_to_slack_is_one_message(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink()
    slack = {"type": "slack", "name": "hook", "url": s.url, "allow_private": True}
    rule = one_rule("PoolFull", "pool.usage_ratio > 0.9", for_each="pool")
    client, knobs, _ = await setup(alerts_app, tmp_path, [slack], rule)
    knobs.pools[:] = [{"name": f"p{i}", "usage_ratio": 0.99} for i in range(6)]
    # The rule's annotation names knob.x; give it a value so the text renders.
    assert await evaluate_once(client.app) == 6
    await until(lambda: len(s.received) >= 1)
    await until(lambda: sum(len(m["blocks"]) for m in s.received) == 6, seconds=5)
    assert len(s.received) <= 2  # batched: a 1/s webhook would otherwise take 6 s


def test_ssrf_guard_refuses_private_targets_at_load_unless_allowed(tmp_path: Any) -> None:
    # What the sender would refuse for good is reported by `config check` and refused by `run`
    # (tests/alerts/test_ssrf.py holds the send-time and connect-time checks).
    receivers = [
        {"type": "webhook", "name": "hook", "url": "https://127.0.0.1:9/hook"},
        {"type": "webhook", "name": "plain", "url": "http://127.0.0.1:9/hook"},
        {"type": "webhook", "name": "allowed", "url": "http://127.0.0.1:9/hook", "allow_private": True},
    ]
    settings = AlertsSettings.model_validate({"receivers": receivers, "default_receivers": []})
    assert receiver_problems(settings) == [
        "alerts.receivers.hook: url: receiver URL points at a non-public address",
        "alerts.receivers.plain: url: receiver URL must use https (or mark the receiver allow_private: true)",
    ]
