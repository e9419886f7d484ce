"""TronClient: a thin typed wrapper over tronpy's AsyncTron, on a full node and its solidity endpoint."""

from __future__ import annotations

import functools
from collections.abc import Awaitable
from types import TracebackType
from typing import Any, Self, TypeVar

from prometheus_client import CollectorRegistry
from tronpy import AsyncTron, keys
from tronpy.exceptions import (
    ApiError,
    BugInJavaTron,
    TransactionError,
    TvmError,
    UnknownError,
    ValidationError,
)

from daemon import __version__
from daemon.tron.errors import TronApiError
from daemon.tron.options import TronClientOptions
from daemon.tron.transport import InstrumentedProvider, TronMetrics, is_business_error, method_label

__all__ = ["TronClient"]

_T = TypeVar("_T")
# tronpy turns java-tron's HTTP-200 errors into these; callers see one TronApiError instead.
_TRONPY_API_ERRORS = (ApiError, BugInJavaTron, TransactionError, TvmError, UnknownError, ValidationError)
_TRANSFER_SELECTOR = "transfer(address,uint256)"


class TronClient:
    """One node connection: rate-capped, retried on transport errors, measured on `registry`.

    `/wallet/*` goes to `options.endpoint`, `/walletsolidity/*` to `options.solidity_endpoint`
    (the same URL on TronGrid, port 8091 on a java-tron node): use `solidity()` for any solidified
    read, so it follows `tron.solidity_url`.
    """

    def __init__(self, options: TronClientOptions, *, registry: CollectorRegistry) -> None:
        self.options = options
        self.metrics = TronMetrics(registry)
        # Our own transport (aiohttp), so timeouts, headers and the connection pool are ours, not tronpy's.
        self._provider = InstrumentedProvider(options, self.metrics, f"tronwatch/{__version__}")
        self._tron = AsyncTron(self._provider, conf={"fee_limit": options.fee_limit_sun})

    @property
    def raw(self) -> AsyncTron:
        """The underlying tronpy client (same rate cap, retries and metrics)."""
        return self._tron

    @property
    def solidity_endpoint(self) -> str:
        """Base URL that answers `/walletsolidity/*`."""
        return self.options.solidity_endpoint

    async def solidity(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST `walletsolidity/<method>` to the solidity endpoint; `{}` is not found (or not solid yet)."""
        return await self._lookup(f"walletsolidity/{method}", body)

    async def close(self) -> None:
        """Close the HTTP connection pool."""
        await self._provider.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def get_account(self, addr: str) -> dict[str, Any] | None:
        """wallet/getaccount as java-tron's dict, or None when the account does not exist on chain."""
        return await self._lookup("wallet/getaccount", {"address": _b58(addr), "visible": True}) or None

    async def get_account_resource(self, addr: str) -> dict[str, Any]:
        """wallet/getaccountresource as java-tron's dict (zero fields omitted); `{}` for unknown accounts."""
        return await self._lookup("wallet/getaccountresource", {"address": _b58(addr), "visible": True})

    async def get_delegation_index(self, addr: str) -> dict[str, Any]:
        """wallet/getdelegatedresourceaccountindexv2: `fromAccounts` delegate to addr; it to `toAccounts`."""
        return await self._lookup(
            "wallet/getdelegatedresourceaccountindexv2", {"value": _b58(addr), "visible": True}
        )

    async def get_delegated_resource(self, frm: str, to: str) -> list[dict[str, Any]]:
        """wallet/getdelegatedresourcev2: the pair's unlocked and locked records (none: `[]`)."""
        body = {"fromAddress": _b58(frm), "toAddress": _b58(to), "visible": True}
        ret = await self._lookup("wallet/getdelegatedresourcev2", body)
        records = ret.get("delegatedResource", [])
        return [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []

    async def get_chain_parameters(self) -> dict[str, int]:
        """wallet/getchainparameters as key -> value, omitted values as 0 (docs/tron.md#wire-format)."""
        ret = await self._lookup("wallet/getchainparameters", {"visible": True})
        return {str(p["key"]): int(p.get("value", 0)) for p in ret.get("chainParameter", []) if "key" in p}

    async def get_energy_fee(self) -> int:
        """Current getEnergyFee in sun per energy (420 -> 210 -> 100 so far: docs/tron.md#energy-prices)."""
        params = await self.get_chain_parameters()
        if "getEnergyFee" not in params:
            raise TronApiError("getchainparameters: no getEnergyFee")
        return params["getEnergyFee"]

    async def get_now_block_number(self) -> int:
        """Head block number from wallet/getnodeinfo `block: "Num:<n>,ID:<hex>"` (docs/tron.md#tronpy)."""
        info = await self._lookup("wallet/getnodeinfo", {})
        try:
            return int(str(info["block"]).split(",ID:", 1)[0].removeprefix("Num:"))
        except (KeyError, ValueError):
            # Some providers leave getnodeinfo out; the head block header carries the number too.
            block = await self._lookup("wallet/getnowblock", {"visible": True})
            try:
                return int(block["block_header"]["raw_data"]["number"])
            except (KeyError, TypeError, ValueError) as exc:
                raise TronApiError("no head block number in getnodeinfo or getnowblock") from exc

    async def get_solid_block_number(self) -> int:
        """Latest solidified block number: walletsolidity/getnowblock on the solidity endpoint."""
        block = await self.solidity("getnowblock", {})
        try:
            return int(block["block_header"]["raw_data"]["number"])
        except (KeyError, TypeError, ValueError) as exc:
            raise TronApiError("walletsolidity/getnowblock: no block number") from exc

    async def get_transaction(self, txid: str) -> dict[str, Any] | None:
        """wallet/gettransactionbyid on the full node (in a block, solid or not), or None if unknown."""
        ret = await self._lookup("wallet/gettransactionbyid", {"value": _txid(txid), "visible": True})
        return ret or None

    async def contract_exists(self, addr: str) -> bool:
        """wallet/getcontract answers `{}` when no contract lives at `addr` (docs/tron.md#tronpy)."""
        return bool(await self._lookup("wallet/getcontract", {"value": _b58(addr), "visible": True}))

    async def estimate_usdt_transfer_energy(self, owner: str, to: str, amount: int) -> int:
        """Energy of a USDT `transfer(to, amount)` from `owner`: triggerconstantcontract (docs/tron.md)."""
        if amount < 0:
            raise ValueError("amount must be >= 0")
        # ABI: address as 32-byte word (20-byte body without the 0x41 prefix), then uint256 amount.
        parameter = keys.to_hex_address(to)[2:].rjust(64, "0") + format(amount, "064x")
        ret = await _api(
            self._tron.trigger_constant_contract(owner, self.options.usdt, _TRANSFER_SELECTOR, parameter)
        )
        if ret.get("result", {}).get("result") is not True:
            raise TronApiError(f"triggerconstantcontract: {ret.get('result')!r}")
        return int(ret.get("energy_used", 0))

    async def get_solid_transaction(self, txid: str) -> dict[str, Any] | None:
        """walletsolidity/gettransactionbyid, or None until the transaction is solidified."""
        return await self.solidity("gettransactionbyid", {"value": _txid(txid), "visible": True}) or None

    async def get_solid_transaction_info(self, txid: str) -> dict[str, Any] | None:
        """walletsolidity/gettransactioninfobyid, or None until the transaction is solidified."""
        return await self.solidity("gettransactioninfobyid", {"value": _txid(txid), "visible": True}) or None

    async def _lookup(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST through the instrumented provider; `{}` means not found, HTTP-200 errors raise."""
        payload = await self._provider.make_request(path, body)
        if is_business_error(payload):
            raise TronApiError(f"{method_label(path)}: {payload.get('Error') or payload}")
        return payload


@functools.lru_cache(maxsize=4096)
def _b58(addr: str) -> str:
    """Validate and normalise an address to base58 (tronpy raises BadAddress, a ValueError).

    Cached: a scrape asks for the same pool addresses every cycle, and the checksum costs two SHA-256s.
    """
    return str(keys.to_base58check_address(addr))


def _txid(txid: str) -> str:
    """A transaction id is 64 hex characters."""
    if len(txid) != 64:
        raise ValueError("transaction id must be 64 hex characters")
    bytes.fromhex(txid)  # raises ValueError on non-hex
    return txid.lower()


async def _api(call: Awaitable[_T]) -> _T:
    """Await a tronpy call, re-raising its node-side errors as TronApiError."""
    try:
        return await call
    except _TRONPY_API_ERRORS as exc:
        raise TronApiError(str(exc)) from exc
