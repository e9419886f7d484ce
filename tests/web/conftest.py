"""An app on the in-process devnode with its scraper leading, plus a way to drain every pool for real."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client import CollectorRegistry

from daemon.app import create_app
from tests.conftest import make_settings
from tests.energy.conftest import node_of, scraper_of

AppFactory = Callable[..., Awaitable[TestClient[Any, Any]]]
POOLS = ("pool-alpha", "pool-beta", "pool-gamma")


@pytest.fixture
def status_app(aiohttp_client: Any, database_url: str, tmp_path: Path) -> AppFactory:
    """Build an app on a frozen-clock devnode with these config sections; returns once the scraper leads."""

    async def build(**sections: Any) -> TestClient[Any, Any]:
        tron = {
            "network": "devnode",
            "devnode_speed": 0,
            "devnode_traffic_per_hour": 0,
            "health_interval": 0.05,
            "requests_per_second": 5000,
        }
        energy = {"scrape_interval": 3600, "chain_params_interval": 3600, **sections.pop("energy", {})}
        cfg = make_settings(database_url, tmp_path, tron=tron, energy=energy, **sections)
        client: TestClient[Any, Any] = await aiohttp_client(
            create_app(cfg, database_url=database_url, registry=CollectorRegistry())
        )
        for _ in range(200):
            if scraper_of(client) is not None and node_of(client) is not None:
                await scraper_of(client).cycle()  # type: ignore[union-attr]
                return client
            await asyncio.sleep(0.02)
        raise AssertionError("the energy scraper never started")

    return build


async def drain_pools(client: TestClient[Any, Any]) -> None:
    """Empty-address USDT traffic on every pool for 15 chain minutes: none can fund a transfer after it."""
    node, scraper = node_of(client), scraper_of(client)
    for pool in POOLS:
        node.start_traffic(pool, 600, new_ratio=1.0)
    node.advance(900)
    for pool in POOLS:
        node.stop_traffic(pool)
    await scraper.cycle()  # type: ignore[union-attr]
