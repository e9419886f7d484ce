"""The status API, levels and metrics follow the pools; outages go stale and recover; fees re-quote."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from tests.conftest import Keys, bearer
from tests.energy.conftest import AppFactory, metric, node_of, scraper_of

STATUS = "/api/v1/energy/status"


async def _status(client: Any, key: str, lang: str = "en") -> dict[str, Any]:
    resp = await client.get(STATUS, headers={**bearer(key), "Accept-Language": lang})
    assert resp.status == 200
    body: dict[str, Any] = await resp.json()
    return body


async def test_draining_moves_metrics_status_and_level(energy_app: AppFactory, keys: Keys) -> None:
    # Total usage starts ≈36 % (demo pools); these thresholds make a one-hour drain cross every level.
    client = await energy_app(warning=0.30, critical=0.45, emergency=0.60)
    node, scraper = node_of(client), scraper_of(client)
    partner, _ = await keys.partner()
    assert scraper is not None
    await scraper.cycle()
    before = await _status(client, partner)
    assert before["level"] == "warning" and before["energy_sufficient"] is True
    assert before["alert_message"] is None and before["stale"] is False and before["queue_position"] is None
    used_before = await metric(client, "tronwatch_pool_energy_used", pool="pool-alpha")
    node.start_traffic("pool-alpha", 60)  # 3.9M energy an hour
    levels = []
    for _ in range(4):
        node.advance(900)
        await scraper.cycle()
        levels.append((await _status(client, partner))["level"])
    assert levels[0] == "warning" and "critical" in levels and levels[-1] == "emergency"
    after = await _status(client, partner)
    assert after["available_energy"] < before["available_energy"] - 3_000_000
    used_after = await metric(client, "tronwatch_pool_energy_used", pool="pool-alpha")
    assert used_before is not None and used_after is not None and used_after > used_before + 3_000_000
    assert await metric(client, "tronwatch_energy_state", tronwatch_energy_state="emergency") == 1
    assert await metric(client, "tronwatch_energy_state", tronwatch_energy_state="ok") == 0
    assert await metric(client, "tronwatch_pool_up", pool="pool-alpha") == 1
    ratio = await metric(client, "tronwatch_energy_usage_ratio")
    assert ratio is not None and 0.60 <= ratio < 1
    # Expected duration of the pools as one: finite at this spend, and longer than alpha's alone.
    admin, _ = await keys.admin()
    status = await (await client.get("/api/v1/admin/energy/status", headers=bearer(admin))).json()
    alpha = next(p for p in status["pools"] if p["name"] == "pool-alpha")
    assert alpha["runway_hours"] is not None
    assert alpha["runway_hours"] < status["totals"]["runway_hours"] < 48


async def test_insufficient_energy_gives_a_wait_and_a_message_in_the_asked_language(
    energy_app: AppFactory, keys: Keys
) -> None:
    # No pool holds 9M available (alpha ≈8M of 10M), so nothing can fund one "standard transfer".
    client = await energy_app(transfer_energy=9_000_000)
    partner, _ = await keys.partner()
    await scraper_of(client).cycle()  # type: ignore[union-attr]
    en = await _status(client, partner, "en-US,en;q=0.9")
    ko = await _status(client, partner, "ko-KR,ko;q=0.9,en;q=0.5")
    assert en["energy_sufficient"] is False and en["estimated_wait_time"] > 0
    assert "Energy is low" in en["alert_message"] and str(en["estimated_wait_time"]) in en["alert_message"]
    assert "에너지가 부족" in ko["alert_message"] and "TRX" in ko["alert_message"]
    resp = await client.get(STATUS, params={"user_id": "bad user!"}, headers=bearer(partner))
    assert resp.status == 422 and (await resp.json())["errors"][0]["field"] == "user_id"
    admin, _ = await keys.admin()
    status = await (await client.get("/api/v1/admin/energy/status", headers=bearer(admin))).json()
    assert {p["status"] for p in status["pools"]} == {"exhausted"}


async def test_an_energy_fee_change_shows_in_the_quote(energy_app: AppFactory, keys: Keys) -> None:
    client = await energy_app()
    node, scraper = node_of(client), scraper_of(client)
    partner, _ = await keys.partner()
    assert scraper is not None
    await scraper.cycle()
    q = scraper.quote
    assert q is not None and q.energy_source == "estimate" and q.energy == 130_285  # empty recipient
    assert q.energy_fee_sun == 100 and q.bandwidth_sun == 345 * 1000
    assert Decimal((await _status(client, partner))["emergency_fee_trx"]) == Decimal("13.3735")
    node.set_energy_fee(210)
    scraper.params_due = 0  # the next cycle re-reads chain parameters
    await scraper.cycle()
    body = await _status(client, partner)
    assert body["energy_fee_sun"] == 210
    assert Decimal(body["emergency_fee_trx"]) == (Decimal(130_285 * 210 + 345_000) / 1_000_000)
    assert await metric(client, "tronwatch_chain_energy_fee_sun") == 210
    assert await metric(client, "tronwatch_emergency_fee_trx") == float(Decimal("27.70485"))


async def test_outage_marks_pools_unreachable_serves_last_values_stale_and_recovers(
    energy_app: AppFactory, keys: Keys
) -> None:
    # The default backoff_max (300 s); stale after three intervals, so a loaded machine's slow cycle
    # must not look like an outage before the fault is even set.
    client = await energy_app(scrape_interval=0.2)
    node = node_of(client)
    partner, _ = await keys.partner()
    admin, _ = await keys.admin()
    await _until(client, lambda s: not s["stale"], partner)
    good = await _status(client, partner)
    assert good["stale"] is False and good["available_energy"] > 0
    node.set_fault("*", outage=True)
    await _until(client, lambda s: s["stale"], partner)
    stale = await _status(client, partner)
    assert stale["available_energy"] == good["available_energy"]  # last known values, marked stale
    assert stale["updated_at"] == good["updated_at"]
    for _ in range(100):  # the chain-health watcher goes stale on its own schedule
        if (await client.get("/readyz")).status == 503:
            break
        await asyncio.sleep(0.05)
    assert (await client.get("/readyz")).status == 503
    for _ in range(200):  # the failing cycle ends after the client's retries
        admin_status = await (await client.get("/api/v1/admin/energy/status", headers=bearer(admin))).json()
        if {p["status"] for p in admin_status["pools"]} == {"unreachable"}:
            break
        await asyncio.sleep(0.05)
    assert admin_status["stale"] is True
    assert {p["status"] for p in admin_status["pools"]} == {"unreachable"}
    assert all(p["last_error"] for p in admin_status["pools"])
    assert await metric(client, "tronwatch_pool_up", pool="pool-beta") == 0
    node.clear_faults()
    await _until(client, lambda s: not s["stale"], partner)
    for _ in range(100):
        if (await client.get("/readyz")).status == 200:
            break
        await asyncio.sleep(0.05)
    assert (await client.get("/readyz")).status == 200
    assert await metric(client, "tronwatch_pool_up", pool="pool-beta") == 1


async def _until(client: Any, check: Any, key: str, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if check(await _status(client, key)):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")
