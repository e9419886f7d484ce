"""tron.usdt_contract reaches the client (devnode-backed app); a contract missing on chain is warned once."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client import CollectorRegistry

from daemon import keys as app_keys
from daemon.app import create_app
from daemon.devnode import USDT_BASE58
from daemon.energy.quote import quote_usdt_transfer
from daemon.tron.options import USDT_CONTRACTS
from tests.conftest import make_settings

ALPHA = "TYWxU5pTXmfQNnV795SxTYQnGPQr3nctWe"  # devnode demo pool
ALICE = "TKKwBf2YL9sH2GppotCWkXy6jmKFRM4ncZ"  # holds USDT on the devnode
NILE_USDT = USDT_CONTRACTS["nile"]  # a valid address with no contract on the devnode
MISSING = "does not exist on this chain"


async def _app(aiohttp_client: Any, database_url: str, tmp_path: Path, **tron: Any) -> TestClient[Any, Any]:
    cfg = make_settings(
        database_url,
        tmp_path,
        tron={
            "network": "devnode",
            "devnode_speed": 0,
            "devnode_traffic_per_hour": 0,
            "health_interval": 0.02,
            **tron,
        },
    )
    client: TestClient[Any, Any] = await aiohttp_client(
        create_app(cfg, database_url=database_url, registry=CollectorRegistry())
    )
    return client


async def _checked(client: TestClient[Any, Any]) -> bool:
    """Wait until the watcher has asked getcontract; then let it run a few more rounds."""
    health = client.app[app_keys.runtime].chain_health
    assert health is not None
    for _ in range(250):
        if health.usdt_contract_found is not None:
            await asyncio.sleep(0.1)  # ≈5 more health rounds: the warning must not repeat
            return health.usdt_contract_found
        await asyncio.sleep(0.02)
    raise AssertionError("the USDT contract was never checked")


async def test_configured_usdt_contract_is_the_one_quoted_and_a_missing_one_is_warned_once(
    aiohttp_client: Any, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="daemon")
    client = await _app(aiohttp_client, database_url, tmp_path, usdt_contract=NILE_USDT)
    tron = client.app[app_keys.runtime].tron
    assert tron is not None and tron.options.usdt == NILE_USDT
    assert await _checked(client) is False
    warned = [r.getMessage() for r in caplog.records if MISSING in r.getMessage()]
    assert len(warned) == 1 and NILE_USDT in warned[0] and "tron.usdt_contract" in warned[0]
    assert any(
        f"usdt_contract={NILE_USDT} (configured tron.usdt_contract)" in r.getMessage() for r in caplog.records
    )
    # The devnode's USDT lives at the mainnet address only: estimating against the configured one fails.
    quote = await quote_usdt_transfer(tron, owner=ALPHA, to=ALICE)
    assert quote.energy_source == "fallback" and quote.energy == 130_285


async def test_without_a_configured_contract_the_devnode_uses_its_mainnet_address_usdt(
    aiohttp_client: Any, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="daemon")
    client = await _app(aiohttp_client, database_url, tmp_path)
    tron = client.app[app_keys.runtime].tron
    assert tron is not None and tron.options.usdt == USDT_BASE58
    assert await _checked(client) is True
    started = [r.getMessage() for r in caplog.records if "usdt_contract=" in r.getMessage()]
    assert len(started) == 1 and f"usdt_contract={USDT_BASE58} (the devnode's USDT" in started[0]
    assert not [r for r in caplog.records if MISSING in r.getMessage()]
    quote = await quote_usdt_transfer(tron, owner=ALPHA, to=ALICE)
    assert quote.energy_source == "estimate" and 0 < quote.energy < 130_285
