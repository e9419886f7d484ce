"""Monitoring test apps: a fast collector and stream helpers."""

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
from daemon.monitoring.state import MonitoringState, monitoring_state
from tests.conftest import make_settings
from tests.security.conftest import sec_app  # noqa: F401  (a fixture: the profiler test builds plain apps with it)

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


def metric(client: TestClient[Any, Any], name: str, **labels: str) -> float:
    """A sample of the app's registry (0 when absent)."""
    from daemon import keys

    value = client.app[keys.metrics].registry.get_sample_value(name, labels)
    return value or 0.0
