"""Two replicas on one database: a client on the replica that does not collect still gets every update."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

from daemon.energy.snapshot import EnergySnapshot, PoolView, assemble
from daemon.monitoring.context import energy_changed
from tests.conftest import Keys, bearer
from tests.monitoring.conftest import WS, AppFactory, next_of, state_of


def snapshot_at(ratio: float) -> EnergySnapshot:
    """An energy snapshot of one pool used to `ratio` (thresholds 0.90 / 0.95 / 0.98)."""
    pool = PoolView(
        id=1,
        name="main",
        wallet_address="TYWxU5pTXmfQNnV795SxTYQnGPQr3nctWe",
        enabled=True,
        target_trx=Decimal(0),
        up=True,
        status="active",
        energy_limit=1_000_000,
        energy_used=int(ratio * 1_000_000),
        last_scraped_at=datetime.now(UTC),
    )
    return assemble(
        [pool],
        thresholds=(0.90, 0.95, 0.98),
        stale_after=45,
        transfer_energy=130_285,
        reserve_energy=0,
        energy_fee_sun=100,
        transaction_fee_sun=1000,
        quote=None,
        serial=1,
    )


async def test_a_client_on_the_other_replica_gets_the_updates(mon_app: AppFactory, keys: Keys) -> None:
    a, b = await mon_app(), await mon_app()
    admin, _ = await keys.admin()
    for _ in range(100):
        if state_of(a).leading or state_of(b).leading:
            break
        await asyncio.sleep(0.05)
    leader, follower = (a, b) if state_of(a).leading else (b, a)
    assert not state_of(follower).leading
    names = {state_of(a).replica, state_of(b).replica}
    async with follower.ws_connect(WS, headers=bearer(admin)) as ws:
        await next_of(ws, "hello")
        for _ in range(20):  # until the leader has heard from both replicas
            update = await next_of(ws, "metrics_update")
            if {r["replica"] for r in update["data"]["replicas"]} == names:
                break
        assert update["data"]["leader"] == state_of(leader).replica
        assert {r["replica"] for r in update["data"]["replicas"]} == names
        # Events raised on the leader (the energy scraper's level change) reach this replica's clients.
        energy_changed(state_of(leader), snapshot_at(0.5), snapshot_at(0.91), True)
        event = await next_of(ws, "energy_state")
        assert event["data"]["level"] == "warning"
    # Both replicas serve the same snapshot over the API.
    got = [
        await (await c.get("/api/v1/admin/monitoring/metrics", headers=bearer(admin))).json() for c in (a, b)
    ]
    assert got[0]["leader"] == got[1]["leader"] == state_of(leader).replica


async def test_api_rules_see_the_traffic_of_every_replica(mon_app: AppFactory, keys: Keys) -> None:
    """A slow or failing replica must alert even when another replica evaluates the rules."""
    from daemon.alerts.context import alerts_state

    a, b = await mon_app(), await mon_app()
    admin, _ = await keys.admin()
    for _ in range(100):  # until a published collection holds b's requests (a serves none)
        for _ in range(10):
            assert (await b.get("/api/v1/me", headers=bearer(admin))).status == 200
        api = a.app[alerts_state].namespaces.snapshot().shared["api"]
        if api and api.get("requests", 0) >= 5:
            break
        await asyncio.sleep(0.1)
    assert api["requests"] >= 5 and api["p99_ms"] > 0 and api["error_rate"] == 0
