"""The HTTP contract every route shares: problem+json errors, limits, request ids, metrics, OpenAPI."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from openapi_spec_validator import validate

from daemon.db import migrate
from tests.conftest import Keys, bearer

PARTNERS = "/api/v1/admin/partners"


async def _problem(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status == status, await resp.text()
    assert resp.content_type == "application/problem+json"
    body: dict[str, Any] = await resp.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


async def test_unknown_route_and_wrong_method_are_problems(client: TestClient[Any, Any]) -> None:
    await _problem(await client.get("/nope"), 404)
    resp = await client.put("/healthz")
    await _problem(resp, 405)
    assert "GET" in resp.headers["Allow"]


async def test_body_errors_name_what_is_wrong(client: TestClient[Any, Any], keys: Keys) -> None:
    admin, _ = await keys.admin()
    h = bearer(admin)
    body = await _problem(
        await client.post(PARTNERS, data="{not json", headers={**h, "Content-Type": "application/json"}), 400
    )
    assert "malformed JSON" in body["detail"]
    await _problem(
        await client.post(PARTNERS, data="name=x", headers={**h, "Content-Type": "text/plain"}), 415
    )
    body = await _problem(await client.post(PARTNERS, json={"name": "a", "colour": "red"}, headers=h), 422)
    assert body["errors"] == [{"field": "colour", "message": "unknown field"}]
    body = await _problem(await client.post(PARTNERS, json={"name": ""}, headers=h), 422)
    assert body["errors"][0]["field"] == "name"
    body = await _problem(await client.post(PARTNERS, json=[1, 2], headers=h), 422)
    big = {"name": "x" * (1024 * 1024)}
    await _problem(await client.post(PARTNERS, json=big, headers=h), 413)
    body = await _problem(await client.get(PARTNERS, params={"limit": "0"}, headers=h), 422)
    assert body["errors"][0]["field"] == "limit"
    body = await _problem(await client.get(PARTNERS, params={"sort": "x"}, headers=h), 422)
    assert body["errors"][0] == {"field": "sort", "message": "unknown field"}


async def test_request_id_is_echoed_or_generated(client: TestClient[Any, Any]) -> None:
    resp = await client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert resp.headers["X-Request-Id"] == "abc-123"
    resp = await client.get("/nope", headers={"X-Request-Id": "bad id with spaces"})
    generated = resp.headers["X-Request-Id"]
    assert len(generated) == 32 and (await resp.json())["request_id"] == generated


async def test_metrics_are_labelled_by_route_template(client: TestClient[Any, Any], keys: Keys) -> None:
    admin, _ = await keys.admin()
    for pid in (123, 456):
        await client.get(f"/api/v1/admin/partners/{pid}", headers=bearer(admin))
    await client.get("/some/random/path")
    text = await (await client.get("/metrics")).text()
    assert (
        'tronwatch_http_requests_total{method="GET",route="/api/v1/admin/partners/{id}",status="404"} 2.0'
        in text
    )
    assert 'route="unmatched"' in text and "random" not in text
    for name in (
        "tronwatch_build_info{",
        'tronwatch_db_pool_connections{state="idle"}',
        "tronwatch_db_up",
        'tronwatch_leader{job="housekeeping"}',
        "tronwatch_http_request_duration_seconds_bucket",
    ):
        assert name in text, name


async def test_readiness_reports_database_and_schema(client: TestClient[Any, Any]) -> None:
    resp = await client.get("/readyz")
    body = await resp.json()
    assert resp.status == 200 and body["status"] == "ready"
    assert body["checks"]["migrations"]["ok"] and body["checks"]["tron"]["detail"] == "no network configured"
    assert (await (await client.get("/healthz")).json())["status"] == "ok"


async def test_readiness_fails_when_schema_is_behind(client: TestClient[Any, Any], database_url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(database_url)
    await conn.execute("UPDATE alembic_version SET version_num = '0000'")
    await conn.close()
    resp = await client.get("/readyz")
    body = await resp.json()
    assert resp.status == 503 and body["status"] == "not_ready"
    head = migrate.head_revision()
    assert body["checks"]["migrations"] == {"ok": False, "detail": f"at 0000, head is {head}"}


async def test_openapi_document_is_valid_and_complete(client: TestClient[Any, Any]) -> None:
    doc = await (await client.get("/openapi.json")).json()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    served = {
        (r.method, r.resource.canonical)
        for r in client.app.router.routes()
        if r.resource is not None and r.method != "HEAD"
    }
    assert served == documented
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    create = doc["paths"]["/api/v1/admin/partners"]["post"]
    assert {"401", "403", "409", "413", "415", "422"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    # A retried create answers 200 with the row it finds: documented, with the same body as the 201.
    for path in ("/api/v1/energy/queue", "/api/v1/energy/emergency-withdrawal"):
        answers = doc["paths"][path]["post"]["responses"]
        assert answers["200"] == answers["201"]


async def test_readiness_follows_the_tron_node(aiohttp_client: Any, database_url: str, tmp_path: Any) -> None:
    from prometheus_client import CollectorRegistry

    from daemon import keys as app_keys
    from daemon.app import create_app
    from tests.conftest import make_settings

    cfg = make_settings(
        database_url, tmp_path, tron={"network": "devnode", "devnode_speed": 0, "health_interval": 0.1}
    )
    client = await aiohttp_client(create_app(cfg, database_url=database_url, registry=CollectorRegistry()))
    runtime = client.app[app_keys.runtime]
    assert runtime.devnode is not None and runtime.chain_health is not None
    body = await (await _poll_readyz(client, 200)).json()
    assert (
        body["checks"]["tron"]["ok"] and "simulated devnode: head block" in body["checks"]["tron"]["detail"]
    )
    assert body["checks"]["tron_solidity"]["ok"], body  # the in-process devnode serves both prefixes
    runtime.devnode.set_fault("*", outage=True)
    for _ in range(200):  # after 3 missed health intervals
        resp = await client.get("/readyz")
        body = await resp.json()
        if not body["checks"]["tron"]["ok"]:
            break
        await asyncio.sleep(0.05)
    assert resp.status == 503 and "stale" in body["checks"]["tron"]["detail"], body
    runtime.devnode.clear_faults()
    await _poll_readyz(client, 200)


async def _poll_readyz(client: TestClient[Any, Any], status: int) -> Any:
    for _ in range(200):
        resp = await client.get("/readyz")
        if resp.status == status:
            return resp
        await asyncio.sleep(0.05)
    raise AssertionError(f"/readyz never answered {status}")


async def test_nul_characters_are_refused_not_stored(client: TestClient[Any, Any], keys: Keys) -> None:
    admin, _ = await keys.admin()
    resp = await client.post(PARTNERS, json={"name": "a\x00b"}, headers=bearer(admin))
    body = await _problem(resp, 422)
    assert body["errors"] == [{"field": "name", "message": "Value error, must not contain NUL characters"}]


@pytest.mark.parametrize("raw", ["¹", "٣", "１２"])
async def test_a_non_ascii_digit_in_a_path_id_is_a_404(
    client: TestClient[Any, Any], keys: Keys, raw: str
) -> None:
    """`'¹'.isdigit()` is true but int() refuses it: such an id is an object that cannot exist, not a 500."""
    admin, _ = await keys.admin()
    resp = await client.get(f"/api/v1/support/tickets/{raw}", headers=bearer(admin))
    assert resp.status == 404, await resp.text()
    assert resp.content_type == "application/problem+json"
