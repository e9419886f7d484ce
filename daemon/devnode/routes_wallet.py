"""`/wallet/*` and `/walletsolidity/*` servlets: GET query or POST JSON in, java-tron JSON out (HTTP 200)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from daemon.devnode import routes_delegation, shapes, shapes_tx
from daemon.devnode.chain import DevnodeChain
from daemon.devnode.delegation import BANDWIDTH, ENERGY, can_delegate_max
from daemon.devnode.keys import CHAIN
from daemon.devnode.proto import encode_raw, txid_of
from daemon.devnode.transactions import broadcast, sign_weight
from daemon.devnode.usdt import USDT_ADDRESS, contract_json, selector
from daemon.devnode.vm_energy import estimate_energy_required
from daemon.tron.addresses import AddressError, to_raw

Params = dict[str, Any]
Handler = Callable[[DevnodeChain, Params, bool], dict[str, Any]]
_DUMPS = json.JSONEncoder(separators=(",", ":")).encode
JSON_PARSE_ERROR = "org.tron.core.services.http.JsonFormat$ParseException"


def _error(exc: Exception | str, cls: str = "java.lang.IllegalArgumentException") -> dict[str, Any]:
    return {"Error": f"class {cls} : {exc}"}


def visible(params: Params) -> bool:
    """java-tron's Util.getVisible: true for JSON true or the string "true"."""
    v = params.get("visible", False)
    return v is True or (isinstance(v, str) and v.lower() == "true")


def _address(params: Params, *names: str) -> bytes:
    for name in names:
        if params.get(name):
            return to_raw(str(params[name]))
    raise AddressError(f"missing {names[0]}")


def _account_call(render: Callable[[DevnodeChain, Any, bool], dict[str, Any]]) -> Handler:
    def handler(chain: DevnodeChain, params: Params, solid: bool) -> dict[str, Any]:
        try:
            addr = _address(params, "address", "value", "owner_address")
        except AddressError as exc:
            return _error(exc)
        acc = chain.accounts.get(addr)
        return render(chain, acc, visible(params)) if acc is not None else {}

    return handler


def getnowblock(chain: DevnodeChain, params: Params, solid: bool) -> dict[str, Any]:
    """Head (or solid) block; `visible` is read from the query string only (tron.md §2)."""
    return shapes_tx.block(chain, chain.solid if solid else chain.head, params.get("_query_visible", False))


def getblockbynum(chain: DevnodeChain, params: Params, solid: bool) -> dict[str, Any]:
    """Block by number; the solidity prefix only serves solid blocks."""
    try:
        num = int(params.get("num", 0))
    except (TypeError, ValueError) as exc:
        return _error(exc, "java.lang.NumberFormatException")
    blk = chain.block_at(num)
    if blk is None or (solid and num > chain.solid.number):
        return {}
    return shapes_tx.block(chain, blk, visible(params))


def getblockbyid(chain: DevnodeChain, params: Params, solid: bool) -> dict[str, Any]:
    """Block by 64-hex id."""
    try:
        num = chain.by_id.get(bytes.fromhex(str(params.get("value", ""))))
    except ValueError:
        num = None
    if num is None or (solid and num > chain.solid.number):
        return {}
    return shapes_tx.block(chain, chain.blocks[num], visible(params))


def _tx_lookup(render: Callable[[Any, bool], dict[str, Any]]) -> Handler:
    def handler(chain: DevnodeChain, params: Params, solid: bool) -> dict[str, Any]:
        tx = chain.txs.get(str(params.get("value", "")).lower())
        if tx is None or tx.block_number < 0 or (solid and tx.block_number > chain.solid.number):
            return {}
        return render(tx, visible(params))

    return handler


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
        owner = _address(params, "owner_address")
        contract = _address(params, "contract_address")
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
    """Simulate a call: energy_used includes energy_penalty (tron.md §2); REVERT as java-tron prints it."""
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
        addr = _address(params, "value")
    except AddressError as exc:
        return _error(exc)
    return contract_json(visible(params)) if addr == USDT_ADDRESS else {}


def _int32(params: Params, name: str) -> int | dict[str, Any]:
    """An int32 request field: a JSON number in a POST body, decimal digits in a GET query; else an Error."""
    raw = params.get(name)
    if raw is None:
        return 0
    if isinstance(raw, str) and not params.get("_post", True) and re.fullmatch(r"[+-]?[0-9]{1,10}", raw):
        raw = int(raw)  # the GET servlet's Integer.parseInt
    if isinstance(raw, int) and not isinstance(raw, bool) and -(2**31) <= raw < 2**31:
        return raw
    if not params.get("_post", True):
        return _error(f'For input string: "{raw}"', "java.lang.NumberFormatException")
    # JsonFormat.merge reads an int32 token only: "ENERGY", "1", true and 1.5 fail to parse.
    token = json.dumps(raw)
    return _error(f'Couldn\'t parse integer: For input string: "{token}"', JSON_PARSE_ERROR)


