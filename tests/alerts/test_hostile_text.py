"""Hostile text in values reaches every receiver type as text, never as that receiver's markup."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from daemon.alerts.context import evaluate_once
from daemon.logs import LogfmtFormatter
from tests.alerts.conftest import AppFactory, SinkFactory, state_of, until
from tests.alerts.test_delivery import setup
from tests.alerts.test_email import smtp  # noqa: F401 (a fixture: aiosmtpd with STARTTLS)

PAGE_ALL = "<!channel> <!here> <https://evil.example/phish|Click to verify your account>"
RUNBOOK = "<https://runbook.example/energy|Runbook>"


def pool_rule(summary: str, description: str = "") -> str:
    """One rule per pool whose annotations show the pool's name."""
    return f"""
groups:
  - name: test
    interval: 1h
    rules:
      - alert: PoolFull
        for_each: pool
        expr: pool.usage_ratio > 0.9
        labels: {{severity: critical}}
        annotations:
          summary: {summary!r}
          description: {description!r}
        receivers: [hook]
"""


async def test_slack_gets_values_escaped_and_keeps_the_operators_own_links(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink()
    slack = {"type": "slack", "name": "hook", "url": s.url, "allow_private": True}
    rule = pool_rule(f"Pool {{{{ pool.name }}}} is full, see {RUNBOOK}", "{{ labels.pool }} & more")
    client, knobs, _ = await setup(alerts_app, tmp_path, [slack], rule)
    knobs.pools[:] = [{"name": PAGE_ALL, "usage_ratio": 0.99}]
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(s.received) == 1)
    msg = s.received[0]
    [block] = msg["blocks"]
    text = block["text"]["text"]
    for raw in (text, msg["text"]):  # the section and the notification fallback
        assert "<!channel>" not in raw and "<!here>" not in raw and "<https://evil" not in raw
        assert "&lt;!channel&gt; &lt;!here&gt; &lt;https://evil.example/phish|Click" in raw
    assert f"see {RUNBOOK}" in text  # the operator's template text is Slack markup on purpose
    assert "|Click to verify your account&gt; & more\n" in text  # the description: the template's `&` kept
    assert block["text"]["verbatim"] is True  # no auto-linking or mention parsing of the values either
    Block.parse(block).validate_json()  # slack_sdk's own Block Kit checks (length, types)


async def test_slack_escapes_a_whole_annotation_the_evaluator_did_not_render_for_it(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink()
    slack = {"type": "slack", "name": "hook", "url": s.url, "allow_private": True}
    client, knobs, _ = await setup(alerts_app, tmp_path, [slack], pool_rule("{{ pool.name }}"))
    knobs.pools[:] = [{"name": PAGE_ALL, "usage_ratio": 0.99}]
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(s.received) == 1)
    text = s.received[0]["blocks"][0]["text"]["text"]
    assert "<" not in text and text.count("&lt;") == 6  # title and summary, 3 each


async def test_email_subject_stays_one_header_and_the_html_part_is_escaped(
    alerts_app: AppFactory,
    smtp: Any,  # noqa: F811
    tmp_path: Any,
) -> None:
    inbox, port, ca = smtp
    receiver = {
        "type": "email",
        "name": "hook",
        "smarthost": f"127.0.0.1:{port}",
        "from": "tw@example.com",
        "to": ["ops@example.com"],
        "ca_file": ca,
        "allow_private": True,
    }
    rule = pool_rule("{{ pool.name }}", "<b>{{ pool.name }}</b>")
    client, knobs, _ = await setup(alerts_app, tmp_path, [receiver], rule)
    knobs.pools[:] = [
        {"name": "alpha\r\nBcc: victim@example.com\r\n\r\n<script>x()</script>", "usage_ratio": 0.99}
    ]
    assert await evaluate_once(client.app) == 1
    await until(lambda: len(inbox.messages) == 1, seconds=10)  # before: the send raised, nothing arrived
    msg = inbox.messages[0]
    assert msg["Bcc"] is None and msg["To"] == "ops@example.com"
    assert (
        msg["Subject"]
        == "[FIRING] PoolFull pool=alpha Bcc: victim@example.com <script>x()</script> (critical)"
    )
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;x()&lt;/script&gt;" in html
    assert "&lt;b&gt;alpha" in html  # the template's own tags are text too: the HTML part is built by us


async def test_webhook_and_alertmanager_bodies_carry_hostile_text_as_plain_json_strings(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    hook, am = await sink(), await sink()
    receivers = [
        {"type": "webhook", "name": "hook", "url": hook.url, "allow_private": True},
        {"type": "alertmanager", "name": "am", "url": am.url, "allow_private": True},
    ]
    name = PAGE_ALL + '\n"}, {"labels": {"alertname": "Forged"}} \u2028'
    rule = pool_rule("{{ pool.name }}").replace("receivers: [hook]", "receivers: [hook, am]")
    client, knobs, _ = await setup(alerts_app, tmp_path, receivers, rule)
    knobs.pools[:] = [{"name": name, "usage_ratio": 0.99}]
    assert await evaluate_once(client.app) == 2  # one notification per receiver
    await until(lambda: len(hook.received) == 1 and len(am.received) == 1)
    [alert] = hook.received[0]["alerts"]
    assert alert["labels"]["pool"] == name and alert["annotations"]["summary"] == name
    [posted] = am.received[0]
    assert posted["labels"]["pool"] == name and posted["labels"]["alertname"] == "PoolFull"


async def test_the_log_receiver_writes_one_line_with_the_title_quoted(
    alerts_app: AppFactory, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    receiver = {"type": "log", "name": "hook"}
    client, knobs, _ = await setup(alerts_app, tmp_path, [receiver], pool_rule("{{ pool.name }}"))
    knobs.pools[:] = [{"name": 'alpha"\nts=2026 level=error msg="forged" id=evil', "usage_ratio": 0.99}]
    with caplog.at_level(logging.INFO, logger="daemon.alerts.notify"):
        assert await evaluate_once(client.app) == 1
        await until(lambda: any(r.name == "daemon.alerts.notify" for r in caplog.records))
        await state_of(client).sender.drain()
    [record] = [r for r in caplog.records if r.name == "daemon.alerts.notify"]
    line = LogfmtFormatter().format(record)
    assert "\n" not in line and line.startswith("ts=")
    head, _, value = record.getMessage().partition(" title=")
    assert head.startswith("alert id=") and " " not in head[len("alert ") :]
    # One quoted value: the forged line and pairs are text inside it.
    assert (
        json.loads(value)
        == '[FIRING] PoolFull pool=alpha"\nts=2026 level=error msg="forged" id=evil (critical)'
    )
    assert json.loads(line.partition(" msg=")[2]) == record.getMessage()
