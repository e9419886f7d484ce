"""tronwatch on a java-tron-style node: /wallet on one port, /walletsolidity on another (solidity_url)."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from daemon import keys as app_keys
from daemon.devnode.app import Devnode
from daemon.energy.runtime import energy_runtime
from daemon.tron.addresses import b58
from daemon.withdrawals import watcher
from daemon.withdrawals.deps import withdrawal_deps
from daemon.withdrawals.settings import WithdrawalSettings
from tests.conftest import Keys, bearer, make_settings
from tests.withdrawals.chain import pay_trx, solidify
from tests.withdrawals.conftest import QUIET, body, wire

EMERGENCY = "/api/v1/energy/emergency-withdrawal"
ADMIN = "/api/v1/admin/energy/status"
HOT = {"name": "gateway-hot", "seed": "tronwatch-test-self-hosted-hot", "trx": 1000, "usdt": 1_000_000}


@pytest.fixture
async def split_node() -> AsyncIterator[Devnode]:
    """A devnode laid out as java-tron: /wallet/* on one port, /walletsolidity/* on a second."""
    async with Devnode.start(speed=0, split_solidity=True) as node:
        yield node


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _app(
    aiohttp_client: Any, database_url: str, tmp_path: Path, node: Devnode, solidity_url: str | None
) -> TestClient[Any, Any]:
    """tronwatch with the node's URL as tron.network (not the in-process devnode), pools from the config."""
    hot = b58(node.add_account(HOT).address)
    pools = [{"name": n, "wallet_address": b58(node.account(n).address)} for n in ("pool-alpha", "pool-beta")]
    tron: dict[str, Any] = {"network": node.url, "health_interval": 0.05, "requests_per_second": 5000}
    if solidity_url is not None:
        tron["solidity_url"] = solidity_url
    cfg = make_settings(
        database_url,
        tmp_path,
        tron=tron,
        energy={"scrape_interval": 3600, "chain_params_interval": 3600, "pools": pools},
    )
    client: TestClient[Any, Any] = await aiohttp_client(
        wire(cfg, database_url, WithdrawalSettings(**{**QUIET, "pay_to": hot}))
    )
    for _ in range(250):
        energy = client.app[energy_runtime]
        if energy.scraper is not None and energy.holder.current.pools:
            return client
        await asyncio.sleep(0.02)
    raise AssertionError("the energy scraper never started")


async def _readyz(client: TestClient[Any, Any], status: int) -> dict[str, Any]:
    for _ in range(200):
        resp = await client.get("/readyz")
        got: dict[str, Any] = await resp.json()
        if resp.status == status and "not checked yet" not in str(got):
            return got
        await asyncio.sleep(0.05)
    raise AssertionError(f"/readyz never answered {status}: {got}")


async def _paid_quote(client: TestClient[Any, Any], node: Devnode, key: str) -> tuple[dict[str, Any], str]:
    """A quote, and the user's TRX payment for it, mined and solidified."""
    resp = await client.post(EMERGENCY, json=body("w-self"), headers=bearer(key))
    assert resp.status == 201, await resp.text()
    quote: dict[str, Any] = await resp.json()
    fee_sun = quote["pay_amount_sun"]  # the exact amount that identifies this quote
    tx = await pay_trx(node, "user-carol", quote["pay_to"], fee_sun)
    solidify(node)
    return quote, tx


def _solidity_log(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("tron solidity endpoint")]


async def test_a_split_node_with_solidity_url_scrapes_energy_and_verifies_a_payment(
    aiohttp_client: Any,
    database_url: str,
    tmp_path: Path,
    split_node: Devnode,
    keys: Keys,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="daemon.tron.health")
    node = split_node
    assert node.solidity_url != node.url
    client = await _app(aiohttp_client, database_url, tmp_path, node, node.solidity_url)
    ready = await _readyz(client, 200)
    port = node.solidity_url.rstrip("/").rsplit(":", 1)[1]
    [line] = _solidity_log(caplog)  # one line at start, naming the endpoint and where it came from
    assert f"http://127.0.0.1:{port} (configured tron.solidity_url) answering solid_block=" in line
    check = ready["checks"]["tron_solidity"]
    assert check["ok"] and f"solidity endpoint http://127.0.0.1:{port}: solid block" in check["detail"]
    # Energy scrape: the pools' figures come from the full-node port.
    admin, _ = await keys.admin()
    await client.app[energy_runtime].scraper.cycle()
    pools = {p["name"]: p for p in (await (await client.get(ADMIN, headers=bearer(admin))).json())["pools"]}
    assert pools["pool-alpha"]["energy_limit"] > 0 and pools["pool-alpha"]["status"] != "unreachable"
    assert pools["pool-beta"]["energy_used"] > 0
    # A payment is verified on the solidity port: paid at once, the payer read from the solid transaction.
    key, _ = await keys.partner("acme")
    quote, tx = await _paid_quote(client, node, key)
    resp = await client.post(f"{EMERGENCY}/{quote['id']}/payment", json={"tx_hash": tx}, headers=bearer(key))
    got = await resp.json()
    assert resp.status == 200 and got["status"] == "paid", got
    assert got["payer"] == b58(node.account("user-carol").address)
    registry = client.app[app_keys.metrics].registry
    labels = {"method": "walletsolidity/gettransactionbyid", "outcome": "ok"}
    assert (registry.get_sample_value("tronwatch_tron_requests_total", labels) or 0) >= 1


@pytest.mark.parametrize("solidity", ["unset", "refused"])
async def test_without_a_working_solidity_url_readyz_says_so_and_a_payment_stays_pending(
    aiohttp_client: Any,
    database_url: str,
    tmp_path: Path,
    split_node: Devnode,
    keys: Keys,
    solidity: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    node = split_node
    # unset: the node URL itself, whose port answers 404 for /walletsolidity; refused: nothing listens.
    url = None if solidity == "unset" else f"http://127.0.0.1:{_free_port()}/"
    client = await _app(aiohttp_client, database_url, tmp_path, node, url)
    deps = client.app[withdrawal_deps]
    ready = await _readyz(client, 503)
    assert ready["checks"]["tron"]["ok"], ready["checks"]["tron"]  # the full node itself is fine
    check = ready["checks"]["tron_solidity"]
    assert not check["ok"] and "failing" in check["detail"] and "tron.solidity_url" in check["detail"]
    if solidity == "unset":
        assert "HTTP 404" in check["detail"]
    [line] = _solidity_log(caplog)  # one warning, not one per health check
    assert "payments stay pending" in line and "set tron.solidity_url" in line
    key, _ = await keys.partner("acme")
    quote, tx = await _paid_quote(client, node, key)
    resp = await client.post(f"{EMERGENCY}/{quote['id']}/payment", json={"tx_hash": tx}, headers=bearer(key))
    got = await resp.json()
    assert resp.status == 202 and got["status"] == "verifying", got  # not verified yet, not rejected
    await watcher.cycle(deps)
    got = await (await client.get(f"{EMERGENCY}/{quote['id']}", headers=bearer(key))).json()
    assert got["status"] == "verifying", got


async def test_a_payment_the_solidity_endpoint_refuses_to_look_up_is_verified_once_it_answers(
    aiohttp_client: Any, database_url: str, tmp_path: Path, split_node: Devnode, keys: Keys
) -> None:
    node = split_node
    client = await _app(aiohttp_client, database_url, tmp_path, node, node.solidity_url)
    deps = client.app[withdrawal_deps]
    key, _ = await keys.partner("acme")
    quote, tx = await _paid_quote(client, node, key)
    # java-tron's rate limiter answers HTTP 200 {"Error": "... lack of computing resources"}.
    node.set_fault("/walletsolidity/gettransactionbyid", error_rate=1.0, error_status=200)
    resp = await client.post(f"{EMERGENCY}/{quote['id']}/payment", json={"tx_hash": tx}, headers=bearer(key))
    got = await resp.json()
    assert resp.status == 202 and got["status"] == "verifying", got
    node.clear_faults()
    await watcher.cycle(deps)
    got = await (await client.get(f"{EMERGENCY}/{quote['id']}", headers=bearer(key))).json()
    assert got["status"] == "paid" and got["payer"] == b58(node.account("user-carol").address), got
