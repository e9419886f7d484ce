"""`apprise` receivers against a real local sink: Apprise's json:// posts JSON to a local HTTP server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import yaml

from daemon.alerts.context import evaluate_once
from daemon.cli import main
from tests.alerts.conftest import AppFactory, FakeClock, Knobs, SinkFactory, one_rule, state_of, until
from tests.alerts.test_delivery import admin


def apprise_url(sink_url: str, scheme: str = "json") -> str:
    """The sink's http://127.0.0.1:port/hook as an Apprise URL."""
    return sink_url.replace("http://", f"{scheme}://")


async def _app(
    alerts_app: AppFactory, tmp_path: Path, receiver: dict[str, Any], clock: FakeClock | None = None
) -> tuple[Any, Knobs]:
    (tmp_path / "rules").mkdir(exist_ok=True)
    client = await alerts_app(
        clock=clock or FakeClock(),
        settings={"receivers": [receiver], "default_receivers": [], "evaluation_interval": 3600},
    )
    knobs = Knobs(client, tmp_path)
    await until(lambda: state_of(client).cycles >= 1)
    knobs.rules(one_rule(receivers="[ap]"))
    return client, knobs


async def _history(client: Any) -> list[dict[str, Any]]:
    got = await client.get("/api/v1/admin/alerts/history", headers=await admin(client))
    items: list[dict[str, Any]] = (await got.json())["items"]
    return items


async def test_an_alert_reaches_apprise_as_plain_text_after_a_retry(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Path
) -> None:
    s = await sink(answers=[(500, {})])
    receiver = {"type": "apprise", "name": "ap", "urls": [apprise_url(s.url)], "allow_private": True}
    clock = FakeClock()
    client, knobs = await _app(alerts_app, tmp_path, receiver, clock)
    knobs.values["x"] = 7
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(s.times) == 1)
    await state_of(client).sender.drain()
    assert (await _history(client))[0]["last_error"].startswith("1 of 1 failed")
    clock.advance(60)  # past the backoff
    state_of(client).sender.wake.set()
    await until(lambda: len(s.received) == 1)  # the 500 was retried by the outbox, then delivered
    assert len(s.times) == 2
    doc = s.received[0]
    assert doc["title"] == "[FIRING] Knob (critical)"
    assert doc["message"].startswith("[FIRING] Knob (critical)\nx is 7\n")
    await state_of(client).sender.drain()
    hist = await _history(client)
    assert [(h["receiver"], h["outcome"], h["attempts"]) for h in hist] == [("ap", "sent", 2)]


async def test_apprise_json_urls_pass_the_ssrf_guard(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Path
) -> None:
    s = await sink()
    receiver = {"type": "apprise", "name": "ap", "urls": [apprise_url(s.url, "jsons")]}
    client, knobs = await _app(alerts_app, tmp_path, receiver)
    knobs.values["x"] = 7
    assert await evaluate_once(client.app) == 1

    async def failed() -> list[dict[str, Any]]:
        return [h for h in await _history(client) if h["outcome"] == "failed"]

    for _ in range(200):
        if await failed():
            break
        await asyncio.sleep(0.02)
    (row,) = await failed()
    assert "127.0.0.1 resolves to a non-public address" in row["last_error"] and row["attempts"] == 1
    assert s.times == []  # nothing reached the private address


async def test_receiver_test_route_and_command_report_the_outcome(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Path
) -> None:
    good, bad = await sink(), await sink(answers=[(403, {})])
    receivers = [
        {"type": "apprise", "name": "ap", "urls": [apprise_url(good.url)], "allow_private": True},
        {"type": "webhook", "name": "wh", "url": bad.url, "allow_private": True},
    ]
    (tmp_path / "rules").mkdir()
    client = await alerts_app(settings={"receivers": receivers, "default_receivers": []})
    headers = await admin(client)
    got = await client.post("/api/v1/admin/receivers/ap/test", headers=headers)
    assert got.status == 200
    assert await got.json() == {
        "receiver": "ap",
        "type": "apprise",
        "outcome": "delivered",
        "error": None,
        "http_status": None,
    }
    assert "Test notification from tronwatch to receiver ap" in good.received[0]["message"]
    got = await client.post("/api/v1/admin/receivers/wh/test", headers=headers)
    doc = await got.json()
    assert (doc["outcome"], doc["http_status"]) == ("failed", 403) and "403" in doc["error"]
    assert (await client.post("/api/v1/admin/receivers/nope/test", headers=headers)).status == 404

    config = tmp_path / "tronwatch.yml"
    config.write_text(yaml.safe_dump({"alerts": {"receivers": receivers, "default_receivers": []}}))
    assert await asyncio.to_thread(main, ["receivers", "test", "ap", "-c", str(config)]) == 0
    assert len(good.received) == 2
    bad.answers.append((403, {}))
    assert await asyncio.to_thread(main, ["receivers", "test", "wh", "-c", str(config)]) == 1


async def test_config_check_masks_apprise_urls(tmp_path: Path, capsys: Any) -> None:
    receiver = {"type": "apprise", "name": "ap", "urls": ["tgram://123456:SECRETTOKEN/987"]}
    config = tmp_path / "tronwatch.yml"
    config.write_text(yaml.safe_dump({"alerts": {"receivers": [receiver], "default_receivers": []}}))
    assert main(["config", "check", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert "SECRETTOKEN" not in out
    shown = json.loads(out.split("\n", 1)[1])
    assert shown["alerts"]["receivers"][0]["urls"] == ["**********"]
