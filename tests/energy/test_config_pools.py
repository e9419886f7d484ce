"""Pools declared in the config file: owned by it while declared, disabled and handed over when removed."""

from __future__ import annotations

from typing import Any

from tests.conftest import Keys, bearer
from tests.energy.conftest import AppFactory, metric, scraper_of

API = "/api/v1/admin/energy"
ALICE = {"name": "alice-pool", "wallet_address": "TKKwBf2YL9sH2GppotCWkXy6jmKFRM4ncZ", "target_trx": "10"}
BOB = {"name": "bob-pool", "wallet_address": "THh5J4Kb996ZXSguVRYy69ys2fczZ2K1QZ"}


async def _pools(client: Any, admin: str) -> dict[str, dict[str, Any]]:
    await scraper_of(client).cycle()  # type: ignore[union-attr]
    resp = await client.get(f"{API}/status", headers=bearer(admin))
    assert resp.status == 200
    return {p["name"]: p for p in (await resp.json())["pools"]}


async def test_a_pool_removed_from_the_config_is_disabled_and_handed_to_the_api(
    energy_app: AppFactory, keys: Keys
) -> None:
    client = await energy_app(pools=[ALICE, BOB])
    admin, _ = await keys.admin()
    h = bearer(admin)
    pools = await _pools(client, admin)
    assert pools["alice-pool"]["status"] != "disabled" and pools["bob-pool"]["status"] != "disabled"
    assert pools["bob-pool"]["last_scraped_at"] is not None
    assert await metric(client, "tronwatch_pool_up", pool="bob-pool") == 1
    bob_id = pools["bob-pool"]["id"]
    resp = await client.patch(f"{API}/pools/{bob_id}", json={"enabled": False}, headers=h)
    assert resp.status == 409 and "config" in (await resp.json())["detail"]
    await client.close()

    client = await energy_app(pools=[ALICE])  # restarted with bob removed from the file
    pools = await _pools(client, admin)
    assert pools["bob-pool"]["id"] == bob_id and pools["bob-pool"]["status"] == "disabled"
    assert pools["alice-pool"]["status"] != "disabled"
    assert await metric(client, "tronwatch_pool_up", pool="bob-pool") is None  # no longer watched
    assert await metric(client, "tronwatch_pool_up", pool="alice-pool") == 1
    alice_id = pools["alice-pool"]["id"]
    assert (await client.patch(f"{API}/pools/{alice_id}", json={"enabled": False}, headers=h)).status == 409
    resp = await client.patch(f"{API}/pools/{bob_id}", json={"enabled": True}, headers=h)
    body = await resp.json()
    assert resp.status == 200 and body["source"] == "api" and body["enabled"] is True
    await client.close()

    client = await energy_app(pools=[ALICE, BOB])  # declared again: the config file owns it again
    pools = await _pools(client, admin)
    assert pools["bob-pool"]["id"] == bob_id and pools["bob-pool"]["status"] != "disabled"
    assert (await client.patch(f"{API}/pools/{bob_id}", json={"enabled": False}, headers=h)).status == 409
