"""Email through a real SMTP server (aiosmtpd) that requires STARTTLS; SMTP 4yz retried, 5yz permanent."""

from __future__ import annotations

import socket
import ssl
import subprocess
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from daemon.alerts.context import evaluate_once
from tests.alerts.conftest import AppFactory, one_rule, state_of, until
from tests.alerts.test_delivery import setup


class Inbox:
    """Keeps messages; answers scripted SMTP codes first."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.answers: list[str] = []
        self.tls: list[bool] = []

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        self.tls.append(session.ssl is not None)
        if self.answers:
            return self.answers.pop(0)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp(tmp_path: Path) -> Any:
    """aiosmtpd on loopback with a self-signed certificate and STARTTLS required."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    inbox = Inbox()
    with socket.socket() as probe:  # aiosmtpd's Controller needs a concrete port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=True)
    controller.start()
    yield inbox, controller.port, str(cert)
    controller.stop()


async def test_email_goes_out_over_starttls_with_text_html_and_a_stable_id(
    alerts_app: AppFactory, smtp: Any, tmp_path: Any
) -> None:
    inbox, port, ca = smtp
    inbox.answers = ["451 try later"]
    receiver = {
        "type": "email",
        "name": "hook",
        "smarthost": f"127.0.0.1:{port}",
        "from": "tw@example.com",
        "to": ["ops@example.com"],
        "tls": "starttls",
        "ca_file": ca,
        "language": "ko",
        "allow_private": True,
    }
    client, knobs, clock = await setup(alerts_app, tmp_path, [receiver], one_rule())
    knobs.values["x"] = 9
    await evaluate_once(client.app)
    await until(lambda: len(inbox.tls) == 1, seconds=10)  # 451: retried
    clock.advance(60)
    state_of(client).sender.wake.set()
    await until(lambda: len(inbox.messages) == 1, seconds=10)
    msg = inbox.messages[0]
    assert all(inbox.tls)
    assert msg["Subject"] == "[발생] Knob (critical)" and msg["To"] == "ops@example.com"
    assert ".firing.1@" in msg["Message-ID"]  # stable: the 451 retry sent the same id
    kinds = [part.get_content_type() for part in msg.walk()]
    assert "text/plain" in kinds and "text/html" in kinds


async def test_email_5xx_is_permanent(alerts_app: AppFactory, smtp: Any, tmp_path: Any) -> None:
    inbox, port, ca = smtp
    inbox.answers = ["550 no such user"]
    receiver = {
        "type": "email",
        "name": "hook",
        "smarthost": f"127.0.0.1:{port}",
        "from": "tw@example.com",
        "to": ["nobody@example.com"],
        "ca_file": ca,
        "allow_private": True,
    }
    client, knobs, clock = await setup(alerts_app, tmp_path, [receiver], one_rule())
    knobs.values["x"] = 9
    await evaluate_once(client.app)
    metrics = state_of(client).metrics
    await until(lambda: metrics.notifications.labels("hook", "failed")._value.get() == 1, seconds=10)
    clock.advance(3600)
    state_of(client).sender.wake.set()
    await evaluate_once(client.app)
    assert inbox.messages == [] and len(inbox.tls) == 1
