"""Apps on the frozen devnode: the autopilot with a reserve account; the forecast and cost jobs by hand."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client import CollectorRegistry
from tronpy.keys import PrivateKey

from daemon import keys as app_keys
from daemon.app import create_app
from daemon.autopilot.policy_context import autopilot_state, run_once
from daemon.energy.runtime import energy_runtime
from daemon.tron.addresses import key_from_seed
from daemon.withdrawals.settings import WithdrawalSettings
from tests.conftest import make_settings
from tests.energy.conftest import node_of, scraper_of

RESERVE_SEED = "autopilot-test-reserve"
RESERVE_KEY = PrivateKey(key_from_seed(RESERVE_SEED))
RESERVE = str(RESERVE_KEY.public_key.to_base58check_address())
KEY_ENV = "TW_TEST_RESERVE_KEY"


@dataclass
class Pilot:
    """The app under test and handles on its chain, scraper and autopilot."""

    client: TestClient[Any, Any]

    @property
    def node(self) -> Any:
        return node_of(self.client)

    @property
    def state(self) -> Any:
        return self.client.app[autopilot_state]

    async def cycle(self, blocks: int = 1) -> Any:
        """Scrape, then one autopilot cycle, then let the chain make `blocks` blocks."""
        scraper = scraper_of(self.client)
        assert scraper is not None
        await scraper.cycle()
        got = await run_once(self.client.app)
        self.node.advance(3 * blocks)
        return got

    async def delegated(self, to: str) -> int:
        """Sun the reserve delegates to the named account, as the chain reports it."""
        tron = self.client.app[app_keys.runtime].tron
        records = await tron.get_delegated_resource(RESERVE, self.address(to))
        return sum(int(r.get("frozen_balance_for_energy", 0)) for r in records)

    def address(self, name: str) -> str:
        from daemon.tron.addresses import b58

        return b58(self.node.account(name).address)

    async def actions(self, state: str | None = None) -> list[Any]:
        async with self.client.app[app_keys.runtime].pool.acquire() as conn:
            rows = await conn.fetch("SELECT * FROM autopilot_actions ORDER BY id")
        return [r for r in rows if state is None or r["state"] == state]


PilotFactory = Callable[..., Awaitable[Pilot]]


@pytest.fixture
def pilot(
    aiohttp_client: Any, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> PilotFactory:
    """Build the app with these autopilot settings; the reserve (300k TRX staked) exists on chain."""

    async def build(signer: str = "builtin", stake_trx: int = 300_000, **autopilot: Any) -> Pilot:
        monkeypatch.setenv(KEY_ENV, RESERVE_KEY.hex())
        tron = {
            "network": "devnode",
            "devnode_speed": 0,
            "devnode_traffic_per_hour": 0,
            "health_interval": 0.05,
            "requests_per_second": 5000,
        }
        reserve = {"address": RESERVE, "signer": signer}
        if signer == "builtin":
            reserve["key_env"] = KEY_ENV
        cfg = make_settings(
            database_url,
            tmp_path,
            tron=tron,
            energy={"scrape_interval": 3600, "chain_params_interval": 3600},
            autopilot={"interval": 3600, "cooldown_seconds": 0, "reserves": [reserve], **autopilot},
        )
        client: TestClient[Any, Any] = await aiohttp_client(
            create_app(cfg, database_url=database_url, registry=CollectorRegistry())
        )
        for _ in range(200):
            if scraper_of(client) is not None and client.app[energy_runtime].holder.current.pools:
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the energy scraper never started")
        acc = node_of(client).add_account(
            {"name": "reserve", "seed": RESERVE_SEED, "trx": 1000, "staked_energy_trx": stake_trx}
        )
        from daemon.tron.addresses import b58

        assert b58(acc.address) == RESERVE
        return Pilot(client)

    return build


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
            energy = client.app[energy_runtime]
            if energy.scraper is not None and energy.holder.current.pools:
                return client
            await asyncio.sleep(0.02)
        raise AssertionError("the energy scraper never started")

    return build
