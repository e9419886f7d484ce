"""Apps with the withdrawals package wired in, as create_app will: install, endpoints, cleanup context."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from prometheus_client import CollectorRegistry

from daemon import keys as app_keys
from daemon.app import create_app
from daemon.config import Settings
from daemon.energy.runtime import energy_runtime
from daemon.withdrawals.settings import WithdrawalSettings
from daemon.withdrawals.state import utc_now, withdrawal_state
from tests.conftest import make_settings

AppFactory = Callable[..., Awaitable[TestClient[Any, Any]]]
# Job intervals long enough that tests drive the jobs by hand (each runs once when its lease is won).
QUIET = {"dispatch_interval": 3600, "watcher_interval": 3600, "demo_executor": False, "settle_seconds": 0}
EMPTY = "TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy"  # holds no USDT on the devnode: a 130,285-energy transfer


def wire(
    settings: Settings, database_url: str, withdrawals: WithdrawalSettings, clock: Any = utc_now
) -> web.Application:
    """The app with the test's withdrawal settings and clock."""
    settings = settings.model_copy(update={"withdrawals": withdrawals})
    app = create_app(settings, database_url=database_url, registry=CollectorRegistry())
    app[withdrawal_state].clock = clock
    return app


@pytest.fixture
def wd_app(aiohttp_client: Any, database_url: str, tmp_path: Path) -> AppFactory:
    """Build an app; `devnode=True` runs the in-process devnode (frozen clock) and waits for the scraper."""

    async def build(
        *,
        devnode: bool = False,
        energy: dict[str, Any] | None = None,
        security: dict[str, Any] | None = None,
        clock: Any = utc_now,
        **withdrawals: Any,
    ) -> Any:
        tron: dict[str, Any] = {"network": "none"}
        if devnode:
            tron = {
                "network": "devnode",
                "devnode_speed": 0,
                "devnode_traffic_per_hour": 0,
                "health_interval": 0.05,
                "requests_per_second": 5000,
            }
        cfg = make_settings(
            database_url,
            tmp_path,
            tron=tron,
            energy={"scrape_interval": 3600, "chain_params_interval": 3600, **(energy or {})},
            **({"security": security} if security else {}),
        )
        client: TestClient[Any, Any] = await aiohttp_client(
            wire(cfg, database_url, WithdrawalSettings(**{**QUIET, **withdrawals}), clock)
        )
        if devnode:
            for _ in range(250):
                energy_rt = client.app[energy_runtime]
                if energy_rt.scraper is not None and energy_rt.holder.current.pools:
                    break
                await asyncio.sleep(0.02)
            else:
                raise AssertionError("the energy scraper never started")
        return client

    return build


def body(withdrawal_id: str = "w-1", user_id: str = "u-1", **over: Any) -> dict[str, Any]:
    """A valid enqueue / emergency body."""
    return {"withdrawal_id": withdrawal_id, "user_id": user_id, "to_address": EMPTY, "amount": "12.5", **over}


class Clock:
    """A settable wall clock for the app (quote expiry, claim timeouts)."""

    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> Any:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move forward."""
        from datetime import timedelta

        self.now += timedelta(seconds=seconds)


def scraper_of(client: Any) -> Any:
    """The app's energy scraper."""
    return client.app[energy_runtime].scraper


async def squeeze(client: Any, spare: int) -> None:
    """Reserve all of pool-alpha's energy but `spare` (other pools fall out entirely)."""
    scraper = scraper_of(client)
    alpha = next(p for p in scraper.holder.current.pools if p.name == "pool-alpha")
    reserve = alpha.energy_available - spare
    scraper.settings = scraper.settings.model_copy(update={"reserve_energy": reserve})
    await scraper.cycle()


async def dispatcher_started(client: Any) -> None:
    """Wait for the dispatcher's lease: its first run happens then, and must not race the test's enqueues."""
    registry = client.app[app_keys.metrics].registry
    for _ in range(250):
        if registry.get_sample_value("tronwatch_leader", {"job": "withdrawal-dispatcher"}) == 1:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.2)
