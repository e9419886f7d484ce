"""TronClient against a tiny fake java-tron HTTP endpoint (answer shapes: docs/tron.md#wire-format)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from prometheus_client import CollectorRegistry
from tronpy.keys import PrivateKey

from daemon.tron import (
    TronApiError,
    TronClient,
    TronClientOptions,
    TronUnavailable,
    resolve_endpoint,
)
from daemon.tron.options import USDT_CONTRACTS

USDT = USDT_CONTRACTS["mainnet"]
POOL = PrivateKey(bytes.fromhex("11" * 32)).public_key.to_base58check_address()
USER = PrivateKey(bytes.fromhex("22" * 32)).public_key.to_base58check_address()
UNKNOWN = PrivateKey(bytes.fromhex("33" * 32)).public_key.to_base58check_address()
TXID = "ab" * 32

# java-tron's shapes: zero fields omitted, `{}` for not found, HTTP 200 for business errors.
RESOURCE = {
    "freeNetLimit": 600,
    "TotalNetLimit": 43_200_000_000,
    "TotalNetWeight": 26_856_723_239,
    "EnergyUsed": 64_285,
    "EnergyLimit": 100_000,
    "TotalEnergyLimit": 180_000_000_000,
    "TotalEnergyWeight": 18_000_000_000,
}
ACCOUNT = {
    "address": POOL,
    "balance": 12_345_678,
    "frozenV2": [{}, {"type": "ENERGY", "amount": 10_000_000_000}, {"type": "TRON_POWER"}],
    "account_resource": {
        "energy_usage": 64_285,
        "latest_consume_time_for_energy": 1_777_444_809_000,
        "energy_window_size": 28_800_000,
        "energy_window_optimized": True,
    },
}
CHAIN_PARAMETERS = {
    "chainParameter": [
        {"key": "getTransactionFee", "value": 1000},
        {"key": "getEnergyFee", "value": 100},
        {"key": "getAllowUpdateAccountName"},  # zero value omitted
    ]
}
LACK_OF_RESOURCES = {"Error": "class java.lang.IllegalAccessException : lack of computing resources"}

Step = Callable[[web.Request], Awaitable[web.StreamResponse]]


def status(code: int, body: bytes = b"bad gateway") -> Step:
    async def step(request: web.Request) -> web.StreamResponse:
        return web.Response(status=code, body=body)

    return step


def reset() -> Step:
    async def step(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.abort()  # the client sees the connection drop without a response
        return web.Response()

    return step


def slow(seconds: float) -> Step:
    async def step(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(seconds)
        return web.json_response(RESOURCE)

    return step


def answer(payload: Any) -> Step:
    async def step(request: web.Request) -> web.StreamResponse:
        return web.json_response(payload)

    return step


@dataclass
class Call:
    path: str
    at: float
    body: dict[str, Any]
    api_key: str | None


@dataclass
class FakeNode:
    """Serves /wallet/* and /walletsolidity/*; scripted steps per path run first, then the default."""

    calls: list[Call] = field(default_factory=list)
    script: dict[str, list[Step]] = field(default_factory=dict)

    def then(self, path: str, *steps: Step) -> None:
        self.script.setdefault(path, []).extend(steps)

    def paths(self) -> list[str]:
        return [c.path for c in self.calls]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path.lstrip("/")
        body = await request.json() if request.can_read_body else {}
        self.calls.append(Call(path, time.monotonic(), body, request.headers.get("TRON-PRO-API-KEY")))
        steps = self.script.get(path)
        if steps:
            return await steps.pop(0)(request)
        return web.json_response(self.default(path, body))

    def default(self, path: str, body: dict[str, Any]) -> Any:
        name = path.rpartition("/")[2]
        if name in ("getaccount", "getaccountresource"):
            if body.get("address") != POOL:
                return {}
            return ACCOUNT if name == "getaccount" else RESOURCE
        if name == "getchainparameters":
            return CHAIN_PARAMETERS
        if name == "getnodeinfo":
            return {"block": f"Num:4242,ID:{'00' * 32}", "solidityBlock": f"Num:4224,ID:{'00' * 32}"}
        if name in ("gettransactionbyid", "gettransactioninfobyid"):
            return {}
        return {"Error": f"class java.lang.IllegalArgumentException : no fake for {path}"}


@pytest.fixture
async def node(aiohttp_server: Callable[..., Awaitable[TestServer]]) -> AsyncIterator[tuple[FakeNode, str]]:
    fake = FakeNode()
    app = web.Application()
    app.router.add_post("/{prefix:wallet|walletsolidity}/{name}", fake.handle)
    server = await aiohttp_server(app)
    yield fake, str(server.make_url("/"))


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


def make_client(url: str, registry: CollectorRegistry, **kw: Any) -> TronClient:
    opts: dict[str, Any] = {"timeout": 2.0, "retries": 2, "rps": 0.0, "backoff": 0.01, "backoff_max": 0.02}
    opts.update(kw)
    return TronClient(TronClientOptions(network=url, **opts), registry=registry)


def count(registry: CollectorRegistry, method: str, outcome: str) -> float:
    value = registry.get_sample_value("tronwatch_tron_requests_total", {"method": method, "outcome": outcome})
    return value or 0.0


# ---- options ---------------------------------------------------------------------------------------------


def test_endpoint_resolution_avoids_urljoin_trap() -> None:
    assert resolve_endpoint("mainnet") == "https://api.trongrid.io/"
    assert resolve_endpoint("nile") == "https://nile.trongrid.io/"
    assert resolve_endpoint("shasta") == "https://api.shasta.trongrid.io/"
    # docs/tron.md#tronpy: without the slash urljoin("http://h/prefix", "wallet/x") drops "prefix"
    assert resolve_endpoint("http://127.0.0.1:18090/prefix") == "http://127.0.0.1:18090/prefix/"
    assert resolve_endpoint("http://127.0.0.1:18090/") == "http://127.0.0.1:18090/"
    for bad in ("ropsten", "ftp://x/", "http://", "http://h/?a=1"):
        with pytest.raises(ValueError):
            resolve_endpoint(bad)
    with pytest.raises(ValueError):
        TronClientOptions(network="mainnet", timeout=0)
    assert "secret" not in repr(TronClientOptions(network="mainnet", api_keys=("secret",)))


def test_usdt_contract_per_network_and_configured() -> None:
    nile_usdt = USDT_CONTRACTS["nile"]
    assert TronClientOptions(network="nile").usdt == nile_usdt
    url = TronClientOptions(network="https://nile.trongrid.io/")
    assert url.usdt == USDT and "set tron.usdt_contract" in url.usdt_source
    configured = TronClientOptions(network="https://nile.trongrid.io/", usdt_contract=nile_usdt)
    assert configured.usdt == nile_usdt and configured.usdt_source == "configured tron.usdt_contract"
    assert TronClientOptions(network="shasta", usdt_contract=nile_usdt).usdt == nile_usdt
    with pytest.raises(ValueError, match="shasta"):
        TronClientOptions(network="shasta")  # at construction, not at the first estimate
    with pytest.raises(ValueError, match="base58check"):
        TronClientOptions(network="mainnet", usdt_contract="41" + "00" * 20)


async def test_prefixed_url_keeps_its_path(
    aiohttp_server: Callable[..., Awaitable[TestServer]], registry: CollectorRegistry
) -> None:
    fake = FakeNode()
    app = web.Application()
    app.router.add_post("/jsonrpc-proxy/{prefix:wallet|walletsolidity}/{name}", fake.handle)
    server = await aiohttp_server(app)
    url = str(server.make_url("/jsonrpc-proxy"))  # no trailing slash on purpose
    async with make_client(url, registry) as client:
        assert await client.get_energy_fee() == 100
    assert fake.paths() == ["jsonrpc-proxy/wallet/getchainparameters"]


# ---- reads -----------------------------------------------------------------------------------------------


async def test_account_reads_and_unknown_account(
    node: tuple[FakeNode, str], registry: CollectorRegistry
) -> None:
    fake, url = node
    async with make_client(url, registry) as client:
        assert await client.get_account(POOL) == ACCOUNT
        assert await client.get_account(UNKNOWN) is None
        assert await client.get_account_resource(POOL) == RESOURCE
        assert await client.get_account_resource(UNKNOWN) == {}
        with pytest.raises(ValueError):
            await client.get_account("not-an-address")
    assert fake.calls[0].body == {"address": POOL, "visible": True}
    assert count(registry, "getaccount", "ok") == 2
    assert count(registry, "getaccountresource", "ok") == 2


async def test_chain_parameters_and_block(node: tuple[FakeNode, str], registry: CollectorRegistry) -> None:
    _, url = node
    async with make_client(url, registry) as client:
        params = await client.get_chain_parameters()
        assert params == {"getTransactionFee": 1000, "getEnergyFee": 100, "getAllowUpdateAccountName": 0}
        assert await client.get_energy_fee() == 100
        assert await client.get_now_block_number() == 4242


async def test_energy_fee_missing_is_an_error(
    node: tuple[FakeNode, str], registry: CollectorRegistry
) -> None:
    fake, url = node
    fake.then(
        "wallet/getchainparameters", answer({"chainParameter": [{"key": "getTransactionFee", "value": 1}]})
    )
    async with make_client(url, registry) as client:
        with pytest.raises(TronApiError):
            await client.get_energy_fee()


async def test_now_block_falls_back_to_getnowblock(
    node: tuple[FakeNode, str], registry: CollectorRegistry
) -> None:
    fake, url = node
    fake.then("wallet/getnodeinfo", answer({}))
    fake.then(
        "wallet/getnowblock", answer({"blockID": "00" * 32, "block_header": {"raw_data": {"number": 77}}})
    )
    async with make_client(url, registry) as client:
        assert await client.get_now_block_number() == 77


async def test_solid_transaction_none_until_solid(
    node: tuple[FakeNode, str], registry: CollectorRegistry
) -> None:
    fake, url = node
    info = {
        "id": TXID,
        "blockNumber": 10_163_821,
        "blockTimeStamp": 1_603_368_072_000,
        "receipt": {"net_usage": 283},
    }
    tx = {"ret": [{"contractRet": "SUCCESS"}], "txID": TXID, "raw_data": {"contract": []}}
    async with make_client(url, registry) as client:
        assert await client.get_solid_transaction(TXID) is None
        assert await client.get_solid_transaction_info(TXID) is None
        fake.then("walletsolidity/gettransactionbyid", answer(tx))
        fake.then("walletsolidity/gettransactioninfobyid", answer(info))
        assert await client.get_solid_transaction(TXID) == tx
        assert await client.get_solid_transaction_info(TXID.upper()) == info
        with pytest.raises(ValueError):
            await client.get_solid_transaction("abc")
    assert fake.calls[-1].body == {"value": TXID, "visible": True}
    assert count(registry, "walletsolidity/gettransactioninfobyid", "ok") == 2


async def test_estimate_usdt_transfer_energy(node: tuple[FakeNode, str], registry: CollectorRegistry) -> None:
    fake, url = node
    fake.then(
        "wallet/triggerconstantcontract",
        answer({"result": {"result": True}, "energy_used": 130_285, "constant_result": ["00" * 32]}),
    )
    async with make_client(url, registry) as client:
        assert await client.estimate_usdt_transfer_energy(POOL, USER, 1_000_000) == 130_285
    body = fake.calls[-1].body
    assert body["owner_address"] == POOL
    assert body["contract_address"] == USDT
    assert body["function_selector"] == "transfer(address,uint256)"
    to_word, amount_word = body["parameter"][:64], body["parameter"][64:]
    assert len(body["parameter"]) == 128
    assert to_word == "0" * 24 + PrivateKey(bytes.fromhex("22" * 32)).public_key.to_hex_address()[2:]
    assert int(amount_word, 16) == 1_000_000


async def test_estimate_revert_is_an_api_error(
    node: tuple[FakeNode, str], registry: CollectorRegistry
) -> None:
    fake, url = node
    fake.then(
        "wallet/triggerconstantcontract",
        answer({"result": {"result": True, "message": "REVERT opcode executed"}, "energy_used": 900}),
    )
    async with make_client(url, registry) as client:
        with pytest.raises(TronApiError, match="REVERT"):
            await client.estimate_usdt_transfer_energy(POOL, USER, 10**12)


async def test_raw_tronpy_goes_through_the_same_pipe(
    node: tuple[FakeNode, str], registry: CollectorRegistry
) -> None:
    _, url = node
    async with make_client(url, registry) as client:
        assert await client.raw.get_account_balance(POOL) == Decimal("12.345678")
        assert client.raw.conf["fee_limit"] == 30_000_000  # not tronpy's 10 TRX (docs/tron.md#fee-limit)
    assert count(registry, "getaccount", "ok") == 1


# ---- retries ---------------------------------------------------------------------------------------------


async def test_retries_502_then_succeeds(node: tuple[FakeNode, str], registry: CollectorRegistry) -> None:
    fake, url = node
    fake.then("wallet/getaccountresource", status(502), status(503))
    async with make_client(url, registry, retries=2) as client:
        assert await client.get_account_resource(POOL) == RESOURCE
    assert fake.paths() == ["wallet/getaccountresource"] * 3
    assert count(registry, "getaccountresource", "transport_error") == 2
    assert count(registry, "getaccountresource", "ok") == 1
    duration = registry.get_sample_value(
        "tronwatch_tron_request_duration_seconds_count", {"method": "getaccountresource"}
    )
    assert duration == 3


async def test_retries_connection_reset_then_succeeds(
    node: tuple[FakeNode, str], registry: CollectorRegistry
) -> None:
    fake, url = node
    fake.then("wallet/getaccount", reset())
    async with make_client(url, registry, retries=1) as client:
        assert await client.get_account(POOL) == ACCOUNT
    assert len(fake.calls) == 2
    assert count(registry, "getaccount", "transport_error") == 1
    assert count(registry, "getaccount", "ok") == 1


async def test_gives_up_after_bounded_retries(
    node: tuple[FakeNode, str], registry: CollectorRegistry
) -> None:
    fake, url = node
    fake.then("wallet/getaccountresource", *(status(502) for _ in range(5)))
    async with make_client(url, registry, retries=2) as client:
        with pytest.raises(TronUnavailable):
            await client.get_account_resource(POOL)
    assert len(fake.calls) == 3
    assert count(registry, "getaccountresource", "transport_error") == 3


async def test_no_retry_on_business_error(node: tuple[FakeNode, str], registry: CollectorRegistry) -> None:
    fake, url = node
    fake.then("wallet/getaccountresource", answer(LACK_OF_RESOURCES))
    async with make_client(url, registry, retries=2) as client:
        with pytest.raises(TronApiError, match="lack of computing resources"):
            await client.get_account_resource(POOL)
    assert len(fake.calls) == 1
    assert count(registry, "getaccountresource", "error") == 1
    assert count(registry, "getaccountresource", "transport_error") == 0


async def test_no_retry_on_client_error_status(
    node: tuple[FakeNode, str], registry: CollectorRegistry
) -> None:
    fake, url = node
    fake.then("wallet/getaccount", status(400, b"bad request"))
    async with make_client(url, registry, retries=2) as client:
        with pytest.raises(TronApiError, match="HTTP 400"):
            await client.get_account(POOL)
    assert len(fake.calls) == 1
    assert count(registry, "getaccount", "error") == 1


async def test_broadcast_is_not_resent_after_a_server_error(
    node: tuple[FakeNode, str], registry: CollectorRegistry
) -> None:
    # A lost broadcast response must not become DUP_TRANSACTION_ERROR on a resend.
    fake, url = node
    fake.then("wallet/broadcasttransaction", status(502), answer({"result": True, "txid": TXID}))
    async with make_client(url, registry, retries=2) as client:
        with pytest.raises(TronUnavailable):
            await client.raw.provider.make_request("wallet/broadcasttransaction", {"txID": TXID})
    assert len(fake.calls) == 1


async def test_tronpy_business_error_is_counted(
    node: tuple[FakeNode, str], registry: CollectorRegistry
) -> None:
    fake, url = node
    sigerror = {"code": "SIGERROR", "message": b"validate signature error".hex(), "txid": TXID}
    fake.then("wallet/broadcasttransaction", answer(sigerror))
    async with make_client(url, registry) as client:
        payload = await client.raw.provider.make_request("wallet/broadcasttransaction", {"txID": TXID})
    assert payload == sigerror
    assert count(registry, "broadcasttransaction", "error") == 1


async def test_timeout_is_counted_as_timeout(node: tuple[FakeNode, str], registry: CollectorRegistry) -> None:
    fake, url = node
    fake.then("wallet/getaccountresource", slow(1.0), slow(1.0))
    async with make_client(url, registry, timeout=0.1, retries=1) as client:
        started = time.monotonic()
        with pytest.raises(TronUnavailable, match="timeout"):
            await client.get_account_resource(POOL)
        assert time.monotonic() - started < 0.9  # the per-call timeout, not the server's delay
    assert len(fake.calls) == 2
    assert count(registry, "getaccountresource", "timeout") == 2
    assert count(registry, "getaccountresource", "ok") == 0


# ---- rate cap and keys -----------------------------------------------------------------------------------


async def test_rps_cap_spaces_calls(node: tuple[FakeNode, str], registry: CollectorRegistry) -> None:
    fake, url = node
    async with make_client(url, registry, rps=20.0) as client:
        started = time.monotonic()
        await asyncio.gather(*(client.get_account_resource(POOL) for _ in range(6)))
    stamps = sorted(c.at for c in fake.calls)
    # 20 rps, burst 1 -> the i-th request cannot be sent before started + i × 50 ms. Load only delays
    # arrivals, so this lower bound holds on a busy machine too (5 ms slack for timer granularity).
    for i, at in enumerate(stamps):
        assert at - started >= i * 0.05 - 0.005, (i, at - started)


async def test_no_cap_when_rps_zero(node: tuple[FakeNode, str], registry: CollectorRegistry) -> None:
    fake, url = node
    async with make_client(url, registry, rps=0.0) as client:
        started = time.monotonic()
        await asyncio.gather(*(client.get_account_resource(POOL) for _ in range(10)))
        assert time.monotonic() - started < 1.0
    assert len(fake.calls) == 10


async def test_api_keys_rotate_and_skip_exhausted(
    node: tuple[FakeNode, str], registry: CollectorRegistry
) -> None:
    fake, url = node
    exhausted = status(403, b'{"Error":"Exceed the user daily usage (100000), ..."}')
    async with make_client(url, registry, api_keys=("k1", "k2", "k3")) as client:
        await client.get_account_resource(POOL)
        await client.get_account_resource(POOL)
        fake.then("wallet/getaccountresource", exhausted)
        assert await client.get_account_resource(POOL) == RESOURCE  # k3 over quota -> retried with k1
        await client.get_account_resource(POOL)
        await client.get_account_resource(POOL)
    # round robin k1, k2, k3(403), k1; then k3 stays out of rotation
    assert [c.api_key for c in fake.calls] == ["k1", "k2", "k3", "k1", "k2", "k1"]
    assert count(registry, "getaccountresource", "error") == 1


async def test_no_api_key_header_without_keys(
    node: tuple[FakeNode, str], registry: CollectorRegistry
) -> None:
    fake, url = node
    async with make_client(url, registry) as client:
        await client.get_account_resource(POOL)
    assert fake.calls[0].api_key is None  # and never tronpy's shared public keys


async def test_all_keys_exhausted(node: tuple[FakeNode, str], registry: CollectorRegistry) -> None:
    fake, url = node
    exhausted = status(403, b'{"Error":"Exceed the user daily usage (100000)"}')
    fake.then("wallet/getaccountresource", exhausted, exhausted)
    async with make_client(url, registry, api_keys=("k1", "k2")) as client:
        with pytest.raises(TronApiError, match="daily quota"):
            await client.get_account_resource(POOL)
    assert len(fake.calls) == 2
