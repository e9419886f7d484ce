"""Monitoring test apps: a fast collector and stream helpers; chosen security settings and a clock."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from prometheus_client import CollectorRegistry

from daemon import keys as app_keys
from daemon.app import create_app
from daemon.monitoring.security_context import SecurityState, security_state
from daemon.monitoring.state import MonitoringState, monitoring_state
from tests.conftest import make_settings

INTERVAL = 0.4
WS = "/ws/monitoring"
AppFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest.fixture
def mon_app(aiohttp_client: Any, database_url: str, tmp_path: Path) -> AppFactory:
    """Start an app (a replica) on the test database with a short collect interval."""

    async def start(auth: dict[str, Any] | None = None, **monitoring: Any) -> TestClient[Any, Any]:
        values = {"collect_interval": INTERVAL, "ws_auth_timeout": 0.5, **monitoring}
        settings = make_settings(database_url, tmp_path, monitoring=values, auth=auth or {})
        app = create_app(settings, database_url=database_url, registry=CollectorRegistry())
        client: TestClient[Any, Any] = await aiohttp_client(app)
        # What runner.py does once the server listens: the self-probe's target.
        app[app_keys.runtime].listen_address = (client.server.host, client.server.port)
        return client

    return start


def state_of(client: TestClient[Any, Any]) -> MonitoringState:
    """The app's monitoring state."""
    return client.app[monitoring_state]


async def next_of(ws: aiohttp.ClientWebSocketResponse, kind: str, timeout: float = 5.0) -> dict[str, Any]:
    """The next message of this type (others are skipped)."""
    async with asyncio.timeout(timeout):
        while True:
            msg = await ws.receive()
            assert msg.type is aiohttp.WSMsgType.TEXT, (msg.type, msg.data, msg.extra)
            body: dict[str, Any] = json.loads(msg.data)
            if body["type"] == kind:
                return body


async def closed_with(ws: aiohttp.ClientWebSocketResponse, timeout: float = 5.0) -> int | None:
    """The close code the server sent (skipping any data before it)."""
    async with asyncio.timeout(timeout):
        while True:
            msg = await ws.receive()
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                return ws.close_code


GENEROUS = {"withdrawal": {"limit": 10**9}, "api_call": {"limit": 10**9}}


class Clock:
    """Epoch seconds that only move when told to."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move forward."""
        self.now += seconds


@pytest.fixture
def sec_app(aiohttp_client: Any, database_url: str, tmp_path: Path) -> AppFactory:
    """Build an app with these `security:` settings (rate limits generous unless given) and clock."""

    async def build(*, clock: Clock | None = None, **security: Any) -> TestClient[Any, Any]:
        security.setdefault("rate_limits", GENEROUS)
        cfg = make_settings(database_url, tmp_path, security=security)
        app = create_app(cfg, database_url=database_url, registry=CollectorRegistry())
        if clock is not None:
            app[security_state].clock = clock
        return await aiohttp_client(app)

    return build


def state(client: TestClient[Any, Any]) -> SecurityState:
    """The app's security state."""
    return client.app[security_state]


async def events(client: TestClient[Any, Any], admin: str, **query: Any) -> list[dict[str, Any]]:
    """Every security event the API lists (all pages)."""
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {k: str(v) for k, v in query.items()} | ({"cursor": cursor} if cursor else {})
        resp = await client.get(
            "/api/v1/admin/security/events", params=params, headers={"Authorization": f"Bearer {admin}"}
        )
        assert resp.status == 200, await resp.text()
        page = await resp.json()
        out += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return out


def metric(client: TestClient[Any, Any], name: str, **labels: str) -> float:
    """A sample of the app's registry (0 when absent)."""
    from daemon import keys

    value = client.app[keys.metrics].registry.get_sample_value(name, labels)
    return value or 0.0
