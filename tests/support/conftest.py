"""A test app with the support routes added as daemon/app.py will add them, and a settable clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from prometheus_client import CollectorRegistry

from daemon import keys
from daemon.app import create_app
from daemon.config import Settings
from daemon.support.settings import SupportSettings
from daemon.support.state import SupportState, support_state
from tests.alerts.conftest import sink  # noqa: F401 (a fixture: local HTTP sinks for notifications)
from tests.conftest import Keys, bearer

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
TICKETS = "/api/v1/support/tickets"


class FakeClock:
    """The support clock under the test's control."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move time forward."""
        self.now += timedelta(**delta)


def support_app(settings: Settings, clock: FakeClock, **support: Any) -> web.Application:
    """The app with support settings for the test and the test's clock."""
    # A long SLA interval by default: tests run passes themselves, after moving the clock.
    settings = settings.model_copy(update={"support": SupportSettings(**{"sla_interval": 3600, **support})})
    app = create_app(settings, database_url=settings.database.url or "", registry=CollectorRegistry())
    app[support_state].clock = clock
    return app


@dataclass
class Desk:
    """A running app with an admin and two partners ("acme", "globex"), and helpers to drive it."""

    client: TestClient[Any, Any]
    clock: FakeClock
    admin: dict[str, str]
    admin_id: int
    acme: dict[str, str]
    acme_id: int
    globex: dict[str, str]

    @property
    def app(self) -> web.Application:
        """The application under test."""
        return self.client.server.app

    @property
    def state(self) -> SupportState:
        """Support state of the app."""
        return self.app[support_state]

    @property
    def pool(self) -> Any:
        """The app's database pool."""
        return self.app[keys.runtime].pool

    async def create(
        self, title: str = "Question", description: str = "How does it work?", **more: Any
    ) -> Any:
        """Open a ticket as acme; returns the ticket JSON."""
        resp = await self.client.post(
            TICKETS, json={"title": title, "description": description, **more}, headers=self.acme
        )
        assert resp.status == 201, await resp.text()
        return await resp.json()

    async def patch(self, ticket_id: int, who: dict[str, str], **body: Any) -> Any:
        """PATCH a ticket; returns the response."""
        return await self.client.patch(f"{TICKETS}/{ticket_id}", json=body, headers=who)

    async def say(self, ticket_id: int, who: dict[str, str], message: str = "hello", **more: Any) -> Any:
        """Post to the thread; returns the response."""
        return await self.client.post(
            f"{TICKETS}/{ticket_id}/messages", json={"message": message, **more}, headers=who
        )

    async def get(self, ticket_id: int, who: dict[str, str] | None = None) -> Any:
        """The ticket JSON as `who` (default admin) sees it."""
        resp = await self.client.get(f"{TICKETS}/{ticket_id}", headers=who or self.admin)
        assert resp.status == 200, await resp.text()
        return await resp.json()


@pytest.fixture
def clock() -> FakeClock:
    """A clock starting at START."""
    return FakeClock()


async def make_desk(
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
    settings: Settings,
    keys: Keys,
    clock: FakeClock,
    **support: Any,
) -> Desk:
    """Start a support app and make its callers."""
    client = await aiohttp_client(support_app(settings, clock, **support))
    acme, acme_id = await keys.partner("acme")
    globex, _ = await keys.partner("globex")
    admin, _ = await keys.admin("root")
    admin_id = await _admin_id(client, "root")
    return Desk(client, clock, bearer(admin), admin_id, bearer(acme), acme_id, bearer(globex))


async def _admin_id(client: TestClient[Any, Any], name: str) -> int:
    async with client.server.app[keys.runtime].pool.acquire() as conn:
        admin_id: int = await conn.fetchval("SELECT id FROM admins WHERE name = $1", name)
    return admin_id


@pytest.fixture
async def desk(
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
    settings: Settings,
    keys: Keys,
    clock: FakeClock,
) -> Desk:
    """The support app with default settings."""
    return await make_desk(aiohttp_client, settings, keys, clock)
