"""Backoff is per pool: a node outage does not delay recovery, a broken pool still backs off."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from daemon import keys as app_keys
from daemon.energy import pools_repo as repo
from daemon.energy.scraper import Scraper
from tests.conftest import Keys, bearer
from tests.energy.conftest import AppFactory, metric, node_of, scraper_of

NOBODY = "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"  # valid base58check, never used on the devnode
INTERVAL = 15.0  # the default scrape interval


def _on_own_clock(scraper: Scraper) -> list[float]:
    """Scrape every 15 s on a clock the test moves (the fixture's own loop sleeps for an hour)."""
    scraper.settings = scraper.settings.model_copy(update={"scrape_interval": INTERVAL})
    now = [time.monotonic()]
    scraper.clock = lambda: now[0]
    return now


async def _get(client: Any, path: str, key: str) -> dict[str, Any]:
    resp = await client.get(path, headers=bearer(key))
    assert resp.status == 200
    body: dict[str, Any] = await resp.json()
    return body


async def test_pools_recover_one_interval_after_a_node_outage_with_the_default_backoff(
    energy_app: AppFactory, keys: Keys
) -> None:
    client = await energy_app()
    scraper, node = scraper_of(client), node_of(client)
    assert scraper is not None and scraper.settings.backoff_max == 300  # the default
    partner, _ = await keys.partner()
    admin, _ = await keys.admin()
    now = _on_own_clock(scraper)
    await scraper.cycle()
    before = await _get(client, "/api/v1/energy/status", partner)
    assert before["energy_sufficient"] is True
    node.set_fault("*", outage=True)
    for _ in range(5):  # 75 s of outage: long enough for per-pool backoff to reach 60 s
        now[0] += INTERVAL
        await scraper.cycle()
    down = await _get(client, "/api/v1/admin/energy/status", admin)
    assert {p["status"] for p in down["pools"]} == {"unreachable"}
    assert (await _get(client, "/api/v1/energy/status", partner))["energy_sufficient"] is False
    node.clear_faults()
    now[0] += INTERVAL
    await scraper.cycle()  # the first scrape after the node answers again
    up = await _get(client, "/api/v1/admin/energy/status", admin)
    assert "unreachable" not in {p["status"] for p in up["pools"]}
    assert all(p["last_error"] is None for p in up["pools"])
    after = await _get(client, "/api/v1/energy/status", partner)
    assert after["energy_sufficient"] is True and after["stale"] is False and after["alert_message"] is None
    assert after["updated_at"] > before["updated_at"]
    assert await metric(client, "tronwatch_pool_up", pool="pool-beta") == 1


async def test_a_single_broken_pool_still_backs_off_while_the_others_are_read(
    energy_app: AppFactory, keys: Keys
) -> None:
    client = await energy_app()
    scraper = scraper_of(client)
    assert scraper is not None
    admin, _ = await keys.admin()
    async with client.app[app_keys.runtime].pool.acquire() as conn:
        bad = await repo.insert_pool(conn, "ghost", NOBODY, Decimal(0))  # not on chain
    assert bad is not None
    now = _on_own_clock(scraper)
    failures = []
    for _ in range(5):
        await scraper.cycle()
        failures.append(scraper.state[bad["id"]].failures)
        status = await _get(client, "/api/v1/admin/energy/status", admin)
        others = {p["status"] for p in status["pools"] if p["id"] != bad["id"]}
        assert others and "unreachable" not in others
        now[0] += INTERVAL
    # Read at 0 s, 15 s (retry after one interval), 45 s (after two); skipped at 30 s and 60 s.
    assert failures == [1, 2, 2, 3, 3]
    ghost = next(p for p in status["pools"] if p["id"] == bad["id"])
    assert ghost["status"] == "unreachable" and "does not exist" in ghost["last_error"]
