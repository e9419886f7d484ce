"""Apps on the in-process devnode (frozen chain clock) with the forecast and cost jobs driven by hand."""

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
from daemon.withdrawals.settings import WithdrawalSettings
from tests.conftest import make_settings

AppFactory = Callable[..., Awaitable[TestClient[Any, Any]]]
QUIET = {"dispatch_interval": 3600, "watcher_interval": 3600, "demo_executor": False, "settle_seconds": 0}


@pytest.fixture
def auto_app(aiohttp_client: Any, database_url: str, tmp_path: Path) -> AppFactory:
    """Build an app on the devnode; jobs wait an hour between runs so the test drives them."""

    async def build(**withdrawals: Any) -> TestClient[Any, Any]:
        cfg = make_settings(
            database_url,
            tmp_path,
            tron={
                "network": "devnode",
                "devnode_speed": 0,
                "devnode_traffic_per_hour": 0,
                "health_interval": 0.05,
                "requests_per_second": 5000,
            },
            energy={"scrape_interval": 3600, "chain_params_interval": 3600, "history_interval": 0.001},
            forecast={"interval": 3600},
            costs={"interval": 3600, "retry_seconds": 1},
        )
        cfg = cfg.model_copy(update={"withdrawals": WithdrawalSettings(**{**QUIET, **withdrawals})})
        client: TestClient[Any, Any] = await aiohttp_client(
            create_app(cfg, database_url=database_url, registry=CollectorRegistry())
        )
        for _ in range(250):
            energy = client.app[app_keys.runtime].energy
            if energy.scraper is not None and energy.holder.current.pools:
                return client
            await asyncio.sleep(0.02)
        raise AssertionError("the energy scraper never started")

    return build
