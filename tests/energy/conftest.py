"""An app on the in-process devnode (chain clock frozen: tests move it), with its scraper leading."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client import CollectorRegistry

from daemon import keys as app_keys
from daemon.app import create_app
from daemon.energy.runtime import energy_runtime
from daemon.energy.scraper import Scraper
from tests.conftest import make_settings

AppFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest.fixture
def energy_app(aiohttp_client: Any, database_url: str, tmp_path: Path) -> AppFactory:
    """Build an app on the devnode with these energy settings; returns once the scraper leads."""

    async def build(**energy: Any) -> TestClient[Any, Any]:
        tron = {
            "network": "devnode",
            "devnode_speed": 0,
            "devnode_traffic_per_hour": 0,
            "health_interval": 0.05,
            "requests_per_second": 5000,  # the default 10/s cap would make chain-time replays slow
        }
        cfg = make_settings(
            database_url,
            tmp_path,
            tron=tron,
            energy={"scrape_interval": 3600, "chain_params_interval": 3600, **energy},
        )
        client: TestClient[Any, Any] = await aiohttp_client(
            create_app(cfg, database_url=database_url, registry=CollectorRegistry())
        )
        for _ in range(200):
            if scraper_of(client) is not None and client.app[energy_runtime].holder.current.pools:
                return client
            await asyncio.sleep(0.02)
        raise AssertionError("the energy scraper never started")

    return build


def scraper_of(client: TestClient[Any, Any]) -> Scraper | None:
    """The scraper of this app while it leads."""
    energy = client.app[energy_runtime]
    return energy.scraper if energy is not None else None


def node_of(client: TestClient[Any, Any]) -> Any:
    """The in-process devnode."""
    return client.app[app_keys.runtime].devnode


async def metric(client: TestClient[Any, Any], name: str, **labels: str) -> float | None:
    """One sample's value from GET /metrics, or None when absent."""
    from prometheus_client.parser import text_string_to_metric_families

    body = await (await client.get("/metrics")).text()
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return None
