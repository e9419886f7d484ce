"""Ids receivers deduplicate by carry the install id; e-mail has Date and a Message-ID of our own domain."""

from __future__ import annotations

import email.utils
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.smtp import Envelope, Session
from pydantic import SecretStr

from daemon import keys
from daemon.alerts.context import evaluate_once
from daemon.config import ConfigError, load_settings
from tests.alerts import test_email
from tests.alerts.conftest import SECRET, AppFactory, SinkFactory, one_rule, state_of, until
from tests.alerts.test_alertmanager_real import poll
from tests.alerts.test_delivery import hook, setup

smtp = test_email.smtp  # the aiosmtpd fixture, STARTTLS required


async def install_id(client: Any) -> str:
    async with client.app[keys.runtime].pool.acquire() as conn:
        value: str = await conn.fetchval("SELECT install_id FROM tronwatch_install")
        return value


class Recorder:
    """Keeps every DATA it was offered, the refused ones too (so retries can be compared)."""

    def __init__(self, answers: list[str]) -> None:
        self.raw: list[Any] = []
        self.answers = answers

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        self.raw.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return self.answers.pop(0) if self.answers else "250 OK"


def mail_receiver(port: int, ca: str, **more: Any) -> dict[str, Any]:
    return {
        "type": "email",
        "name": "hook",
        "smarthost": f"127.0.0.1:{port}",
        "from": "tw@example.com",
        "to": ["ops@example.com"],
        "ca_file": ca,
        "allow_private": True,
        **more,
    }


async def test_mail_has_a_date_and_a_message_id_unique_to_this_install_and_stable_on_retry(
    alerts_app: AppFactory, smtp: Any, tmp_path: Any
) -> None:
    inbox, port, ca = smtp
    recorder = Recorder(["451 try later"])
    inbox.handle_DATA = recorder.handle_DATA
    client, knobs, clock = await setup(
        alerts_app, tmp_path, [mail_receiver(port, ca)], one_rule(), mail_domain="alerts.example.org"
    )
    knobs.values["x"] = 9
    await evaluate_once(client.app)
    await until(lambda: len(recorder.raw) == 1)
    clock.advance(60)
    state_of(client).sender.wake.set()
    await until(lambda: len(recorder.raw) == 2)
    first, second = recorder.raw
    assert email.utils.parsedate_to_datetime(second["Date"]).tzinfo is not None  # RFC 5322 needs Date
    install = await install_id(client)
    assert second["Message-ID"] == first["Message-ID"]  # a retry is the same message
    assert second["Message-ID"].startswith(f"<{install}.") and second["Message-ID"].endswith(
        ".firing.1@alerts.example.org>"
    )


async def test_message_id_domain_defaults_to_the_public_url_host(
    alerts_app: AppFactory, smtp: Any, tmp_path: Any
) -> None:
    inbox, port, ca = smtp
    client, knobs, _ = await setup(
        alerts_app, tmp_path, [mail_receiver(port, ca)], one_rule(), external_url="https://tw.gateway.example"
    )
    knobs.values["x"] = 9
    await evaluate_once(client.app)
    await until(lambda: len(inbox.messages) == 1)
    assert inbox.messages[0]["Message-ID"].endswith("@tw.gateway.example>")


async def test_webhook_ids_differ_between_installations(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink(secret=SECRET)
    client, knobs, clock = await setup(alerts_app, tmp_path, [hook(s.url, secret=SECRET)], one_rule())
    install = await install_id(client)
    knobs.values["x"] = 9
    await evaluate_once(client.app)
    await until(lambda: len(s.ids) == 1)
    assert s.ids[0].startswith(f"{install}:") and s.ids[0].endswith(":firing:1")
    # Another installation (its own database, so its own install id) raising "the same" first alert.
    async with client.app[keys.runtime].pool.acquire() as conn:
        await conn.execute("UPDATE tronwatch_install SET install_id = 'otherinstall0001'")
        await conn.execute("DELETE FROM alert_instances")
        await conn.execute("DELETE FROM alert_outbox")
    state_of(client).evaluator.restore([])
    clock.advance(1)
    await evaluate_once(client.app)
    await until(lambda: len(s.ids) == 2)
    assert s.ids[1].startswith("otherinstall0001:") and s.ids[1].split(":", 1)[1].endswith(":firing:1")
    assert len(set(s.ids)) == 2  # a deduplicating receiver keeps both


def test_a_password_without_tls_is_a_config_error_unless_allowed(tmp_path: Any) -> None:
    base = (
        "alerts:\n  default_receivers: []\n  receivers:\n    - {type: email, name: m, smarthost: 'mx:25', "
        "from: a@b.c, to: [d@e.f], username: u, password: p, tls: none%s}\n"
    )
    cfg = tmp_path / "c.yml"
    cfg.write_text(base % "")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, environ={})
    assert "unencrypted" in err.value.problems[0] and "allow_plaintext_auth" in err.value.problems[0]
    cfg.write_text(base % ", allow_plaintext_auth: true")
    assert load_settings(cfg, environ={}).alerts.receivers[0].name == "m"


async def test_a_bad_secret_at_send_time_fails_the_notification_with_its_error(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink(secret=SECRET)
    client, knobs, _ = await setup(alerts_app, tmp_path, [hook(s.url, secret=SECRET)], one_rule())
    # As a secret from the partners table would: never validated by the config loader.
    channel = state_of(client).sender.channels["hook"]
    channel.receiver = channel.receiver.model_copy(update={"secret": SecretStr("whsec_notbase64!!")})
    knobs.values["x"] = 9
    await evaluate_once(client.app)

    async def outcome() -> Any:
        async with client.app[keys.runtime].pool.acquire() as conn:
            found = await conn.fetchrow("SELECT outcome, last_error FROM alert_outbox")
        return found if found["outcome"] == "failed" else None

    row = await poll(outcome)
    assert "secret" in row["last_error"]
    assert s.received == []
