"""Signing paths: an outside executor signs the node-built transaction; the built-in signer's key from env."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from tronpy import AsyncTron
from tronpy.async_tron import AsyncTransaction
from tronpy.providers.async_http import AsyncHTTPProvider

from daemon import keys as app_keys
from daemon.alerts.context import evaluate_once
from daemon.app import create_app
from daemon.autopilot.settings import ReserveAccount
from daemon.autopilot.signer import SignerKeyError, load_key
from tests.autopilot.conftest import KEY_ENV, RESERVE, RESERVE_KEY, PilotFactory
from tests.conftest import Keys, bearer, make_settings
from tests.energy.conftest import metric


async def test_an_executor_signs_the_node_built_transaction(pilot: PilotFactory, keys: Keys) -> None:
    p = await pilot(mode="act", signer="executor")
    await p.cycle()
    (action,) = await p.actions()
    assert action["state"] == "signing" and action["signer"] == "executor"
    assert await p.delegated("pool-gamma") == 0  # tronwatch holds no key: nothing is sent yet
    admin, _ = await keys.admin()
    h = bearer(admin)
    claimed = await (await p.client.post("/api/v1/admin/autopilot/actions/claim", json={}, headers=h)).json()
    (item,) = claimed["actions"]
    assert item["id"] == action["id"] and item["transaction"]["txID"] == action["txid"]
    again = await (await p.client.post("/api/v1/admin/autopilot/actions/claim", json={}, headers=h)).json()
    assert again["actions"] == []  # claimed: a second executor does not sign it too

    async with AsyncTron(provider=AsyncHTTPProvider(p.node.url)) as tron:
        txn = await AsyncTransaction.from_json(item["transaction"], client=tron)
        ret = await txn.sign(RESERVE_KEY).broadcast()
    wrong = await p.client.post(
        f"/api/v1/admin/autopilot/actions/{item['id']}/complete", json={"txid": "ab" * 32}, headers=h
    )
    assert wrong.status == 422 and (await wrong.json())["errors"][0]["field"] == "txid"
    done = await p.client.post(
        f"/api/v1/admin/autopilot/actions/{item['id']}/complete", json={"txid": ret["txid"]}, headers=h
    )
    assert done.status == 200 and (await done.json())["state"] == "broadcast"
    p.node.advance(3)
    await p.cycle()
    (after,) = await p.actions()
    assert after["state"] == "confirmed"
    assert await p.delegated("pool-gamma") == action["amount_sun"]
    got = await metric(p.client, "tronwatch_autopilot_actions_total", source="rebalance", outcome="confirmed")
    assert got == 1


async def test_the_builtin_signer_takes_its_key_from_env_and_never_logs_it(
    pilot: PilotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    p = await pilot(mode="act", signer="builtin")
    await p.cycle()
    await p.cycle()
    (action,) = await p.actions("confirmed")
    assert action["signer"] == "builtin" and await p.delegated("pool-gamma") == action["amount_sun"]
    secret = RESERVE_KEY.hex()
    assert secret not in caplog.text
    async with p.client.app[app_keys.runtime].pool.acquire() as conn:
        dump = await conn.fetchval("SELECT string_agg(t::text, ' ') FROM autopilot_actions t")
    assert secret not in dump


def test_a_missing_or_foreign_key_is_refused_without_printing_it(tmp_path: Path) -> None:
    reserve = ReserveAccount(address=RESERVE, signer="builtin", key_env=KEY_ENV)
    with pytest.raises(SignerKeyError, match=f"{KEY_ENV} is not set"):
        load_key(reserve, {})
    other = "11" * 32
    with pytest.raises(SignerKeyError, match="another address") as err:
        load_key(reserve, {KEY_ENV: other})
    assert other not in str(err.value)
    key_file = tmp_path / "reserve.key"
    key_file.write_text(RESERVE_KEY.hex() + "\n")
    assert (
        load_key(ReserveAccount(address=RESERVE, signer="builtin", key_file=key_file)).hex()
        == RESERVE_KEY.hex()
    )
    with pytest.raises(ValueError, match="key_env or key_file"):
        ReserveAccount(address=RESERVE, signer="builtin")


async def test_budget_exhausted_leaves_the_pool_to_the_queue_and_alerts(
    pilot: PilotFactory, keys: Keys
) -> None:
    p = await pilot(mode="act", daily_delegate_energy=0)
    await p.cycle()
    assert await p.actions() == [] and await p.delegated("pool-gamma") == 0
    assert await metric(p.client, "tronwatch_autopilot_budget_remaining", kind="delegate_energy") == 0
    await evaluate_once(p.client.app)
    admin, _ = await keys.admin()
    body = await (await p.client.get("/api/v1/admin/alerts", headers=bearer(admin))).json()
    firing = [a for a in body["alerts"] if a["alertname"] == "AutopilotBudgetExhausted"]
    assert [a["state"] for a in firing] == ["firing"]
    assert "left to the" in firing[0]["annotations"]["summary"]
    overview = await (await p.client.get("/api/v1/admin/autopilot", headers=bearer(admin))).json()
    assert any("budget used up" in u for u in overview["uncovered"])


async def test_a_bad_reserve_key_stops_the_start(
    aiohttp_client: Any, database_url: str, tmp_path: Path
) -> None:
    cfg = make_settings(
        database_url,
        tmp_path,
        tron={"network": "devnode", "devnode_speed": 0, "devnode_traffic_per_hour": 0},
        autopilot={
            "reserves": [{"address": RESERVE, "signer": "builtin", "key_env": "TW_UNSET_RESERVE_KEY"}]
        },
    )
    with pytest.raises(SignerKeyError, match="TW_UNSET_RESERVE_KEY"):
        await aiohttp_client(create_app(cfg, database_url=database_url, registry=CollectorRegistry()))
