"""The devnode's answers against responses recorded from real nodes (tests/devnode/golden/, sources inside).

Each fixture names where it was recorded. A test drives the devnode into the same situation as the
recording and compares keys, value kinds (hex, base58, text, int, bool, ms timestamp) and units.
Fields a fixture lists under "not_modelled" (TRC-10 assets, internal calls) are left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from tronpy import AsyncTron
from tronpy.keys import PrivateKey

from daemon.devnode import Devnode
from daemon.devnode.usdt import USDT_ORIGIN
from daemon.tron.addresses import b58

from .conftest import USDT

GOLDEN = Path(__file__).with_name("golden")
MS_FIELDS = {"create_time", "latest_opration_time", "latest_consume_free_time", "latest_consume_time"}
MS_FIELDS |= {"latest_consume_time_for_energy", "blockTimeStamp", "expiration", "timestamp"}
BASE58 = re.compile(r"T[1-9A-HJ-NP-Za-km-z]{33}")


def golden(name: str) -> dict[str, Any]:
    """A fixture file; every one names its source (repository, path, commit or URL)."""
    doc: dict[str, Any] = json.loads((GOLDEN / name).read_text())
    assert doc["source"]["repo"] and doc["source"]["path"] and doc["source"]["what"]
    return doc


def kind(key: str, value: Any) -> Any:
    """The shape of a JSON value: nested keys, and for leaves what a client would parse them as."""
    if isinstance(value, dict):
        return {k: kind(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [kind(key, v) for v in value]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        if key in MS_FIELDS:
            assert value > 10**12, f"{key}={value} is not a millisecond time"
            return "ms"
        return "int"
    assert isinstance(value, str)
    if BASE58.fullmatch(value):
        return "base58"
    if re.fullmatch(r"(?:[0-9a-f]{2})*", value):
        if len(value) == 42 and value.startswith("41"):
            return "address-hex"
        return "hex20" if len(value) == 40 else "hex"
    return "text"


def recorded_shape(doc: dict[str, Any], response: dict[str, Any] | None = None) -> Any:
    """The fixture response's shape without the fields the devnode does not model."""
    body = dict(doc["response"] if response is None else response)
    for key in doc["not_modelled"]:
        body.pop(key, None)
    return kind("", body)


@pytest.fixture
async def http(node: Devnode) -> AsyncIterator[Any]:
    async with aiohttp.ClientSession(base_url=node.url) as session:

        async def call(path: str, body: dict[str, Any] | None = None) -> Any:
            async with session.post(path, json=body or {}) as resp:
                assert resp.status == 200
                return await resp.json()

        yield call


async def _usdt_transfer(tron: AsyncTron, node: Devnode, sender: Any, to: str) -> str:
    usdt = await tron.get_contract(USDT)
    txb = await usdt.functions.transfer(to, 1)
    txn = (await txb.with_owner(sender.address).fee_limit(30_000_000).build()).sign(sender.key)
    await txn.broadcast()
    return str(txn.txid)


async def test_an_account_that_burns_for_energy_looks_like_the_nile_getaccount(
    node: Devnode, tron: AsyncTron, wallets: Any, http: Any
) -> None:
    """docs getaccount/getaccountresource (Nile): no stake, free bandwidth used, energy paid in TRX."""
    carol, alice = wallets["user-carol"], wallets["user-alice"]
    await _usdt_transfer(tron, node, carol, alice.address)
    node.advance(3)
    hex_carol = carol.key.public_key.to_hex_address()
    doc = golden("getaccount_nile_docs.json")
    acc = await http("wallet/getaccount", {"address": hex_carol})
    assert kind("", acc) == recorded_shape(doc)
    # Same units: consume times are genesis + 3 s × slot in ms, windows ×1000 slots.
    resource = acc["account_resource"]
    assert resource["latest_consume_time_for_energy"] % 3000 == 0
    assert resource["energy_window_size"] == doc["response"]["account_resource"]["energy_window_size"]
    assert acc["net_window_size"] == doc["response"]["net_window_size"]
    res_doc = golden("getaccountresource_nile_docs.json")
    res = await http("wallet/getaccountresource", {"address": hex_carol})
    assert kind("", res) == recorded_shape(res_doc)
    assert res["freeNetUsed"] == acc["free_net_usage"] and res["freeNetLimit"] == 600