def getcandelegatedmaxsize(chain: DevnodeChain, params: Params, solid: bool) -> dict[str, Any]:
    """Stake minus usage converted back to sun; below 1 TRX prints as {} (tron.md §2/§3)."""
    resource = _int32(params, "type")  # ResourceCode number: 0 BANDWIDTH, 1 ENERGY (tron.md §1)
    if isinstance(resource, dict):
        return resource
    try:
        acc = chain.accounts.get(_address(params, "owner_address"))
    except AddressError as exc:
        return _error(exc)
    if acc is None or resource not in (0, 1):
        return {}
    size = can_delegate_max(chain, acc, ENERGY if resource == 1 else BANDWIDTH)
    return {"max_size": size} if size >= 1_000_000 else {}


def getnodeinfo(chain: DevnodeChain, params: Params, solid: bool) -> dict[str, Any]:
    """Node info; tronpy reads "block" and "solidityBlock"."""
    return shapes.node_info(chain)


def getchainparameters(chain: DevnodeChain, params: Params, solid: bool) -> dict[str, Any]:
    """Chain parameters (visible from the query only; nothing here depends on it)."""
    return shapes.chain_parameters(chain)


HANDLERS: dict[str, Handler] = {
    "getaccount": _account_call(shapes.account),
    "getaccountresource": _account_call(lambda c, a, v: shapes.account_resource(c, a)),
    "getaccountnet": _account_call(lambda c, a, v: shapes.account_net(c, a)),
    "getchainparameters": getchainparameters,
    "getnowblock": getnowblock,
    "getblockbynum": getblockbynum,
    "getblockbyid": getblockbyid,
    "getnodeinfo": getnodeinfo,
    "gettransactionbyid": _tx_lookup(shapes_tx.transaction),
    "gettransactioninfobyid": _tx_lookup(shapes_tx.transaction_info),
    "triggerconstantcontract": triggerconstantcontract,
    "triggersmartcontract": triggerconstantcontract,
    "estimateenergy": estimateenergy,
    "getcontract": getcontract,
    "getsignweight": lambda c, p, s: sign_weight(c, p, shapes_tx.unsigned_tx),
    "broadcasttransaction": lambda c, p, s: broadcast(c, p),
    "getcandelegatedmaxsize": getcandelegatedmaxsize,
    **routes_delegation.HANDLERS,
}
SOLIDITY = frozenset(
    {
        "getaccount",
        "getnowblock",
        "getblockbynum",
        "getblockbyid",
        "gettransactionbyid",
        "gettransactioninfobyid",
    }
    | {"getnodeinfo", "getchainparameters", "triggerconstantcontract", "getdelegatedresourcev2"}
    | {"getcandelegatedmaxsize", "getdelegatedresourceaccountindexv2", "getaccountresource", "getaccountnet"}
    | {"getenergyprices", "getbandwidthprices", "getburntrx"}
)


async def _params(request: web.Request) -> Params | dict[str, Any]:
    params: Params = dict(request.query)
    params["_query_visible"] = visible(dict(request.query))
    if request.method == "POST" and request.can_read_body:
        body = await request.read()
        if body.strip():
            try:
                data = json.loads(body)
            except ValueError as exc:
                return {"_error": _error(exc, "com.alibaba.fastjson.JSONException")}
            if isinstance(data, dict):
                params.update(data)
    params["_post"] = request.method == "POST"
    return params


async def dispatch(request: web.Request) -> web.Response:
    """Route `/{prefix}/{method}` to its servlet; unknown methods 404 like java-tron's servlet map."""
    prefix, name = request.match_info["prefix"], request.match_info["method"].lower()
    solid = prefix == "walletsolidity"
    handler = HANDLERS.get(name)
    if handler is None or (solid and name not in SOLIDITY):
        raise web.HTTPNotFound(text=f"no such servlet /{prefix}/{name}")
    chain = request.app[CHAIN]
    chain.catch_up()
    params = await _params(request)
    result = params["_error"] if "_error" in params else handler(chain, params, solid)
    return web.Response(body=_DUMPS(result).encode(), content_type="application/json")


# java-tron's solidity port also answers /wallet/getnodeinfo (HttpApiOnSolidityService).
SOLIDITY_PORT_WALLET = r"/{prefix:wallet}/{method:getnodeinfo}"
ROUTES = {
    "both": (r"/{prefix:wallet|walletsolidity}/{method}",),
    "wallet": (r"/{prefix:wallet}/{method}",),
    "walletsolidity": (r"/{prefix:walletsolidity}/{method}", SOLIDITY_PORT_WALLET),
}


def add_routes(app: web.Application, layout: str = "both") -> None:
    """GET and POST servlets: `both` prefixes on one port (TronGrid), or one java-tron port's share."""
    for path in ROUTES[layout]:
        app.router.add_route("GET", path, dispatch)
        app.router.add_route("POST", path, dispatch)
