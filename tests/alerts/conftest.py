"""Alerts test harness: the app with the alerts package wired as create_app will wire it, and real sinks."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from daemon.alerts.context import alerts_state
from daemon.alerts.settings import AlertsSettings
from daemon.app import create_app
from tests.conftest import make_settings

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


class FakeClock:
    """A wall clock the test moves."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move forward."""
        self.now += timedelta(seconds=seconds)


def verify_standard_webhook(
    secret: str, headers: Any, body: bytes, now: float, tolerance: float = 300
) -> str:
    """An independent verifier written from the Standard Webhooks spec; returns the message id."""
    msg_id, ts, sigs = headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"]
    if abs(now - int(ts)) > tolerance:
        raise ValueError("timestamp outside tolerance")
    key = base64.b64decode(secret.split("_", 1)[1])
    expected = base64.b64encode(
        hmac.new(key, f"{msg_id}.{ts}.{body.decode()}".encode(), hashlib.sha256).digest()
    )
    for sig in sigs.split(" "):
        version, _, value = sig.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected):
            return str(msg_id)
    raise ValueError("no valid signature")


@dataclass
class Sink:
    """A Slack/webhook stand-in: scripted answers, then 200; dedupes by webhook-id like a careful receiver."""

    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    success_body: str = "ok"
    secret: str | None = None
    url: str = ""
    got: asyncio.Event = field(default_factory=asyncio.Event)

    hang: float = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.times.append(asyncio.get_running_loop().time())
        if self.hang:
            await asyncio.sleep(self.hang)  # a receiver that never answers in time
            return web.Response(status=500)
        if self.answers:
            status, headers = self.answers.pop(0)
            return web.Response(status=status, headers=headers, text="slow down" if status == 429 else "no")
        if self.secret is not None:
            try:
                self.ids.append(
                    verify_standard_webhook(self.secret, request.headers, body, datetime.now(UTC).timestamp())
                )
            except (KeyError, ValueError) as exc:
                return web.Response(status=401, text=str(exc))
        elif "webhook-id" in request.headers:
            self.ids.append(request.headers["webhook-id"])
        self.received.append(json.loads(body))
        self.headers.append(dict(request.headers))
        self.got.set()
        return web.Response(text=self.success_body)

    def unique(self) -> set[str]:
        """Distinct notification ids seen (what a deduplicating receiver keeps)."""
        return set(self.ids)


SinkFactory = Callable[..., Awaitable[Sink]]


@pytest.fixture
async def sink() -> Any:
    """Start local HTTP sinks on loopback."""
    servers: list[TestServer] = []

    async def start(**kw: Any) -> Sink:
        s = Sink(**kw)
        app = web.Application()
        app.router.add_post("/{tail:.*}", s.handle)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        s.url = str(server.make_url("/hook"))
        return s

    yield start
    for server in servers:
        await server.close()


def write_rules(tmp_path: Path, text: str, name: str = "rules.yml") -> Path:
    """A rule file in the test's directory."""
    path = tmp_path / "rules" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


AppFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest.fixture
def alerts_app(aiohttp_client: Any, database_url: str, tmp_path: Path) -> AppFactory:
    """Build the app with these alert settings (and clock)."""

    async def build(
        *, clock: Any = None, settings: dict[str, Any] | None = None, **sections: Any
    ) -> TestClient[Any, Any]:
        base = {"rule_files": [tmp_path / "rules"], "backoff_base": 0.05, "sender_idle": 0.05}
        alerts = AlertsSettings.model_validate({**base, **(settings or {})})
        cfg = make_settings(database_url, tmp_path, **sections).model_copy(update={"alerts": alerts})
        app = create_app(cfg, database_url=database_url, registry=CollectorRegistry())
        if clock:
            app[alerts_state].clock = clock
        return await aiohttp_client(app)

    return build


def state_of(client: TestClient[Any, Any]) -> Any:
    """The app's alert state."""
    return client.app[alerts_state]


async def until(check: Callable[[], Any], seconds: float = 10.0) -> None:
    """Poll a condition (deliveries happen on background tasks)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


class Knobs:
    """Test-controlled values: `knob.*` (shared) and the pools behind `pool.*`."""

    def __init__(self, client: TestClient[Any, Any], rules_dir: Path) -> None:
        from daemon.alerts.namespaces import Namespace

        self.values: dict[str, Any] = {"x": 0.0, "on": False}
        self.pools: list[dict[str, Any]] = []
        self.rules_dir = rules_dir
        self.state = state_of(client)
        ns = Namespace("knob", {"x": "number", "on": "bool"})
        self.state.namespaces.register(ns, lambda: dict(self.values))
        self.state.namespaces.readers["pool"] = lambda: [dict(p) for p in self.pools] if self.pools else None

    def rules(self, text: str) -> None:
        """Install these rules (through the real reload path)."""
        from daemon.alerts.context import reload

        write_rules(self.rules_dir, text)
        reload(self.state)


def one_rule(name: str = "Knob", expr: str = "knob.x > 5", receivers: str = "[hook]", **extra: str) -> str:
    """A rule file with one rule."""
    more = "".join(f"\n        {k}: {v}" for k, v in extra.items())
    return f"""
groups:
  - name: test
    interval: 1h
    rules:
      - alert: {name}
        expr: {expr}
        labels: {{severity: critical}}
        annotations:
          summary: "x is {{{{ knob.x }}}}"
        receivers: {receivers}{more}
"""
