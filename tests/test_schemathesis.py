"""Property-based API testing from /openapi.json: no 5xx, and every response matches the document."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, settings
from prometheus_client import CollectorRegistry
from schemathesis import checks

from daemon import accounts, keys
from daemon.app import create_app
from daemon.config import load_settings
from daemon.db.embedded import EmbeddedPostgres
from tests.conftest import TEMPLATE, make_settings

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


class ServedApp:
    """The app on a real port, in its own thread and event loop (schemathesis calls are blocking)."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.port = 0
        self.leftover = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        runner = web.AppRunner(self.app, handle_signals=False)
        self.loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = runner.addresses[0][1]
        self.ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(runner.cleanup())
        left = asyncio.all_tasks(self.loop)
        for task in left:  # as asyncio.run does: nothing may outlive the loop and be collected mid-test
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
        self.loop.close()
        self.leftover = len(left)

    def __enter__(self) -> ServedApp:
        self.thread.start()
        assert self.ready.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        assert not self.thread.is_alive(), "the served app did not shut down in 30 s"
        assert self.leftover == 0, f"{self.leftover} tasks outlived the app's cleanup"


async def _prepare_database(server: EmbeddedPostgres, name: str) -> tuple[str, str]:
    conn = await asyncpg.connect(server.url("postgres"))
    await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    await conn.close()
    conn = await asyncpg.connect(server.url(name))
    # Keep the admin key's id out of the range generated ids usually hit, so a DELETE can't revoke it.
    await conn.execute("ALTER TABLE api_keys ALTER COLUMN id RESTART WITH 9000000")
    key = await accounts.create_key(conn, role="admin", admin_name="fuzzer")
    partner = await accounts.partner_by_name(conn, "fuzzed", create=True)
    partner_key = await accounts.create_key(conn, role="partner", partner_id=partner["id"])
    await conn.close()
    return key.secret, partner_key.secret


@pytest.fixture(scope="module")
def served(pg_server: EmbeddedPostgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Base URL and keys of a running app on its own database."""
    admin_key, partner_key = asyncio.run(_prepare_database(pg_server, "schemathesis"))
    url = pg_server.url("schemathesis")
    cfg = make_settings(url, Path(tmp_path_factory.mktemp("st")))
    with ServedApp(create_app(cfg, database_url=url, registry=CollectorRegistry())) as served_app:
        yield {"url": f"http://127.0.0.1:{served_app.port}", "admin": admin_key, "partner": partner_key}


def _document() -> dict[str, Any]:
    # create_app does no I/O, so the document can be read at collection time; a test below
    # checks that the running app serves this same document.
    cfg = load_settings(None, environ={}, overrides={"database": {"url": "postgresql://unused/"}})
    return create_app(cfg, database_url="postgresql://unused/")[keys.openapi_document]


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_served_document_is_the_one_tested(served: dict[str, str]) -> None:
    import json
    import urllib.request

    with urllib.request.urlopen(f"{served['url']}/openapi.json") as resp:
        assert json.load(resp) == json.loads(json.dumps(DOCUMENT))


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.parametrize("who", ["admin", "partner"])  # each role reaches its own handlers, not just 403
def test_api_conforms_to_its_document(case: Any, served: dict[str, str], who: str) -> None:
    case.call_and_validate(
        base_url=served["url"], headers={"Authorization": f"Bearer {served[who]}"}, checks=CHECKS
    )
