"""The support routes in /openapi.json: a valid document, and fuzzing finds no 5xx or off-schema reply."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate

from daemon import accounts
from daemon.db.embedded import EmbeddedPostgres
from daemon.http.openapi import build_document
from daemon.support.routes import support_endpoints
from tests.conftest import TEMPLATE, make_settings
from tests.support.conftest import FakeClock, support_app
from tests.test_schemathesis import CHECKS, ServedApp


def _all_endpoints() -> list[Any]:
    from daemon.http.admin_routes import admin_endpoints

    return [*admin_endpoints(), *support_endpoints()]


DOCUMENT = build_document(_all_endpoints())
schema = schemathesis.openapi.from_dict(DOCUMENT).include(path_regex="^/api/v1/support/")


def test_document_is_valid_openapi() -> None:
    validate(DOCUMENT)
    assert {"/api/v1/support/tickets", "/api/v1/support/tickets/{id}/messages"} <= set(DOCUMENT["paths"])


async def _prepare(server: EmbeddedPostgres, name: str) -> tuple[str, str]:
    conn = await asyncpg.connect(server.url("postgres"))
    await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    await conn.close()
    conn = await asyncpg.connect(server.url(name))
    admin = await accounts.create_key(conn, role="admin", admin_name="fuzzer")
    partner = await accounts.partner_by_name(conn, "fuzzed", create=True)
    key = await accounts.create_key(conn, role="partner", partner_id=partner["id"])
    # A few tickets, so generated ids sometimes hit a real one.
    for i in range(3):
        await conn.execute(
            "INSERT INTO support_tickets (partner_id, title, description, category, category_source, "
            "priority, priority_source, created_at, updated_at, last_activity_at, first_response_due_at, "
            "resolution_due_at) "
            "VALUES ($1, $2, 'd', 'other', 'auto', 'medium', 'auto', now(), now(), now(), now(), now())",
            partner["id"],
            f"t{i}",
        )
    await conn.close()
    return admin.secret, key.secret


@pytest.fixture(scope="module")
def served(pg_server: EmbeddedPostgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Base URL and keys of a running support app on its own database."""
    admin, partner = asyncio.run(_prepare(pg_server, "support_fuzz"))
    url = pg_server.url("support_fuzz")
    cfg = make_settings(url, Path(tmp_path_factory.mktemp("support-st")))
    with ServedApp(support_app(cfg, FakeClock())) as app:
        yield {"url": f"http://127.0.0.1:{app.port}", "admin": admin, "partner": partner}


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.parametrize("who", ["partner", "admin"])
def test_support_api_conforms_to_its_document(case: Any, served: dict[str, str], who: str) -> None:
    case.call_and_validate(
        base_url=served["url"], headers={"Authorization": f"Bearer {served[who]}"}, checks=CHECKS
    )
