"""Admin pool API: registration checked on chain, every bad input named, management and history."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conftest import Keys, bearer
from tests.energy.conftest import AppFactory, node_of, scraper_of

API = "/api/v1/admin/energy"
ALICE = "TKKwBf2YL9sH2GppotCWkXy6jmKFRM4ncZ"  # a demo account that exists on chain
NOBODY = "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"  # valid base58check, never used on the devnode
ALPHA = "TYWxU5pTXmfQNnV795SxTYQnGPQr3nctWe"


@pytest.mark.parametrize(
    ("body", "status", "field", "says"),
    [
        (
            {"wallet_address": "TYWxU5pTXmfQNnV795SxTYQnGPQr3nctWf", "trx_amount": 1},
            422,
            "wallet_address",
            "base58",
        ),
        ({"wallet_address": "0x1234", "trx_amount": 1}, 422, "wallet_address", "base58"),
        ({"wallet_address": "", "trx_amount": 1}, 422, "wallet_address", "base58"),
        ({"wallet_address": NOBODY, "trx_amount": 1}, 422, "wallet_address", "does not exist on chain"),
        ({"wallet_address": ALICE, "trx_amount": -1}, 422, "trx_amount", ""),
        ({"wallet_address": ALICE, "trx_amount": "1.0000001"}, 422, "trx_amount", ""),
        ({"wallet_address": ALICE, "trx_amount": "NaN"}, 422, "trx_amount", ""),
        ({"wallet_address": ALICE}, 422, "trx_amount", ""),
        ({"wallet_address": ALICE, "trx_amount": 1, "name": ""}, 422, "name", ""),
        ({"wallet_address": ALICE, "trx_amount": 1, "name": "x" * 101}, 422, "name", ""),
        ({"wallet_address": ALICE, "trx_amount": 1, "color": "red"}, 422, "color", "unknown field"),
        ({"wallet_address": ALPHA, "trx_amount": 1}, 409, "wallet_address", "already"),
        ({"wallet_address": ALICE, "trx_amount": 1, "name": "pool-beta"}, 409, "name", "already"),
    ],
)
async def test_bad_create_inputs_are_refused_naming_the_field(
    energy_app: AppFactory, keys: Keys, body: dict[str, Any], status: int, field: str, says: str
) -> None:
    client = await energy_app()
    admin, _ = await keys.admin()
    for path in ("create-pool", "pools"):
        resp = await client.post(f"{API}/{path}", json=body, headers=bearer(admin))
        problem = await resp.json()
        assert resp.status == status, problem
        assert problem["errors"][0]["field"] == field and says in problem["detail"] + str(problem["errors"])


async def test_register_manage_and_delete_a_pool(energy_app: AppFactory, keys: Keys) -> None:
    client = await energy_app(history_interval=0.001)
    admin, _ = await keys.admin()
    h = bearer(admin)
    resp = await client.post(
        f"{API}/create-pool", json={"wallet_address": ALICE, "trx_amount": "2500.5"}, headers=h
    )
    assert resp.status == 201
    pool = await resp.json()
    assert pool["name"] == ALICE and pool["source"] == "api" and pool["enabled"] is True
    status = await _wait_for_pool(client, h, pool["id"])
    assert status["status"] == "exhausted" and status["energy_limit"] == 0  # alice stakes nothing
    # Manage: rename, disable; the status follows after the (woken) scrape.
    resp = await client.patch(
        f"{API}/pools/{pool['id']}", json={"name": "alice", "enabled": False}, headers=h
    )
    assert resp.status == 200 and (await resp.json())["name"] == "alice"
    for _ in range(100):
        status = await _wait_for_pool(client, h, pool["id"])
        if status["status"] == "disabled":
            break
        await asyncio.sleep(0.02)
    assert status["status"] == "disabled" and status["name"] == "alice"
    for body, code, field in (
        ({}, 422, "(body)"),
        ({"enabled": "maybe"}, 422, "enabled"),
        ({"name": "pool-alpha"}, 409, "name"),
    ):
        resp = await client.patch(f"{API}/pools/{pool['id']}", json=body, headers=h)
        assert resp.status == code and (await resp.json())["errors"][0]["field"] == field
    assert (await client.patch(f"{API}/pools/999999", json={"enabled": True}, headers=h)).status == 404
    alpha_id = next(p["id"] for p in (await _admin_status(client, h))["pools"] if p["name"] == "pool-alpha")
    resp = await client.patch(f"{API}/pools/{alpha_id}", json={"enabled": False}, headers=h)
    assert resp.status == 409 and "config" in (await resp.json())["detail"]
    assert (await client.delete(f"{API}/pools/{alpha_id}", headers=h)).status == 409
    # History: snapshots of alpha from a few cycles of chain time.
    scraper = scraper_of(client)
    assert scraper is not None
    for _ in range(3):
        node_of(client).advance(600)
        await asyncio.sleep(0.002)
        await scraper.cycle()
        await _persist(client)
    resp = await client.get(f"{API}/pools/{alpha_id}/history", params={"step": "60"}, headers=h)
    hist = await resp.json()
    assert resp.status == 200 and len(hist["points"]) >= 1 and hist["points"][-1]["energy_limit"] > 0
    for params in ({"step": "59"}, {"step": "x"}, {"since": "yesterday"}, {"limit": "3"}):
        resp = await client.get(f"{API}/pools/{alpha_id}/history", params=params, headers=h)
        assert resp.status == 422 and (await resp.json())["errors"][0]["field"] == next(iter(params))
    assert (await client.get(f"{API}/pools/999999/history", headers=h)).status == 404
    # Delete: gone from the API, and a second delete is a 404.
    assert (await client.delete(f"{API}/pools/{pool['id']}", headers=h)).status == 204
    assert (await client.delete(f"{API}/pools/{pool['id']}", headers=h)).status == 404


async def _admin_status(client: Any, h: dict[str, str]) -> dict[str, Any]:
    resp = await client.get(f"{API}/status", headers=h)
    assert resp.status == 200
    body: dict[str, Any] = await resp.json()
    return body


async def _wait_for_pool(client: Any, h: dict[str, str], pool_id: int) -> dict[str, Any]:
    for _ in range(200):
        for p in (await _admin_status(client, h))["pools"]:
            if p["id"] == pool_id and p["last_scraped_at"] is not None:
                return dict(p)
        # Run a cycle ourselves rather than wait for the scrape interval (slow on a loaded machine).
        scraper = scraper_of(client)
        if scraper is not None:
            await scraper.cycle()
        await asyncio.sleep(0.02)
    raise AssertionError(f"pool {pool_id} never scraped")


async def _persist(client: Any) -> None:
    from daemon import keys as app_keys
    from daemon.energy.context import Persister
    from daemon.energy.runtime import energy_runtime

    runtime = client.app[app_keys.runtime]
    persister = Persister(runtime.pool, client.app[app_keys.settings].energy)
    await persister.save(client.app[energy_runtime].holder.current)
