"""Alerts as a platform: a producer's namespace in rules, unknown names at load time, the outbox port."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from prometheus_client import CollectorRegistry

from daemon import keys
from daemon.alerts.context import alerts_state, evaluate_once
from daemon.alerts.namespaces import Namespace
from daemon.alerts.outbox_port import Notification, enqueue
from daemon.alerts.platform import register_namespace
from daemon.alerts.rules import RuleError
from daemon.alerts.settings import AlertsSettings
from daemon.app import create_app
from daemon.support.notify_outbox import event_payload
from tests.alerts.conftest import FakeClock, SinkFactory, until, write_rules
from tests.conftest import make_settings

WIDGETS = Namespace("widgets", {"stuck": "number", "oldest_seconds": "number"})
RULE = """
groups:
  - name: g
    interval: 1h
    rules:
      - alert: WidgetsStuck
        expr: {expr}
        annotations:
          summary: "{{{{ widgets.stuck }}}} widgets stuck, oldest {{{{ widgets.oldest_seconds }}}} s"
        receivers: [hook]
"""


def _app(database_url: str, tmp_path: Path, hook_url: str) -> web.Application:
    alerts = AlertsSettings.model_validate(
        {
            "rule_files": [tmp_path / "rules"],
            "receivers": [{"type": "webhook", "name": "hook", "url": hook_url, "allow_private": True}],
            "default_receivers": [],
            "evaluation_interval": 3600,
            "backoff_base": 0.05,
            "sender_idle": 0.05,
        }
    )
    cfg = make_settings(database_url, tmp_path).model_copy(update={"alerts": alerts})
    return create_app(cfg, database_url=database_url, registry=CollectorRegistry())


async def test_a_namespace_a_producer_registers_is_usable_in_rules_and_templates(
    aiohttp_client: Any, database_url: str, tmp_path: Path, sink: SinkFactory
) -> None:
    s = await sink()
    app = _app(database_url, tmp_path, s.url)
    figures = {"stuck": 2}

    async def refresh(conn: Any) -> None:  # a value that lives in the database, read before each cycle
        figures["oldest_seconds"] = await conn.fetchval("SELECT 90")

    # What a producer's install code does: alerts knows nothing of "widgets" but what it is told here.
    register_namespace(app, WIDGETS, lambda: dict(figures), refresh=refresh)
    write_rules(tmp_path, RULE.format(expr="widgets.stuck > 3"))
    client = await aiohttp_client(app)
    state = app[alerts_state]
    state.clock = FakeClock()
    await until(lambda: state.cycles >= 1)
    assert await evaluate_once(app) == 0
    figures["stuck"] = 5
    assert await evaluate_once(app) == 1
    await until(lambda: len(s.received) == 1)
    alert = s.received[0]["alerts"][0]
    assert alert["labels"]["alertname"] == "WidgetsStuck" and alert["status"] == "firing"
    assert alert["annotations"]["summary"] == "5 widgets stuck, oldest 90 s"
    await client.close()


async def test_a_namespace_nobody_registered_is_a_rule_file_error_naming_file_rule_and_the_near_name(
    aiohttp_client: Any, database_url: str, tmp_path: Path, sink: SinkFactory
) -> None:
    s = await sink()
    app = _app(database_url, tmp_path, s.url)
    register_namespace(app, WIDGETS, lambda: {"stuck": 1})
    path = write_rules(tmp_path, RULE.format(expr="widget.stuck > 3"))
    with pytest.raises(RuleError) as caught:
        await aiohttp_client(app)  # the start stops, as Prometheus refuses a bad rule file
    assert str(caught.value) == (
        f"{path}: g/WidgetsStuck: expr: unknown namespace 'widget' in widget.stuck; "
        "did you mean 'widgets.stuck'?"
    )
    with pytest.raises(ValueError, match="rule namespace 'widgets' is registered twice"):
        register_namespace(app, WIDGETS, lambda: {})


async def test_the_outbox_port_queues_a_producers_notification_once_and_the_sender_delivers_it(
    aiohttp_client: Any, database_url: str, tmp_path: Path, sink: SinkFactory
) -> None:
    s = await sink()
    (tmp_path / "rules").mkdir()
    app = _app(database_url, tmp_path, s.url)
    await aiohttp_client(app)
    now = datetime.now(UTC)
    labels = {"ticket_id": "7"}
    payload = event_payload("TicketEscalated", labels, "Ticket #7 escalated", "why", now, "http://x")
    note = Notification(
        "ticket:7:escalated", "hook", "TicketEscalated", payload["fingerprint"], json.dumps(payload), now
    )
    async with app[keys.runtime].pool.acquire() as conn, conn.transaction():
        assert await enqueue(conn, note) is True
        assert await enqueue(conn, note) is False  # a retried writer: the first one is kept
    sender = app[alerts_state].sender
    assert sender is not None
    sender.wake.set()
    await until(lambda: len(s.received) == 1)
    await sender.drain()
    assert len(s.received) == 1
    alert = s.received[0]["alerts"][0]
    assert alert["labels"] == {"alertname": "TicketEscalated", "kind": "event", "ticket_id": "7"}
    assert alert["annotations"]["summary"] == "Ticket #7 escalated"
