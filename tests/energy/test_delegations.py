"""Pools holding delegated energy and delegating out: metrics, admin status, pool.* and reclaims."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient
from tronpy import AsyncTron
from tronpy.keys import PrivateKey
from tronpy.providers.async_http import AsyncHTTPProvider

from daemon import keys as app_keys
from daemon.energy import pools_repo as repo
from daemon.energy.alert_namespaces import pool_values
from daemon.energy.delegations_repo import DelegationSaver
from daemon.energy.follower import load_snapshot
from daemon.energy.scraper import state_row
from daemon.energy.snapshot import EnergySnapshot, PoolView
from tests.conftest import Keys, bearer
from tests.energy.conftest import AppFactory, metric, node_of, scraper_of

TRX = 1_000_000
USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


class Chain:
    """tronpy on the app's devnode, signing with the demo keys."""

    def __init__(self, client: TestClient[Any, Any], tron: AsyncTron) -> None:
        self.node, self.tron = node_of(client), tron

    def key(self, name: str) -> PrivateKey:
        return PrivateKey(bytes.fromhex(self.node.private_key_hex(name)))

    def address(self, name: str) -> str:
        return str(self.key(name).public_key.to_base58check_address())

    async def send(self, name: str, builder: Any) -> None:
        await (await builder.build()).sign(self.key(name)).broadcast()
        self.node.advance(3)

    async def delegate(self, frm: str, to: str, trx: int, lock_blocks: int | None = None) -> None:
        tx = self.tron.trx.delegate_resource(
            self.address(frm), self.address(to), trx * TRX, "ENERGY", lock_blocks is not None, lock_blocks
        )
        await self.send(frm, tx)

    async def undelegate(self, frm: str, to: str, trx: int) -> None:
        tx = self.tron.trx.undelegate_resource(self.address(frm), self.address(to), trx * TRX, "ENERGY")
        await self.send(frm, tx)


@pytest.fixture
async def app(energy_app: AppFactory) -> AsyncIterator[tuple[TestClient[Any, Any], Chain]]:
    client = await energy_app()
    scraper = scraper_of(client)
    assert scraper is not None
    for _ in range(500):  # the app's own first cycle done: the test's cycles then run alone
        if scraper.serial >= 1:
            break
        await asyncio.sleep(0.02)
    node_of(client).add_account(
        {"name": "renter", "seed": "rental-provider", "trx": 100, "staked_energy_trx": 300_000}
    )
    async with AsyncTron(provider=AsyncHTTPProvider(node_of(client).url)) as tron:
        yield client, Chain(client, tron)


def pool(snap: EnergySnapshot, name: str) -> PoolView:
    return next(p for p in snap.pools if p.name == name)


async def index_reads(client: TestClient[Any, Any]) -> float:
    """How often the scraper asked for a delegation index."""
    got = await metric(
        client, "tronwatch_tron_requests_total", method="getdelegatedresourceaccountindexv2", outcome="ok"
    )
    return got or 0.0


async def test_acquired_and_delegated_out_energy_show_in_metrics_api_and_rules(
    app: tuple[TestClient[Any, Any], Chain], keys: Keys
) -> None:
    client, chain = app
    scraper = scraper_of(client)
    assert scraper is not None
    before = pool(await scraper.cycle(), "pool-gamma")
    head_ms = chain.node.chain.head.timestamp
    await chain.delegate("renter", "pool-gamma", 100_000, lock_blocks=1200)  # locked for an hour
    await chain.delegate("pool-alpha", "user-alice", 50_000)
    snap = await scraper.cycle()
    gamma, alpha = pool(snap, "pool-gamma"), pool(snap, "pool-alpha")
    res = await chain.tron.get_account_resource(chain.address("pool-gamma"))
    acquired = int(100_000 * (res["TotalEnergyLimit"] / res["TotalEnergyWeight"]))
    assert gamma.acquired_energy == acquired and gamma.energy_limit == res["EnergyLimit"]
    assert gamma.energy_limit > before.energy_limit + 0.9 * acquired
    assert alpha.delegated_out_energy == int(50_000 * (res["TotalEnergyLimit"] / res["TotalEnergyWeight"]))

    assert await metric(client, "tronwatch_pool_energy_acquired", pool="pool-gamma") == acquired
    assert (
        await metric(client, "tronwatch_pool_energy_delegated_out", pool="pool-alpha")
        == alpha.delegated_out_energy
    )
    assert await metric(client, "tronwatch_pool_energy_acquired", pool="pool-beta") == 0
    expiry = await metric(
        client,
        "tronwatch_pool_delegation_expiry_timestamp_seconds",
        pool="pool-gamma",
        **{"from": chain.address("renter")},
    )
    assert expiry == (head_ms + 1200 * 3000) / 1000

    admin, _ = await keys.admin()
    body = await (await client.get("/api/v1/admin/energy/status", headers=bearer(admin))).json()
    shown = {p["name"]: p for p in body["pools"]}
    assert shown["pool-gamma"]["acquired_energy"] == acquired
    (record,) = shown["pool-gamma"]["delegations"]
    assert record["direction"] == "in" and record["counterpart"] == chain.address("renter")
    assert record["amount_trx"] in ("100000", 100000) and record["energy"] == acquired and record["locked"]
    assert datetime.fromisoformat(record["expires_at"]).timestamp() == expiry
    assert shown["pool-gamma"]["delegation_expires_at"] == record["expires_at"]
    (out,) = shown["pool-alpha"]["delegations"]
    assert out["direction"] == "out" and out["counterpart"] == chain.address("user-alice")
    assert out["locked"] is False and out["expires_at"] is None
    assert shown["pool-beta"]["delegations"] == [] and shown["pool-beta"]["delegation_expires_at"] is None

    # pool.* for the default rule: the lock ends an hour after the delegation, in chain time.
    left = pool_values(gamma, time.time())["delegation_expires_in_seconds"]
    assert gamma.chain_time is not None
    assert left is not None and abs(left - (expiry - gamma.chain_time.timestamp())) < 5
    assert 3500 < left < 3600


