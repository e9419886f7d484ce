"""Security test apps: chosen security settings and a clock; an event reader."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client import CollectorRegistry

from daemon.app import create_app
from daemon.security.context import SecurityState, security_state
from tests.conftest import make_settings

AppFactory = Callable[..., Awaitable[TestClient[Any, Any]]]
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
