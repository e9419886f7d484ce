"""End to end on the devnode: a pool drains under traffic, the default rules fire, a webhook receives it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from daemon import keys
from daemon.alerts import repo
from daemon.alerts.context import alerts_state, evaluate_once
from daemon.alerts.settings import DEFAULT_RULES, AlertsSettings
from daemon.app import create_app
from tests.alerts.conftest import FakeClock, SinkFactory, until
from tests.conftest import make_settings
from tests.energy.conftest import node_of, scraper_of


async def outbox_idle(client: Any) -> None:
    """Wait until no notification waits in the outbox."""
    for _ in range(500):
        async with client.app[keys.runtime].pool.acquire() as conn:
            if await repo.queue_depth(conn) == 0:
                return
        await asyncio.sleep(0.02)
    raise AssertionError("the outbox did not drain")


async def test_a_draining_pool_pages_through_the_default_rules(
    aiohttp_client: Any, database_url: str, tmp_path: Path, sink: SinkFactory
) -> None:
    s = await sink()
    tron = {
        "network": "devnode",
        "devnode_speed": 0,
        "devnode_traffic_per_hour": 0,
        "health_interval": 0.05,
        "requests_per_second": 5000,
    }
    receivers = [{"type": "webhook", "name": "hook", "url": s.url, "allow_private": True}]
    alerts = AlertsSettings.model_validate(
        {
            "rule_files": [DEFAULT_RULES],
            "receivers": receivers,
            "default_receivers": ["hook"],
            "sender_idle": 0.05,
        }
    )
    cfg = make_settings(
        database_url, tmp_path, tron=tron, energy={"scrape_interval": 3600, "chain_params_interval": 3600}
    ).model_copy(update={"alerts": alerts})
    app = create_app(cfg, database_url=database_url, registry=CollectorRegistry())
    clock = FakeClock()
    app[alerts_state].clock = clock
    client = await aiohttp_client(app)
    for _ in range(200):
        if scraper_of(client) is not None:
            break
        await asyncio.sleep(0.02)
    node, scraper = node_of(client), scraper_of(client)
    assert scraper is not None
    await scraper.cycle()
    assert await evaluate_once(client.app) == 0  # a healthy start pages nobody
    node.start_traffic("pool-gamma", 60)  # the small pool: ≈600k energy a day against 3.9M an hour
    for _ in range(8):
        node.advance(900)
        await scraper.cycle()
        for _ in range(3):  # three evaluations 60 s apart: past every rule's `for`
            clock.advance(60)
            await evaluate_once(client.app)
            # Deliver before the clock jumps again: a jump past the claim lease re-sends (at-least-once).
            await outbox_idle(client)
        if any(a["labels"].get("pool") == "pool-gamma" for doc in s.received for a in doc["alerts"]):
            break
    await until(lambda: any(a["labels"].get("pool") == "pool-gamma" for d in s.received for a in d["alerts"]))
    alerts = [a for d in s.received for a in d["alerts"] if a["labels"].get("pool") == "pool-gamma"]
    # Drained past 98 % within a quarter hour: the emergency pages, and mutes this pool's warning/critical.
    assert [a["labels"]["alertname"] for a in alerts] == ["PoolEnergyUsageEmergency"]
    assert alerts[0]["status"] == "firing" and alerts[0]["labels"]["severity"] == "emergency"
    assert alerts[0]["annotations"]["summary"].startswith("Pool pool-gamma at 100.0%: ")
    assert all(a["labels"].get("pool") != "pool-alpha" for d in s.received for a in d["alerts"])
