"""The devnode JSON vs java-tron's samples and rules (docs/tron.md#wire-format): names, omissions, types."""

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
from daemon.devnode.proto import encode_raw, txid_of

from .conftest import USDT

POOL = "TYWxU5pTXmfQNnV795SxTYQnGPQr3nctWe"
POOL_HEX = "41f753f213104eeb9fb1e03fb9b71993342590968a"
ALICE = "TKKwBf2YL9sH2GppotCWkXy6jmKFRM4ncZ"
ALICE_HEX = "4166a4a9e4bf5ee973566dcd3f591402658fb80137"
BOB = "THh5J4Kb996ZXSguVRYy69ys2fczZ2K1QZ"


@pytest.fixture
async def http(node: Devnode) -> AsyncIterator[Any]:
    async with aiohttp.ClientSession(base_url=node.url) as session:

        async def call(path: str, body: dict[str, Any] | None = None, query: str = "") -> Any:
            async with session.post(path + query, json=body or {}) as resp:
                assert resp.status == 200  # java-tron answers business errors with HTTP 200
                return await resp.json()

        yield call


async def test_getaccountresource_matches_mainnet_sample(http: Any) -> None:
    # Mainnet sample: {"freeNetLimit":600,...,"EnergyLimit":9,"TotalEnergyLimit":180000000000,...}
    res = await http("wallet/getaccountresource", {"address": POOL, "visible": True})
    sample_keys = {"freeNetLimit", "TotalNetLimit", "TotalNetWeight", "EnergyLimit", "TotalEnergyLimit"}
    assert sample_keys <= res.keys()
    assert res["freeNetLimit"] == 600 and res["TotalEnergyLimit"] == 180_000_000_000
    assert "freeNetUsed" not in res and "NetUsed" not in res  # zero fields omitted
    assert all(type(v) is int for v in res.values())
    assert await http("wallet/getaccountresource", {"address": "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb"}) == {}


async def test_getaccount_frozenv2_three_entries_and_ms_times(node: Devnode, http: Any) -> None:
    acc = await http("wallet/getaccount", {"address": POOL, "visible": True})
    assert acc["frozenV2"] == [{}, {"type": "ENERGY", "amount": 1_000_000 * 10**6}, {"type": "TRON_POWER"}]
    resource = acc["account_resource"]
    assert resource["energy_window_optimized"] is True
    assert resource["energy_window_size"] == 28_800_000  # ×1000, a full 24 h window
    # genesis(0) + 3000 × slot: a wall-clock millisecond time, like the Nile sample 1777444809000.
    assert resource["latest_consume_time_for_energy"] == node.chain.head.timestamp
    assert "free_net_usage" not in acc and "net_usage" not in acc
    hex_acc = await http("wallet/getaccount", {"address": POOL})
    assert hex_acc["address"].startswith("41") and len(hex_acc["address"]) == 42
    alice = await http("wallet/getaccount", {"address": ALICE, "visible": True})
    # Never consumed anything, yet updateUsage's increaseV2 sets both windows in full (Nile sample).
    assert (alice["net_window_size"], alice["net_window_optimized"]) == (28_800_000, True)
    assert alice["account_resource"] == {"energy_window_size": 28_800_000, "energy_window_optimized": True}


async def test_getnowblock_reads_visible_from_query_only(http: Any) -> None:
    body_visible = await http("wallet/getnowblock", {"visible": True})
    assert body_visible["block_header"]["raw_data"]["witness_address"].startswith("41")
    query_visible = await http("wallet/getnowblock", {}, "?visible=true")
    assert query_visible["block_header"]["raw_data"]["witness_address"].startswith("T")
    assert "transactions" not in body_visible  # absent for an empty block
    assert body_visible["blockID"][:16] == f"{body_visible['block_header']['raw_data']['number']:016x}"
    solid = await http("walletsolidity/getnowblock")
    assert (
        solid["block_header"]["raw_data"]["number"] == body_visible["block_header"]["raw_data"]["number"] - 18
    )


async def test_getchainparameters_omits_zero_values(http: Any) -> None:
    params = (await http("wallet/getchainparameters", {"visible": True}))["chainParameter"]
    by_key = {p["key"]: p for p in params}
    assert by_key["getAllowUpdateAccountName"] == {"key": "getAllowUpdateAccountName"}
    assert by_key["getEnergyFee"] == {"key": "getEnergyFee", "value": 100}
    assert by_key["getTransactionFee"]["value"] == 1000
    assert by_key["getMaxFeeLimit"]["value"] == 15_000_000_000
    assert by_key["getFreeNetLimit"]["value"] == 600


