"""Contract servlets: triggerconstantcontract (and triggersmartcontract), estimateenergy, getcontract."""

from __future__ import annotations

import time
from typing import Any

from daemon.devnode import shapes_tx
from daemon.devnode.chain import DevnodeChain
from daemon.devnode.proto import encode_raw, txid_of
from daemon.devnode.servlet import Handler, Params, address, error, visible
from daemon.devnode.usdt import USDT_ADDRESS, contract_json, selector
from daemon.devnode.vm_energy import estimate_energy_required
from daemon.tron.addresses import AddressError


def _call_data(params: Params) -> bytes:
    if params.get("data"):
        return bytes.fromhex(str(params["data"]))
    return selector(str(params.get("function_selector", ""))) + bytes.fromhex(
        str(params.get("parameter", ""))
    )


def _trigger_tx(chain: DevnodeChain, params: Params, owner: bytes, data: bytes, vis: bool) -> dict[str, Any]:
    head = chain.head
    raw = {
        "ref_block_bytes": head.block_id[6:8].hex(),
        "ref_block_hash": head.block_id[8:16].hex(),
        "expiration": head.timestamp + 60_000,
        "contract": [
            {
                "parameter": {
                    "value": {
                        "data": data.hex(),
                        "owner_address": owner.hex(),
                        "contract_address": USDT_ADDRESS.hex(),
                    },
                    "type_url": "type.googleapis.com/protocol.TriggerSmartContract",
                },
                "type": "TriggerSmartContract",
            }
        ],
        "timestamp": time.time_ns() // 1_000_000,
    }
    raw_bytes = encode_raw(raw)
    return {
        "visible": vis,
        "txID": txid_of(raw_bytes),
        "raw_data": shapes_tx.raw_json(raw, vis),
        "raw_data_hex": raw_bytes.hex(),
    }


def _simulate(chain: DevnodeChain, params: Params) -> tuple[Any, bytes, bytes] | dict[str, Any]:
    try:
        owner = address(params, "owner_address")
        contract = address(params, "contract_address")
        data = _call_data(params)
    except (AddressError, ValueError) as exc:
        return {"result": {"code": "OTHER_ERROR", "message": str(exc).encode().hex()}}
    if contract != USDT_ADDRESS:
        msg = "Smart contract is not exist."
        return {
            "result": {
                "code": "CONTRACT_VALIDATE_ERROR",
                "message": msg if visible(params) else msg.encode().hex(),
            }
        }
    return chain.usdt.call(owner, data), owner, data


def triggerconstantcontract(chain: DevnodeChain, params: Params, solid: bool) -> dict[str, Any]:
    """Simulate a call: energy_used includes energy_penalty, REVERT as java-tron prints it (docs/tron.md)."""
    sim = _simulate(chain, params)
    if isinstance(sim, dict):
        return sim
    outcome, owner, data = sim
    vis = visible(params)
    tx = _trigger_tx(chain, params, owner, data, vis)
    result: dict[str, Any] = {"result": True}
    if outcome.reverted:
        msg = "REVERT opcode executed"
        result["message"] = msg if vis else msg.encode().hex()
        tx = {"ret": [{"ret": "FAILED"}], **tx}
    else:
        tx = {"ret": [{}], **tx}
    out: dict[str, Any] = {"result": result, "energy_used": outcome.energy}
    out["constant_result"] = [outcome.output.hex()]
    if outcome.penalty:
        out["energy_penalty"] = outcome.penalty
    out["transaction"] = tx
    return out


def estimateenergy(chain: DevnodeChain, params: Params, solid: bool) -> dict[str, Any]:
    """{"result":{"result":true},"energy_required":N}, rounded up as java-tron searches; off: an error."""
    if not chain.params.estimate_energy:
        msg = "this node does not support estimate energy"
        return {
            "result": {
                "code": "CONTRACT_VALIDATE_ERROR",
                "message": msg if visible(params) else msg.encode().hex(),
            }
        }
    sim = _simulate(chain, params)
    if isinstance(sim, dict):
        return sim
    outcome = sim[0]
    if outcome.reverted:
        msg = "REVERT opcode executed"
        return {
            "result": {
                "code": "CONTRACT_EXE_ERROR",
                "message": msg if visible(params) else msg.encode().hex(),
            }
        }
    p = chain.params
    return {
        "result": {"result": True},
        "energy_required": estimate_energy_required(outcome.energy, p.energy_fee, p.max_fee_limit),
    }


def getcontract(chain: DevnodeChain, params: Params, solid: bool) -> dict[str, Any]:
    """The USDT SmartContract with its ABI, {} for any other address."""
    try:
        addr = address(params, "value")
    except AddressError as exc:
        return error(exc)
    return contract_json(visible(params)) if addr == USDT_ADDRESS else {}


HANDLERS: dict[str, Handler] = {
    "triggerconstantcontract": triggerconstantcontract,
    "triggersmartcontract": triggerconstantcontract,
    "estimateenergy": estimateenergy,
    "getcontract": getcontract,
}
