"""The `/_devnode/` control API (JSON): clock, fees, accounts, faults, traffic, ground truth."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from daemon.devnode.accounts import AccountsFileError, spec_from_mapping
from daemon.devnode.chain import DevnodeChain
from daemon.devnode.faults import Fault
from daemon.devnode.keys import CHAIN, FAULTS, TRAFFIC
from daemon.devnode.resources import energy_limit_of, energy_used
from daemon.tron.addresses import AddressError, b58, to_raw

routes = web.RouteTableDef()


def _fail(status: int, detail: str) -> web.HTTPException:
    body = json.dumps({"error": detail})
    if status == 404:
        return web.HTTPNotFound(text=body, content_type="application/json")
    return web.HTTPUnprocessableEntity(text=body, content_type="application/json")


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError as exc:
        raise _fail(422, f"body must be a JSON object: {exc}") from exc
    if not isinstance(data, dict):
        raise _fail(422, "body must be a JSON object")
    return data


def _number(data: dict[str, Any], key: str, lo: float, hi: float) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise _fail(422, f"{key} must be a number in [{lo}, {hi}]")
    return float(value)


def _account_ref(chain: DevnodeChain, ref: str) -> bytes:
    acc = chain.account_by_name(ref)
    if acc is not None:
        return acc.address
    try:
        return to_raw(ref)
    except AddressError as exc:
        raise _fail(404, f"no account named or addressed {ref!r}") from exc


def _status(chain: DevnodeChain) -> dict[str, Any]:
    return {
        "head": chain.head.number,
        "head_timestamp": chain.head.timestamp,
        "solid": chain.solid.number,
        "speed": chain.clock.speed,
        "energy_fee": chain.params.energy_fee,
        "total_energy_weight": chain.energy_weight(),
        "accounts": len(chain.accounts),
    }


@routes.get("/_devnode/status")
async def status(request: web.Request) -> web.Response:
    """Head, solid, speed and fee."""
    chain = request.app[CHAIN]
    chain.catch_up()
    return web.json_response(_status(chain))


@routes.post("/_devnode/clock/advance")
async def advance(request: web.Request) -> web.Response:
    """{"seconds": N}: move chain time forward, producing every block in between."""
    chain = request.app[CHAIN]
    seconds = _number(await _body(request), "seconds", 0, 30 * 86_400)
    blocks = chain.advance(seconds)
    return web.json_response({"blocks_produced": blocks, **_status(chain)})


@routes.post("/_devnode/clock/speed")
async def speed(request: web.Request) -> web.Response:
    """{"speed": x}: chain seconds per wall second (0 freezes)."""
    chain = request.app[CHAIN]
    chain.catch_up()
    chain.clock.set_speed(_number(await _body(request), "speed", 0, 1000))
    return web.json_response(_status(chain))


@routes.post("/_devnode/params")
async def set_params(request: web.Request) -> web.Response:
    """{"energy_fee": sun, "other_energy_weight": trx, ...}: change chain parameters now."""
    chain = request.app[CHAIN]
    data = await _body(request)
    allowed = {"energy_fee", "transaction_fee", "other_energy_weight", "total_energy_limit", "max_fee_limit"}
    allowed.add("estimate_energy")  # a node setting (vm.estimateEnergy), not a chain parameter
    if not data or set(data) - allowed:
        raise _fail(422, f"fields must be among {sorted(allowed)}")
    if "estimate_energy" in data and not isinstance(data["estimate_energy"], bool):
        raise _fail(422, "estimate_energy must be true or false")
    for key in data:
        value = data[key] if key == "estimate_energy" else int(_number(data, key, 1, 1e15))
        setattr(chain.params, key, value)
    return web.json_response({k: getattr(chain.params, k) for k in sorted(allowed)})


@routes.post("/_devnode/energy-fee")
async def energy_fee(request: web.Request) -> web.Response:
    """{"sun": N}: set getEnergyFee."""
    chain = request.app[CHAIN]
    chain.params.energy_fee = int(_number(await _body(request), "sun", 1, 100_000))
    return web.json_response({"energy_fee": chain.params.energy_fee})


def account_view(chain: DevnodeChain, address: bytes) -> dict[str, Any]:
    """A control-API view of one account (no private key)."""
    acc = chain.accounts[address]
    return {
        "address": b58(address),
        "name": acc.name,
        "pool": acc.pool,
        "balance_sun": acc.balance,
        "usdt_units": chain.usdt.balances.get(address, 0),
        "frozen_energy_sun": acc.frozen_energy,
        "energy_limit": energy_limit_of(acc, chain.params, chain.energy_weight()),
        "energy_used": energy_used(acc, chain.head_slot),
    }


@routes.get("/_devnode/accounts")
async def list_accounts(request: web.Request) -> web.Response:
    """Every account the devnode knows."""
    chain = request.app[CHAIN]
    chain.catch_up()
    return web.json_response([account_view(chain, a) for a in chain.accounts])


@routes.post("/_devnode/accounts")
async def add_account(request: web.Request) -> web.Response:
    """Create or top up an account: the same fields as one entry of the accounts YAML."""
    chain = request.app[CHAIN]
    try:
        spec = spec_from_mapping(await _body(request), "account")
    except AccountsFileError as exc:
        raise _fail(422, str(exc)) from exc
    chain.catch_up()
    chain.add_account(spec)
    return web.json_response(account_view(chain, spec.address), status=201)


@routes.get("/_devnode/faults")
async def list_faults(request: web.Request) -> web.Response:
    """Active faults by path."""
    rules = request.app[FAULTS].rules
    return web.json_response({p: _fault(f) for p, f in rules.items()})


def _fault(f: Fault) -> dict[str, Any]:
    return {
        "latency_ms": f.latency_ms,
        "error_rate": f.error_rate,
        "error_status": f.error_status,
        "outage": f.outage,
    }


@routes.put("/_devnode/faults")
async def set_fault(request: web.Request) -> web.Response:
    """{"path": "/wallet/getaccountresource" | "getaccountresource" | "*", latency_ms, error_rate, outage}."""
    data = await _body(request)
    path = data.pop("path", None)
    if not isinstance(path, str) or not path:
        raise _fail(422, "path is required")
    try:
        fault = Fault.from_mapping(data)
    except ValueError as exc:
        raise _fail(422, str(exc)) from exc
    request.app[FAULTS].set(path, fault)
    return web.json_response({"path": path, **_fault(fault)})


@routes.delete("/_devnode/faults")
async def clear_faults(request: web.Request) -> web.Response:
    """Remove one fault (`?path=`) or all."""
    request.app[FAULTS].clear(request.query.get("path"))
    return web.json_response({"cleared": request.query.get("path", "*")})


@routes.post("/_devnode/traffic")
async def start_traffic(request: web.Request) -> web.Response:
    """{"pool": name|address, "transfers_per_hour": N, "new_recipient_ratio"?: 0..1, "amount_usdt_units"?}."""
    chain = request.app[CHAIN]
    data = await _body(request)
    address = _account_ref(chain, str(data.get("pool", "")))
    pool = chain.accounts.get(address)
    if pool is None:
        raise _fail(404, "no such pool account")
    per_hour = _number(data, "transfers_per_hour", 0, 1_000_000)
    ratio = _number(data, "new_recipient_ratio", 0, 1) if "new_recipient_ratio" in data else 0.0
    amount = int(_number(data, "amount_usdt_units", 1, 1e15)) if "amount_usdt_units" in data else 1_000_000
    try:
        gen = request.app[TRAFFIC].start(pool, per_hour, amount=amount, new_ratio=ratio)
    except ValueError as exc:
        raise _fail(422, str(exc)) from exc
    return web.json_response(gen.status(), status=201)


@routes.put("/_devnode/traffic")
async def schedule_traffic(request: web.Request) -> web.Response:
    """{"pool": name|address, "schedule": [24 transfers per hour, by UTC hour of chain time], ...}."""
    chain = request.app[CHAIN]
    data = await _body(request)
    pool = chain.accounts.get(_account_ref(chain, str(data.get("pool", ""))))
    if pool is None:
        raise _fail(404, "no such pool account")
    schedule = data.get("schedule")
    if not isinstance(schedule, list) or not all(
        isinstance(n, int | float) and not isinstance(n, bool) and 0 <= n <= 1_000_000 for n in schedule
    ):
        raise _fail(422, "schedule must be a list of 24 numbers in [0, 1000000]")
    ratio = _number(data, "new_recipient_ratio", 0, 1) if "new_recipient_ratio" in data else 0.0
    try:
        gen = request.app[TRAFFIC].start(pool, 0, new_ratio=ratio, schedule=[float(n) for n in schedule])
    except ValueError as exc:
        raise _fail(422, str(exc)) from exc
    return web.json_response(gen.status())


@routes.get("/_devnode/traffic")
async def list_traffic(request: web.Request) -> web.Response:
    """Running generators and their counts."""
    return web.json_response([g.status() for g in request.app[TRAFFIC].generators.values()])


@routes.delete("/_devnode/traffic/{pool}")
async def stop_traffic(request: web.Request) -> web.Response:
    """Stop a pool's generator."""
    chain = request.app[CHAIN]
    if not request.app[TRAFFIC].stop(_account_ref(chain, request.match_info["pool"])):
        raise _fail(404, "no traffic running for that pool")
    return web.json_response({"stopped": request.match_info["pool"]})


@routes.get("/_devnode/ground-truth")
async def ground_truth(request: web.Request) -> web.Response:
    """Energy each pool (or `?address=`) actually spent in the trailing 24 h of chain time."""
    chain = request.app[CHAIN]
    chain.catch_up()
    if "address" in request.query:
        addresses = [_account_ref(chain, request.query["address"])]
    else:
        addresses = [a.address for a in chain.accounts.values() if a.pool]
    out = {}
    for addr in addresses:
        total, staked, burned, count = chain.spent_last_day(addr)
        acc = chain.accounts.get(addr)
        out[b58(addr)] = {
            "name": acc.name if acc else "",
            "energy_total": total,
            "energy_from_stake": staked,
            "burned_sun": burned,
            "transactions": count,
        }
    return web.json_response({"window_seconds": 86_400, "head_timestamp": chain.head.timestamp, "pools": out})