async def test_getnodeinfo_block_strings(http: Any) -> None:
    info = await http("wallet/getnodeinfo")
    head = re.fullmatch(r"Num:(\d+),ID:([0-9a-f]{64})", info["block"])
    solid = re.fullmatch(r"Num:(\d+),ID:([0-9a-f]{64})", info["solidityBlock"])
    assert head and solid and int(head[1]) - int(solid[1]) == 18
    assert int(solid[2][:16], 16) == int(solid[1])


async def test_triggerconstantcontract_reports_penalty_inside_energy_used(http: Any) -> None:
    to_word = "0" * 24 + "54b3eadfa2b7fed9d46d2a8df4b820cb8979c24c"  # bob (empty USDT balance)
    body = {
        "owner_address": ALICE,
        "contract_address": USDT,
        "function_selector": "transfer(address,uint256)",
        "parameter": to_word + f"{1:064x}",
        "visible": True,
    }
    res = await http("wallet/triggerconstantcontract", body)
    assert res["result"] == {"result": True}
    assert (res["energy_used"], res["energy_penalty"]) == (130_285, 100_635)
    assert res["constant_result"] == ["0" * 64]  # Tether's transfer() returns false on success
    assert res["transaction"]["ret"] == [{}] and "raw_data_hex" in res["transaction"]
    holder = dict(body, parameter="0" * 24 + "66a4a9e4bf5ee973566dcd3f591402658fb80137" + f"{1:064x}")
    holder["owner_address"] = POOL
    res = await http("wallet/triggerconstantcontract", holder)  # to alice, a holder: the mainnet capture
    assert (res["energy_used"], res["energy_penalty"]) == (64_285, 49_635)
    revert = dict(body, owner_address=BOB)
    res = await http("wallet/triggerconstantcontract", revert)
    assert res["result"]["message"] == "REVERT opcode executed"
    assert res["transaction"]["ret"] == [{"ret": "FAILED"}]
    missing = await http("wallet/triggerconstantcontract", dict(body, contract_address=ALICE, visible=False))
    assert missing["result"]["code"] == "CONTRACT_VALIDATE_ERROR"
    assert bytes.fromhex(missing["result"]["message"]).decode() == "Smart contract is not exist."
    est = await http("wallet/estimateenergy", body)
    # Wallet.estimateEnergy searches the fee limit to 1 TRX, so it answers more than energy_used.
    assert est == {"result": {"result": True}, "energy_required": 138_428}


async def test_getcontract_abi_uses_java_enum_names(http: Any) -> None:
    contract = await http("wallet/getcontract", {"value": USDT, "visible": True})
    entries = {e["name"]: e for e in contract["abi"]["entrys"]}
    assert entries["transfer"]["type"] == "Function"
    assert entries["balanceOf"]["stateMutability"] == "View"
    assert contract["contract_address"] == USDT
    assert await http("wallet/getcontract", {"value": ALICE, "visible": True}) == {}


async def test_not_found_is_empty_object(http: Any) -> None:
    assert await http("wallet/gettransactionbyid", {"value": "ab" * 32}) == {}
    assert await http("walletsolidity/gettransactioninfobyid", {"value": "ab" * 32}) == {}
    assert await http("wallet/getblockbynum", {"num": 10**9}) == {}
    assert await http("wallet/getdelegatedresourcev2", {"fromAddress": POOL, "toAddress": ALICE}) == {}
    assert (
        await http("wallet/getcandelegatedmaxsize", {"owner_address": ALICE, "type": 1, "visible": True})
        == {}
    )
    size = await http("wallet/getcandelegatedmaxsize", {"owner_address": POOL, "type": 1, "visible": True})
    assert 0 < size["max_size"] < 1_000_000 * 10**6


async def test_getcandelegatedmaxsize_type_is_an_int32_and_bad_ones_are_errors(
    node: Devnode, http: Any
) -> None:
    """type is CanDelegatedMaxSizeRequestMessage's int32 (1 ENERGY, 0: docs/tron.md), no enum names."""
    energy = await http("wallet/getcandelegatedmaxsize", {"owner_address": POOL, "type": 1, "visible": True})
    assert energy["max_size"] > 0
    for bandwidth in ({"type": 0}, {}, {"type": None}, {"type": 2}):  # the pool stakes energy only
        assert (
            await http("wallet/getcandelegatedmaxsize", {"owner_address": POOL, "visible": True, **bandwidth})
            == {}
        )
    for bad in ("ENERGY", "1", True, 1.5, 2**31):
        res = await http(
            "wallet/getcandelegatedmaxsize", {"owner_address": POOL, "type": bad, "visible": True}
        )
        assert (
            set(res) == {"Error"} and res["Error"].startswith("class ") and "parse integer" in res["Error"]
        ), bad
    async with aiohttp.ClientSession() as session:
        query = f"{node.url}wallet/getcandelegatedmaxsize?owner_address={POOL}&visible=true&type="
        async with session.get(query + "1") as resp:
            assert resp.status == 200 and await resp.json() == energy
        async with session.get(query + "ENERGY") as resp:
            assert resp.status == 200
            assert await resp.json() == {
                "Error": 'class java.lang.NumberFormatException : For input string: "ENERGY"'
            }