async def test_delegations_are_read_only_when_balances_show_any(
    app: tuple[TestClient[Any, Any], Chain],
) -> None:
    client, chain = app
    scraper = scraper_of(client)
    assert scraper is not None
    for _ in range(3):
        await scraper.cycle()
    assert await index_reads(client) == 0  # no pool has delegated balances: no extra round trips
    await chain.delegate("renter", "pool-beta", 10_000)
    await scraper.cycle()
    assert await index_reads(client) == 1
    await scraper.cycle()
    await scraper.cycle()
    assert await index_reads(client) == 1  # unchanged balances: records re-read every delegation_interval
    await chain.delegate("renter", "pool-beta", 5_000)
    snap = await scraper.cycle()
    assert await index_reads(client) == 2
    (record,) = pool(snap, "pool-beta").delegations
    assert record.amount_sun == 15_000 * TRX


async def test_a_reclaim_by_the_pool_is_not_consumption_and_one_from_it_alerts(
    app: tuple[TestClient[Any, Any], Chain],
) -> None:
    client, chain = app
    scraper = scraper_of(client)
    assert scraper is not None
    node = chain.node
    await chain.delegate("pool-alpha", "user-alice", 100_000)
    await chain.delegate("renter", "pool-gamma", 100_000)
    await scraper.cycle()
    usdt = await chain.tron.get_contract(USDT)
    for _ in range(5):  # alice spends ≈321k of the energy alpha lent her
        pay = (await usdt.functions.transfer(chain.address("pool-beta"), 1)).with_owner(
            chain.address("user-alice")
        )
        await chain.send("user-alice", pay.fee_limit(30 * TRX))
    node.advance(600)
    used_before = pool(await scraper.cycle(), "pool-alpha").energy_used
    await chain.undelegate("pool-alpha", "user-alice", 100_000)
    await chain.undelegate("renter", "pool-gamma", 100_000)
    snap = await scraper.cycle()
    alpha, gamma = pool(snap, "pool-alpha"), pool(snap, "pool-gamma")
    assert alpha.energy_used > used_before + 300_000  # alice's usage moved onto alpha
    node.advance(900)
    snap = await scraper.cycle()
    alpha = pool(snap, "pool-alpha")
    # Nothing was spent from alpha: only the decay's rounding shows, as for an idle pool.
    assert alpha.daily_consumption is not None and alpha.daily_consumption < 1_000
    assert alpha.reclaimed_energy_1h == 0
    gamma = pool(snap, "pool-gamma")
    assert gamma.acquired_energy == 0 and gamma.reclaimed_energy_1h > 900_000
    values = pool_values(gamma, time.time())
    assert values["reclaimed_energy_1h"] == gamma.reclaimed_energy_1h


async def test_a_follower_replica_serves_the_leaders_delegations(
    app: tuple[TestClient[Any, Any], Chain], database_url: str
) -> None:
    client, chain = app
    scraper = scraper_of(client)
    assert scraper is not None
    await chain.delegate("renter", "pool-gamma", 20_000, lock_blocks=600)
    snap = await scraper.cycle()
    conn = await asyncpg.connect(database_url)
    try:
        await repo.save_states(conn, [state_row(p) for p in snap.pools])
        await DelegationSaver().save(conn, snap.pools)
        settings = client.app[app_keys.settings].energy
        followed = pool(await load_snapshot(conn, settings, -1), "pool-gamma")
    finally:
        await conn.close()
    leader = pool(snap, "pool-gamma")
    assert followed.delegations == leader.delegations and len(followed.delegations) == 1
    assert followed.acquired_energy == leader.acquired_energy > 0
    assert pool_values(followed, time.time())["delegation_expires_in_seconds"] is not None
