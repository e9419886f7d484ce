"""Solidified blocks and the TRX transfers in them (java-tron block JSON; see docs/payments.md)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from tronpy import keys

from daemon.tron.client import TronClient
from daemon.tron.errors import TronApiError

__all__ = ["Transfer", "block_number", "hex_address", "solid_block", "solid_head", "transfers_to"]


@dataclass(frozen=True, slots=True)
class Transfer:
    """A successful TransferContract: addresses in hex (41…), amount in sun."""

    txid: str
    owner: str
    to: str
    amount: int
    block: int


async def solid_head(client: TronClient) -> dict[str, Any]:
    """walletsolidity/getnowblock: the latest solidified block (addresses hex: `visible` is query-only)."""
    # Through the client's solidity path, so a separate solidity endpoint serves it once configured.
    block = await client._lookup("walletsolidity/getnowblock", {})
    if "block_header" not in block:
        raise TronApiError("walletsolidity/getnowblock: no block")
    return block


async def solid_block(client: TronClient, number: int) -> dict[str, Any] | None:
    """walletsolidity/getblockbynum with hex addresses; None when the block is not solid yet (`{}`)."""
    block = await client._lookup("walletsolidity/getblockbynum", {"num": number, "visible": False})
    return block or None


def block_number(block: dict[str, Any]) -> int:
    """The block's number (java-tron omits it, as a zero, for genesis)."""
    return int(block.get("block_header", {}).get("raw_data", {}).get("number", 0))


def hex_address(value: Any) -> str:
    """An address as lowercase hex (41…), from hex or base58; "" when it is neither."""
    text = str(value or "")
    if len(text) == 34 and text.startswith("T"):
        try:
            return str(keys.to_hex_address(text))
        except ValueError:
            return ""
    return text.lower()


def transfers_to(block: dict[str, Any], recipients: Collection[str]) -> list[Transfer]:
    """The block's successful plain TRX transfers to any of `recipients` (hex addresses)."""
    number = block_number(block)
    found: list[Transfer] = []
    for tx in block.get("transactions") or ():
        contracts: list[dict[str, Any]] = (tx.get("raw_data") or {}).get("contract") or []
        if len(contracts) != 1 or contracts[0].get("type") != "TransferContract":
            continue
        value = (contracts[0].get("parameter") or {}).get("value") or {}
        to = hex_address(value.get("to_address"))
        if to not in recipients or (tx.get("ret") or [{}])[0].get("contractRet") != "SUCCESS":
            continue
        amount = int(value.get("amount", 0))
        if amount > 0:
            found.append(
                Transfer(str(tx["txID"]).lower(), hex_address(value.get("owner_address")), to, amount, number)
            )
    return found