async def test_getsignweight_matches_the_transaction_sign_weight_shape(
    tron: AsyncTron, wallets: Any, http: Any
) -> None:
    """getsignweight: permission, approvals, result (ENOUGH_PERMISSION is enum 0: printed as {})."""
    alice, bob = wallets["user-alice"], wallets["user-bob"]
    txn = await tron.trx.transfer(alice.address, bob.address, 1_000_000).build()
    owner = {"permission_name": "owner", "threshold": 1, "keys": [{"address": ALICE_HEX, "weight": 1}]}
    unsigned = await http("wallet/getsignweight", txn.to_json())
    assert list(unsigned) == ["permission", "result", "transaction"]  # weight 0 and [] omitted
    assert unsigned["permission"] == owner and unsigned["result"] == {"code": "NOT_ENOUGH_PERMISSION"}
    ext = unsigned["transaction"]
    assert ext["result"] == {"result": True} and ext["txid"] == txn.txid
    assert ext["transaction"]["txID"] == txn.txid  # what tronpy's build() reads
    assert {"txID", "raw_data", "raw_data_hex"} <= set(ext["transaction"])
    signed = await http("wallet/getsignweight", txn.sign(alice.key).to_json())
    assert signed["approved_list"] == [ALICE_HEX] and signed["current_weight"] == 1 and signed["result"] == {}
    assert set(signed) == {"permission", "approved_list", "current_weight", "result", "transaction"}
    # A missing owner: PERMISSION_ERROR "Account does not exist!" and no permission.
    stranger = PrivateKey(bytes([5]) * 32).public_key.to_hex_address()
    raw = dict(txn._raw_data)
    raw["contract"] = [dict(raw["contract"][0])]
    raw["contract"][0]["parameter"] = {
        **raw["contract"][0]["parameter"],
        "value": {**raw["contract"][0]["parameter"]["value"], "owner_address": stranger},
    }
    missing = await http("wallet/getsignweight", {"txID": txid_of(encode_raw(raw)), "raw_data": raw})
    assert list(missing) == ["result", "transaction"]
    assert missing["result"] == {"code": "PERMISSION_ERROR", "message": "Account does not exist!"}


async def test_successful_broadcast_and_its_lookups_match_the_samples(
    node: Devnode, tron: AsyncTron, wallets: Any, http: Any
) -> None:
    """broadcast {"result":true,"txid"}, gettransactionbyid, the TRX transfer gettransactioninfobyid."""
    alice, bob = wallets["user-alice"], wallets["user-bob"]
    txn = (await tron.trx.transfer(alice.address, bob.address, 1_000_000).build()).sign(alice.key)
    ret = await http("wallet/broadcasttransaction", txn.to_json())
    assert ret == {"result": True, "txid": txn.txid} and list(ret) == [
        "result",
        "txid",
    ]  # code SUCCESS omitted
    assert await http("wallet/gettransactioninfobyid", {"value": txn.txid}) == {}  # pending: not in a block
    node.advance(3)
    info = await http("wallet/gettransactioninfobyid", {"value": txn.txid})
    # Recorded: {'id':…,'blockNumber':10163821,'blockTimeStamp':1603368072000,'contractResult':[''],
    #      'receipt':{'net_usage':283}}
    assert list(info) == ["id", "blockNumber", "blockTimeStamp", "contractResult", "receipt"]
    assert info["id"] == txn.txid and info["contractResult"] == [""]
    assert list(info["receipt"]) == ["net_usage"] and 250 < info["receipt"]["net_usage"] < 300
    block = await http("wallet/getblockbynum", {"num": info["blockNumber"]})
    assert info["blockTimeStamp"] == block["block_header"]["raw_data"]["timestamp"]  # ms, an int
    assert [t["txID"] for t in block["transactions"]] == [txn.txid]
    tx = await http("wallet/gettransactionbyid", {"value": txn.txid, "visible": True})
    assert list(tx) == ["ret", "signature", "txID", "raw_data", "raw_data_hex"]
    assert tx["ret"] == [{"contractRet": "SUCCESS"}]  # no fee: nothing burned
    assert tx["signature"] == txn._signature and tx["txID"] == txn.txid
    value = tx["raw_data"]["contract"][0]["parameter"]["value"]
    assert value == {"owner_address": ALICE, "to_address": bob.address, "amount": 1_000_000}
    assert tx["raw_data_hex"] == encode_raw(txn._raw_data).hex()


