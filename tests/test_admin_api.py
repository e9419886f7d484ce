"""Admins manage partners and keys over the API; keys work, and stop working when revoked."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import Keys, bearer


async def test_partner_lifecycle_and_paging(client: TestClient[Any, Any], keys: Keys) -> None:
    admin, _ = await keys.admin()
    h = bearer(admin)
    ids = []
    for i in range(3):
        resp = await client.post(
            "/api/v1/admin/partners", json={"name": f"p{i}", "contact_email": "a@b.io"}, headers=h
        )
        assert resp.status == 201
        ids.append((await resp.json())["id"])
    dup = await client.post("/api/v1/admin/partners", json={"name": "p1"}, headers=h)
    assert dup.status == 409 and (await dup.json())["errors"][0]["field"] == "name"
    bad = await client.post("/api/v1/admin/partners", json={"name": "x", "contact_email": "nope"}, headers=h)
    assert bad.status == 422 and (await bad.json())["errors"][0]["field"] == "contact_email"
    page = await (await client.get("/api/v1/admin/partners", params={"limit": "2"}, headers=h)).json()
    assert [p["id"] for p in page["items"]] == ids[:2] and page["next_cursor"] == str(ids[1])
    rest = await (
        await client.get("/api/v1/admin/partners", params={"after": page["next_cursor"]}, headers=h)
    ).json()
    assert [p["id"] for p in rest["items"]] == ids[2:] and rest["next_cursor"] is None
    one = await (await client.get(f"/api/v1/admin/partners/{ids[0]}", headers=h)).json()
    assert one["name"] == "p0"
    assert (await client.get("/api/v1/admin/partners/99999", headers=h)).status == 404
    assert (await client.get("/api/v1/admin/partners/abc", headers=h)).status == 404
    assert (await client.get(f"/api/v1/admin/partners/{2**64}", headers=h)).status == 404


async def test_new_partner_key_works_and_revocation_is_immediate(
    client: TestClient[Any, Any], keys: Keys
) -> None:
    admin, _ = await keys.admin()
    partner = await (
        await client.post("/api/v1/admin/partners", json={"name": "acme"}, headers=bearer(admin))
    ).json()
    resp = await client.post(
        f"/api/v1/admin/partners/{partner['id']}/keys", json={"label": "prod"}, headers=bearer(admin)
    )
    assert resp.status == 201
    created = await resp.json()
    assert created["key"].startswith("tw_") and created["role"] == "partner" and created["label"] == "prod"
    me = await (await client.get("/api/v1/me", headers=bearer(created["key"]))).json()
    assert me == {"key_id": created["id"], "role": "partner", "partner_id": partner["id"]}
    listed = await (await client.get("/api/v1/admin/keys", headers=bearer(admin))).json()
    assert created["key"] not in str(listed) and any(k["id"] == created["id"] for k in listed["items"])
    revoked = await client.delete(f"/api/v1/admin/keys/{created['id']}", headers=bearer(admin))
    assert revoked.status == 200 and (await revoked.json())["revoked_at"] is not None
    again = await client.get("/api/v1/me", headers=bearer(created["key"]))
    assert again.status == 401 and "revoked" in (await again.json())["detail"]
    assert (await client.delete(f"/api/v1/admin/keys/{created['id']}", headers=bearer(admin))).status == 200
    assert (await client.delete("/api/v1/admin/keys/424242", headers=bearer(admin))).status == 404
    missing = await client.post("/api/v1/admin/partners/424242/keys", json={}, headers=bearer(admin))
    assert missing.status == 404


async def test_last_used_is_recorded(client: TestClient[Any, Any], keys: Keys, database_url: str) -> None:
    import asyncpg

    partner, _ = await keys.partner()
    assert (await client.get("/api/v1/me", headers=bearer(partner))).status == 200
    conn = await asyncpg.connect(database_url)
    used = await conn.fetchval("SELECT last_used_at FROM api_keys WHERE role = 'partner'")
    await conn.close()
    assert used is not None