async def test_usdt_receipts_match_the_mainnet_and_nile_recordings(
    node: Devnode, tron: AsyncTron, wallets: Any, http: Any
) -> None:
    """tronpy#3's mainnet USDT receipt (visible=true) and the docs' Nile receipt with burned bandwidth."""
    doc = golden("usdt_transactioninfo_mainnet_tronpy_issue3.json")
    carol, alice = wallets["user-carol"], wallets["user-alice"]
    first = await _usdt_transfer(tron, node, carol, alice.address)  # 345 of carol's 600 free bytes
    second = await _usdt_transfer(tron, node, carol, alice.address)  # burns for its bytes
    node.advance(3)
    info = await http("wallet/gettransactioninfobyid", {"value": first, "visible": True})
    shape = kind("", info)
    # Recorded in 2020, before dynamic energy: today's USDT receipts add energy_penalty_total.
    assert shape["receipt"].pop("energy_penalty_total") == "int"
    assert shape == recorded_shape(doc)
    assert info["contractResult"] == doc["response"]["contractResult"]  # 32 zero bytes: false
    recorded = doc["response"]["receipt"]
    assert recorded["energy_fee"] == recorded["energy_usage_total"] * doc["energy_fee_then"]
    assert info["receipt"]["energy_fee"] == info["receipt"]["energy_usage_total"] * 100
    assert info["fee"] == info["receipt"]["energy_fee"]

    nile = golden("gettransactioninfobyid_nile_docs.json")
    info = await http("wallet/gettransactioninfobyid", {"value": second})
    shape = kind("", info)
    assert shape["receipt"].pop("energy_penalty_total") == "int"
    assert shape["contractResult"] == ["hex"] and shape["log"][0]["address"] == "hex20"
    assert shape == recorded_shape(nile)
    r, recorded = info["receipt"], nile["response"]
    assert info["fee"] == r["energy_fee"] + r["net_fee"]  # as 5,254,500 = 4,458,500 + 796,000
    assert recorded["fee"] == recorded["receipt"]["energy_fee"] + recorded["receipt"]["net_fee"]
    assert r["net_fee"] % 1000 == 0 and recorded["receipt"]["net_fee"] % 1000 == 0  # 1,000 sun per byte


async def test_constant_call_and_estimate_match_the_nile_recordings(
    tron: AsyncTron, wallets: Any, http: Any, node: Devnode
) -> None:
    """docs triggerconstantcontract (balanceOf: 935) and estimateenergy for that call (1,870)."""
    carol = wallets["user-carol"]
    owner = carol.key.public_key.to_hex_address()
    body = {
        "owner_address": owner,
        "contract_address": "41a614f803b6fd780986a42c78ec9c7f77e6ded13c",
        "function_selector": "balanceOf(address)",
        "parameter": "0" * 24 + owner[2:],
    }
    doc = golden("triggerconstantcontract_nile_docs.json")
    res = await http("wallet/triggerconstantcontract", body)
    assert kind("", res) == recorded_shape(doc)
    assert res["energy_used"] == doc["response"]["energy_used"]
    est_doc = golden("estimateenergy_nile_docs.json")
    assert await http("wallet/estimateenergy", body) == est_doc["response"]
    node.chain.params.estimate_energy = False  # java-tron's default vm.estimateEnergy=false
    off = await http("wallet/estimateenergy", body)
    assert list(off) == ["result"] and off["result"]["code"] == est_doc["disabled"]["code"]
    assert bytes.fromhex(off["result"]["message"]).decode() == est_doc["disabled"]["message"]


async def test_create_account_and_origin_paid_receipts_match_the_nile_readme(
    node: Devnode, tron: AsyncTron, wallets: Any, http: Any
) -> None:
    """tron-wallet-demo README (Nile): a transfer creating its recipient; an origin-subsidised USDT call."""
    doc = golden("transactioninfo_nile_tron_wallet_demo.json")
    alice, carol = wallets["user-alice"], wallets["user-carol"]
    fresh = PrivateKey(bytes([11]) * 32).public_key.to_base58check_address()
    txn = (await tron.trx.transfer(alice.address, fresh, 1_000_000).build()).sign(alice.key)
    await txn.broadcast()
    # The contract origin stakes energy: consume_user_resource_percent 30 makes it pay 70 % of a call.
    node.add_account({"address": b58(USDT_ORIGIN), "trx": 1000, "staked_energy_trx": 100_000})
    txid = await _usdt_transfer(tron, node, carol, alice.address)
    node.advance(3)
    created = await http("wallet/gettransactioninfobyid", {"value": txn.txid})
    recorded = doc["create_account_transfer"]
    assert kind("", created) == kind("", recorded)
    assert (created["fee"], created["receipt"]) == (recorded["fee"], recorded["receipt"])
    info = await http("wallet/gettransactioninfobyid", {"value": txid})
    want = kind("", doc["usdt_transfer_origin_paid"])
    got = kind("", info)
    # The Nile call was paid by its origin alone; here carol burns for her 30 % and there is a penalty.
    assert {k: v for k, v in got["receipt"].items() if k in want["receipt"]} == want["receipt"]
    assert set(got["receipt"]) - set(want["receipt"]) == {"energy_fee", "energy_penalty_total"}
    assert got.pop("fee") == "int" and got.pop("receipt") and want.pop("receipt")
    assert got == want
    r = info["receipt"]
    assert r["origin_energy_usage"] == r["energy_usage_total"] * 70 // 100
    assert r["energy_fee"] == (r["energy_usage_total"] - r["origin_energy_usage"]) * 100
    contract = await http("wallet/getcontract", {"value": USDT, "visible": True})
    assert contract["consume_user_resource_percent"] == 30