async def test_trc20_info_receipt_matches_the_sample(
    node: Devnode, tron: AsyncTron, wallets: Any, http: Any
) -> None:
    """The TRC20 sample receipt: energy_usage, energy_usage_total, net_usage, result 'SUCCESS'; no fee."""
    pool, alice = wallets["pool-alpha"], wallets["user-alice"]
    usdt = await tron.get_contract(USDT)
    txb = await usdt.functions.transfer(alice.address, 1_000_000)
    txn = (await txb.with_owner(pool.address).fee_limit(30_000_000).build()).sign(pool.key)
    assert (await http("wallet/broadcasttransaction", txn.to_json()))["result"] is True
    node.advance(3)
    info = await http("wallet/gettransactioninfobyid", {"value": txn.txid})
    # The sample predates dynamic energy; USDT's penalty now adds energy_penalty_total.
    sample = ["energy_usage", "energy_usage_total", "net_usage", "result"]
    assert list(info["receipt"]) == [*sample, "energy_penalty_total"]
    assert info["receipt"]["result"] == "SUCCESS" and "fee" not in info
    assert info["contractResult"] == ["0" * 64]  # mainnet USDT's transfer() returns false
    assert list(info) == [
        "id",
        "blockNumber",
        "blockTimeStamp",
        "contractResult",
        "contract_address",
        "receipt",
        "log",
    ]


async def test_broadcast_error_is_hex_code_message(http: Any) -> None:
    raw = {
        "contract": [
            {
                "parameter": {
                    "value": {"owner_address": POOL_HEX, "to_address": POOL_HEX, "amount": 1},
                    "type_url": "type.googleapis.com/protocol.TransferContract",
                },
                "type": "TransferContract",
            }
        ],
        "ref_block_bytes": "0000",
        "ref_block_hash": "0000000000000000",
        "expiration": 1,
        "timestamp": 0,
    }
    res = await http("wallet/broadcasttransaction", {"raw_data": raw, "signature": ["00" * 64]})
    assert res["code"] == "SIGERROR"
    assert bytes.fromhex(res["message"]).decode() == "Validate signature error: Signature size is 64"
    assert res["txid"] == txid_of(encode_raw(raw))
    assert "result" not in res  # false is omitted
    bad = await http("wallet/broadcasttransaction", {"raw_data": {"contract": "x"}})
    assert bad["Error"].startswith("class ")


def test_txid_matches_protobuf_serialisation() -> None:
    # Recorded in tronpy's own tests (golden/txids_tronpy_offline.json names the commit).
    recorded = json.loads((Path(__file__).with_name("golden") / "txids_tronpy_offline.json").read_text())
    for vector in recorded["transactions"]:
        assert txid_of(encode_raw(vector["raw_data"])) == vector["txID"]
    # Vectors computed with tronpy.proto.calculate_txid_from_raw_data (docs/tron.md#tronpy).
    trigger = {
        "ref_block_bytes": "001a",
        "ref_block_hash": "e207e7723f1441e6",
        "expiration": 1795391898964,
        "contract": [
            {
                "parameter": {
                    "value": {
                        "owner_address": "4166a4a9e4bf5ee973566dcd3f591402658fb80137",
                        "contract_address": "41a614f803b6fd780986a42c78ec9c7f77e6ded13c",
                        "data": "a9059cbb"
                        + "0" * 24
                        + "54b3eadfa2b7fed9d46d2a8df4b820cb8979c24c"
                        + f"{10**6:064x}",
                        "call_value": 0,
                        "call_token_value": 0,
                        "token_id": 0,
                    },
                    "type_url": "type.googleapis.com/protocol.TriggerSmartContract",
                },
                "type": "TriggerSmartContract",
            }
        ],
        "timestamp": 1795391838964,
        "fee_limit": 30000000,
    }
    assert txid_of(encode_raw(trigger)) == "59ecc81bfb739b6be112694d12cffcc3c678d302ef821f0564e3633e3f15cc91"
    transfer = dict(trigger)
    transfer.pop("fee_limit")
    transfer["contract"] = [
        {
            "parameter": {
                "value": {
                    "owner_address": "4166a4a9e4bf5ee973566dcd3f591402658fb80137",
                    "to_address": "41a614f803b6fd780986a42c78ec9c7f77e6ded13c",
                    "amount": 1234567,
                },
                "type_url": "type.googleapis.com/protocol.TransferContract",
            },
            "type": "TransferContract",
        }
    ]
    assert txid_of(encode_raw(transfer)) == "1b6cd77cec190389047141453f282a28d017e91386bd75b89b1e409c00073095"


async def test_get_with_query_string_like_java_tron(node: Devnode) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{node.url}wallet/getaccount?address={POOL}&visible=true") as resp:
            assert (await resp.json())["address"] == POOL
        async with session.post(f"{node.url}wallet/nosuchservlet", json={}) as resp:
            assert resp.status == 404
