"""Idempotency-Key on create endpoints: replay, mismatch, in-flight duplicates, crash recovery."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from tests.conftest import Keys, bearer

PARTNERS = "/api/v1/admin/partners"


async def test_same_key_same_body_returns_first_response(
    client: TestClient[Any, Any], keys: Keys, database_url: str
) -> None:
    admin, _ = await keys.admin()
    h = {**bearer(admin), "Idempotency-Key": "create-acme-1"}
    first = await client.post(PARTNERS, json={"name": "acme"}, headers=h)
    # Same JSON, different key order and spacing: still the same request.
    second = await client.post(
        PARTNERS, data='{ "name" : "acme" }', headers={**h, "Content-Type": "application/json"}
    )
    assert first.status == second.status == 201
    assert await first.json() == await second.json()
    assert second.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    conn = await asyncpg.connect(database_url)
    assert await conn.fetchval("SELECT count(*) FROM partners WHERE name = 'acme'") == 1
    await conn.close()


async def test_same_key_other_body_is_422(client: TestClient[Any, Any], keys: Keys) -> None:
    admin, _ = await keys.admin()
    h = {**bearer(admin), "Idempotency-Key": "k1"}
    assert (await client.post(PARTNERS, json={"name": "a"}, headers=h)).status == 201
    resp = await client.post(PARTNERS, json={"name": "b"}, headers=h)
    assert resp.status == 422
    assert (await resp.json())["errors"][0]["field"] == "Idempotency-Key"


async def test_keys_are_scoped_per_caller(client: TestClient[Any, Any], keys: Keys) -> None:
    a, _ = await keys.admin("alice")
    b, _ = await keys.admin("bob")
    assert (
        await client.post(PARTNERS, json={"name": "x1"}, headers={**bearer(a), "Idempotency-Key": "same"})
    ).status == 201
    other = await client.post(PARTNERS, json={"name": "x2"}, headers={**bearer(b), "Idempotency-Key": "same"})
    assert other.status == 201 and (await other.json())["name"] == "x2"


async def test_concurrent_duplicate_is_409_then_stale_record_is_adopted(
    client: TestClient[Any, Any], keys: Keys, database_url: str
) -> None:
    admin, _ = await keys.admin()
    h = {**bearer(admin), "Idempotency-Key": "in-flight"}
    conn = await asyncpg.connect(database_url)
    admin_id = await conn.fetchval("SELECT id FROM admins WHERE name = 'root'")
    # A first request still running looks like this: the key claimed, no response yet.
    canonical = json.dumps(["POST", PARTNERS, {"name": "slow"}], sort_keys=True, separators=(",", ":"))
    await conn.execute(
        "INSERT INTO idempotency_records (scope, key, request_hash, state) "
        "VALUES ($1, 'in-flight', $2, 'in_flight')",
        f"admin:{admin_id}",
        hashlib.sha256(canonical.encode()).digest(),
    )
    resp = await client.post(PARTNERS, json={"name": "slow"}, headers=h)
    assert resp.status == 409 and resp.headers["Retry-After"] == "1"
    assert await conn.fetchval("SELECT count(*) FROM partners WHERE name = 'slow'") == 0
    # The process that claimed it died a minute ago: a retry adopts the record and does the work once.
    await conn.execute(
        "UPDATE idempotency_records SET created_at = now() - interval '2 minutes' WHERE key = 'in-flight'"
    )
    retry = await client.post(PARTNERS, json={"name": "slow"}, headers=h)
    assert retry.status == 201
    replay = await client.post(PARTNERS, json={"name": "slow"}, headers=h)
    assert await replay.json() == await retry.json()
    assert await conn.fetchval("SELECT count(*) FROM partners WHERE name = 'slow'") == 1
    await conn.close()


async def test_parallel_duplicates_create_exactly_one(
    client: TestClient[Any, Any], keys: Keys, database_url: str
) -> None:
    admin, _ = await keys.admin()
    h = {**bearer(admin), "Idempotency-Key": "race"}
    responses = await asyncio.gather(
        *(client.post(PARTNERS, json={"name": "racer"}, headers=h) for _ in range(8))
    )
    statuses = sorted(r.status for r in responses)
    assert set(statuses) <= {201, 409} and 201 in statuses
    ids = {(await r.json())["id"] for r in responses if r.status == 201}
    assert len(ids) == 1
    conn = await asyncpg.connect(database_url)
    assert await conn.fetchval("SELECT count(*) FROM partners WHERE name = 'racer'") == 1
    await conn.close()


async def test_failed_request_frees_the_key_and_secrets_are_not_stored(
    client: TestClient[Any, Any], keys: Keys, database_url: str
) -> None:
    admin, _ = await keys.admin()
    h = {**bearer(admin), "Idempotency-Key": "key-for-404"}
    assert (await client.post("/api/v1/admin/partners/999/keys", json={}, headers=h)).status == 404
    partner = await (await client.post(PARTNERS, json={"name": "p"}, headers=bearer(admin))).json()
    h = {**bearer(admin), "Idempotency-Key": "mk-key"}
    first = await (
        await client.post(f"/api/v1/admin/partners/{partner['id']}/keys", json={}, headers=h)
    ).json()
    replay = await (
        await client.post(f"/api/v1/admin/partners/{partner['id']}/keys", json={}, headers=h)
    ).json()
    assert first["key"].startswith("tw_") and replay["key"] is None and replay["id"] == first["id"]
    conn = await asyncpg.connect(database_url)
    stored = await conn.fetch("SELECT response_body FROM idempotency_records")
    await conn.close()
    assert all(first["key"].encode() not in r["response_body"] for r in stored)


async def test_bad_idempotency_key_is_400(client: TestClient[Any, Any], keys: Keys) -> None:
    admin, _ = await keys.admin()
    resp = await client.post(
        PARTNERS, json={"name": "z"}, headers={**bearer(admin), "Idempotency-Key": "x" * 300}
    )
    assert resp.status == 400 and (await resp.json())["errors"][0]["field"] == "Idempotency-Key"
