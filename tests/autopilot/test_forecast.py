"""The shortage forecast on the devnode: a known daily schedule, forecast vs actual, APIs and gauges."""

from __future__ import annotations

import math

import aiohttp

from daemon import keys as app_keys
from daemon.autopilot.forecast_context import ForecastJob, forecast_state
from daemon.devnode.keys import TRAFFIC
from daemon.energy.runtime import energy_runtime
from tests.autopilot import scenario
from tests.autopilot.conftest import AppFactory
from tests.conftest import Keys, bearer
from tests.energy.conftest import metric

QUEUE = "/api/v1/energy/queue"


async def test_forecast_within_ten_percent_of_the_devnode_shortage(auto_app: AppFactory, keys: Keys) -> None:
    client = await auto_app()
    admin, _ = await keys.admin()
    outcome = await scenario.run(client.app, admin, client)
    assert outcome.actual_s is not None, "the pool never ran short: the scenario is wrong"
    assert 3 * 3600 < outcome.actual_s < 12 * 3600  # during day 2's peak, hours after the drop
    assert outcome.error < 0.10, (outcome.forecast_s, outcome.actual_s)
    assert outcome.forecast_hours_api == round(outcome.forecast_s / 3600, 2)
    # The gauge and the partner API say the same.
    assert (
        await metric(client, "tronwatch_pool_shortage_forecast_seconds", pool="pool-alpha")
        == outcome.forecast_s
    )
    partner, _ = await keys.partner("acme")
    status = await (await client.get("/api/v1/energy/status", headers=bearer(partner))).json()
    total = client.app[forecast_state].total_seconds()
    assert total is not None and status["forecast_hours"] == (
        None if math.isinf(total) else round(total / 3600, 2)
    )


async def test_no_traffic_is_no_shortage_and_the_waiting_queue_brings_it_forward(
    auto_app: AppFactory, keys: Keys
) -> None:
    client = await auto_app()
    app = client.app
    node = app[app_keys.runtime].devnode
    job = ForecastJob(app, app[forecast_state], app[app_keys.settings].forecast)
    energy = app[energy_runtime]
    persister = scenario.Persister(app[app_keys.runtime].pool, app[app_keys.settings].energy)
    for _ in range(8):  # two chain hours of readings, no traffic at all
        node.advance(900)
        await persister.save(await energy.scraper.cycle())
    await job.once()
    assert await metric(client, "tronwatch_pool_shortage_forecast_seconds", pool="pool-alpha") == math.inf
    assert await metric(client, "tronwatch_energy_shortage_forecast_seconds") == math.inf
    admin, _ = await keys.admin()
    status = await (await client.get("/api/v1/admin/energy/status", headers=bearer(admin))).json()
    hours = {p["name"]: p["forecast_hours"] for p in status["pools"]}
    assert hours["pool-alpha"] is None  # null: no shortage within the horizon
    assert hours["pool-gamma"] == 0.0  # 93 % used: it cannot fund a 130,285-energy transfer now
    # Withdrawals waiting for more energy than the pools hold: short now.
    partner, _ = await keys.partner("acme")
    available = energy.holder.current.totals.energy_available
    for n in range(available // 130_285 + 1):
        body = {"withdrawal_id": f"w-{n}", "user_id": "u", "to_address": "TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy",
                "amount": "1"}  # fmt: skip
        assert (await client.post(QUEUE, json=body, headers=bearer(partner))).status in (200, 201)
    await job.once()
    assert await metric(client, "tronwatch_energy_shortage_forecast_seconds") == 0.0
    status = await (await client.get("/api/v1/admin/energy/status", headers=bearer(admin))).json()
    assert status["totals"]["forecast_hours"] == 0.0


async def test_devnode_traffic_schedule_is_validated_and_listed(auto_app: AppFactory) -> None:
    client = await auto_app()
    node = client.app[app_keys.runtime].devnode
    traffic = f"{node.url.rstrip('/')}/_devnode/traffic"
    async with aiohttp.ClientSession() as http:
        bad = await http.put(traffic, json={"pool": "pool-alpha", "schedule": [1] * 23})
        assert bad.status == 422 and "24" in (await bad.json())["error"]
        ok = await http.put(traffic, json={"pool": "pool-alpha", "schedule": [2] * 24})
        assert ok.status == 200
        listed = await (await http.get(traffic)).json()
    assert listed[0]["schedule"] == [2.0] * 24
    before = node.chain.accounts[node.account("pool-alpha").address].energy_usage
    node.advance(3600)  # two transfers in the hour
    assert listed[0]["name"] == "pool-alpha"
    gen = next(iter(node.app[TRAFFIC].generators.values()))
    assert gen.sent == 2 and node.account("pool-alpha").energy_usage > before
