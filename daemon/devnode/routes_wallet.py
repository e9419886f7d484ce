"""`/wallet/*` and `/walletsolidity/*` servlets: GET query or POST JSON in, java-tron JSON out (HTTP 200)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from daemon.devnode import routes_contract, routes_delegation, shapes, shapes_tx
from daemon.devnode.chain import DevnodeChain
from daemon.devnode.delegation import BANDWIDTH, ENERGY, can_delegate_max
from daemon.devnode.keys import CHAIN
from daemon.devnode.servlet import Handler, Params, address, error, visible
from daemon.devnode.transactions import broadcast, sign_weight
from daemon.tron.addresses import AddressError

_DUMPS = json.JSONEncoder(separators=(",", ":")).encode
JSON_PARSE_ERROR = "org.tron.core.services.http.JsonFormat$ParseException"


def _account_call(render: Callable[[DevnodeChain, Any, bool], dict[str, Any]]) -> Handler:
    def handler(chain: DevnodeChain, params: Params, solid: bool) -> dict[str, Any]:
        try:
            addr = address(params, "address", "value", "owner_address")
        except AddressError as exc:
            return error(exc)
        acc = chain.accounts.get(addr)
        return render(chain, acc, visible(params)) if acc is not None else {}

    return handler


def getnowblock(chain: DevnodeChain, params: Params, solid: bool) -> dict[str, Any]:
    """Head (or solid) block; `visible` is read from the query string only (docs/tron.md#wire-format)."""
    return shapes_tx.block(chain, chain.solid if solid else chain.head, params.get("_query_visible", False))


def getblockbynum(chain: DevnodeChain, params: Params, solid: bool) -> dict[str, Any]:
    """Block by number; the solidity prefix only serves solid blocks."""
    try:
        num = int(params.get("num", 0))
    except (TypeError, ValueError) as exc:
        return error(exc, "java.lang.NumberFormatException")
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
        return error(f'For input string: "{raw}"', "java.lang.NumberFormatException")
    # JsonFormat.merge reads an int32 token only: "ENERGY", "1", true and 1.5 fail to parse.
    token = json.dumps(raw)
    return error(f'Couldn\'t parse integer: For input string: "{token}"', JSON_PARSE_ERROR)


def getcandelegatedmaxsize(chain: DevnodeChain, params: Params, solid: bool) -> dict[str, Any]:
    """Stake minus usage converted back to sun; below 1 TRX prints as {} (docs/tron.md#wire-format)."""
    resource = _int32(params, "type")  # ResourceCode: 0 BANDWIDTH, 1 ENERGY (docs/tron.md#tronpy)
    if isinstance(resource, dict):
        return resource
    try:
        acc = chain.accounts.get(address(params, "owner_address"))
    except AddressError as exc:
        return error(exc)
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
    "getsignweight": lambda c, p, s: sign_weight(c, p, shapes_tx.unsigned_tx),
    "broadcasttransaction": lambda c, p, s: broadcast(c, p),
    "getcandelegatedmaxsize": getcandelegatedmaxsize,
    **routes_contract.HANDLERS,
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
                return {"_error": error(exc, "com.alibaba.fastjson.JSONException")}
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
