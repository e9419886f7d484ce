"""GET /api/v1/admin/monitoring/metrics: real figures from the database, the HTTP stack and the pools."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import asyncpg

from daemon.alerts.context import alerts_state
from daemon.monitoring.snapshot import ApiFigures, merge_api
from tests.conftest import Keys, bearer
from tests.monitoring.conftest import AppFactory, state_of

METRICS = "/api/v1/admin/monitoring/metrics"
TO = "TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy"


async def _snapshot_after(client: Any, admin: str, moment: datetime) -> dict[str, Any]:
    for _ in range(100):
        resp = await client.get(METRICS, headers=bearer(admin))
        if resp.status == 200:
            body: dict[str, Any] = await resp.json()
            if datetime.fromisoformat(body["collected_at"]) > moment:
                return body
        await asyncio.sleep(0.1)
    raise AssertionError("no snapshot after the moment")


async def test_the_snapshot_has_real_figures(mon_app: AppFactory, keys: Keys, database_url: str) -> None:
    client = await mon_app()
    admin, _ = await keys.admin()
    partner, partner_id = await keys.partner("acme")
    await keys.partner("idle")  # a key that is never used does not count
    assert (await client.get("/api/v1/energy/status", headers=bearer(partner))).status == 200
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "INSERT INTO energy_withdrawal_queue (partner_id, user_id, withdrawal_id, to_address, amount, "
            "currency, required_energy, created_at) VALUES ($1, 'u', 'w1', $2, 1, 'USDT', 130285, now())",
            partner_id,
            TO,
        )
        moment = await conn.fetchval("SELECT now()")
    finally:
        await conn.close()
    body = await _snapshot_after(client, admin, moment)
    assert body["partners"] == {"active_24h": 1, "keys_used_24h": 1}
    assert body["transactions"]["queued_last_hour"] == 1 and body["transactions"]["queue_waiting"] == 1
    assert body["db"]["up"] is True and body["db"]["latency_ms"] > 0 and body["db"]["pool_max"] == 5
    assert body["api"]["probe_ms"] > 0  # a real request through the HTTP stack
    assert [r["replica"] for r in body["replicas"]] == [state_of(client).replica]
    # The alert rules read the same figures (db.latency_ms, api.probe_ms).
    shared = client.app[alerts_state].namespaces.snapshot().shared
    assert shared["db"]["latency_ms"] > 0 and shared["api"]["probe_ms"] > 0


async def test_errors_and_quantiles_come_from_the_requests_since_the_last_cycle(
    mon_app: AppFactory, keys: Keys
) -> None:
    client = await mon_app()
    admin, _ = await keys.admin()
    await asyncio.sleep(0)
    for _ in range(9):
        await client.get("/api/v1/me", headers=bearer(admin))
    await client.get("/api/v1/admin/partners/999999", headers=bearer(admin))  # 404: not an error
    moment = datetime.now().astimezone()
    body = await _snapshot_after(client, admin, moment)
    seen = body
    for _ in range(3):  # the requests may straddle two cycles
        if seen["api"]["requests"] > 0:
            break
        seen = await _snapshot_after(client, admin, datetime.fromisoformat(seen["collected_at"]))
    assert seen["api"]["error_rate"] == 0 and seen["api"]["p99_ms"] >= seen["api"]["p95_ms"] > 0


def test_cluster_figures_keep_the_worst_quantiles_and_weight_the_means() -> None:
    merged = merge_api(
        [
            ApiFigures(probe_ms=2, requests=30, response_time_ms=10, p95_ms=20, p99_ms=40, error_rate=0.1),
            ApiFigures(probe_ms=9, requests=10, response_time_ms=50, p95_ms=60, p99_ms=70, error_rate=0.5),
            ApiFigures(requests=0),
        ]
    )
    assert merged.requests == 40 and merged.probe_ms == 9
    assert merged.response_time_ms == 20 and merged.error_rate == 0.2
    assert (merged.p95_ms, merged.p99_ms) == (60, 70)
