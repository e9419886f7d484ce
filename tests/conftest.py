"""Shared fixtures: one embedded PostgreSQL per session, a fresh database per test."""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
import uuid
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient
from prometheus_client import CollectorRegistry

from daemon import accounts
from daemon.app import create_app
from daemon.config import Settings, load_settings
from daemon.db import migrate
from daemon.db.embedded import EmbeddedPostgres

TEMPLATE = "tw_template"


class _StuckTasks(logging.Handler):
    """Remembers background tasks that `stop_tasks` had to abandon."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.names: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.names.append(record.getMessage())


@pytest.fixture(autouse=True)
def no_stuck_tasks() -> Iterator[None]:
    """Fail the test whose app left a background task running past shutdown (it would leak into others)."""
    handler = _StuckTasks()
    logger = logging.getLogger("daemon.tasks")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    assert not handler.names, handler.names


@pytest.fixture(scope="session")
def pg_server() -> Iterator[EmbeddedPostgres]:
    """A real PostgreSQL server for the whole session, with a migrated template database."""
    # Not under pytest's basetemp: a concurrent pytest run prunes old basetemps, data dir included.
    data_dir = Path(tempfile.mkdtemp(prefix="tw-pg-"))
    server = EmbeddedPostgres(data_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server_url = server.start()

    async def make_template() -> None:
        conn = await asyncpg.connect(server_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}"')
            await conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
        finally:
            await conn.close()

    asyncio.run(make_template())
    migrate.upgrade_sync(server.url(TEMPLATE))
    yield server
    server.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
async def database_url(pg_server: EmbeddedPostgres) -> AsyncIterator[str]:
    """A fresh database cloned from the migrated template."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(pg_server.url("postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    finally:
        await admin.close()
    yield pg_server.url(name)
    admin = await asyncpg.connect(pg_server.url("postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def make_settings(database_url: str, tmp_path: Path, **sections: Any) -> Settings:
    """Settings for tests: the given database, fast job intervals, no env influence."""
    overrides: dict[str, Any] = {
        "database": {"url": database_url, "run_migrations": False, "pool_min": 1, "pool_max": 5},
        "jobs": {"lease_interval": 0.2},
        "data_dir": str(tmp_path),
        # Tests make thousands of calls with one key and one user; tests/security sets real limits.
        "security": {"rate_limits": {"withdrawal": {"limit": 10**9}, "api_call": {"limit": 10**9}}},
    }
    for name, values in sections.items():
        overrides[name] = {**overrides.get(name, {}), **values}
    return load_settings(None, environ={}, overrides=overrides)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Default test settings on the test's database."""
    return make_settings(database_url, tmp_path)


@pytest.fixture
async def client(
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]], settings: Settings
) -> TestClient[Any, Any]:
    """The app under test, served on a real port."""
    app = create_app(settings, database_url=settings.database.url or "", registry=CollectorRegistry())
    return await aiohttp_client(app)


class Keys:
    """Makes API keys straight in the database, as `tronwatch keys create` does."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def partner(self, name: str = "acme") -> tuple[str, int]:
        """A partner key and the partner id."""
        conn = await asyncpg.connect(self.url)
        try:
            partner = await accounts.partner_by_name(conn, name, create=True)
            new = await accounts.create_key(conn, role="partner", partner_id=partner["id"])
        finally:
            await conn.close()
        return new.secret, partner["id"]

    async def admin(self, name: str = "root") -> tuple[str, int]:
        """An admin key and its key id."""
        conn = await asyncpg.connect(self.url)
        try:
            new = await accounts.create_key(conn, role="admin", admin_name=name)
        finally:
            await conn.close()
        return new.secret, new.record["id"]


@pytest.fixture
def keys(database_url: str) -> Keys:
    """Key factory on the test database."""
    return Keys(database_url)


def bearer(key: str) -> dict[str, str]:
    """The Authorization header for a key."""
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def aiohttp_client(database_url: str, aiohttp_client: Any) -> Any:
    """pytest-aiohttp's client factory, set up after the test database so apps close before it is dropped."""
    return aiohttp_client
