"""Minimal protobuf encoding of java-tron's Transaction.raw and BlockHeader.raw (txID, block id)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from daemon.tron.addresses import to_raw

# Transaction.Contract.ContractType numbers (Tron.proto; tronpy/proto/tron.proto).
CONTRACT_TYPES: dict[str, int] = {
    "AccountCreateContract": 0,
    "TransferContract": 1,
    "TransferAssetContract": 2,
    "VoteWitnessContract": 4,
    "AccountUpdateContract": 10,
    "FreezeBalanceContract": 11,
    "UnfreezeBalanceContract": 12,
    "WithdrawBalanceContract": 13,
    "CreateSmartContract": 30,
    "TriggerSmartContract": 31,
    "AccountPermissionUpdateContract": 46,
    "FreezeBalanceV2Contract": 54,
    "UnfreezeBalanceV2Contract": 55,
    "WithdrawExpireUnfreezeContract": 56,
    "DelegateResourceContract": 57,
    "UnDelegateResourceContract": 58,
}
RESOURCE_CODES = {"BANDWIDTH": 0, "ENERGY": 1, "TRON_POWER": 2}


class ProtoError(ValueError):
    """The JSON cannot be encoded as the protobuf message it claims to be."""


def varint(value: int) -> bytes:
    """Base-128 varint; negative int64 as two's complement (10 bytes), like protobuf."""
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def f_int(field: int, value: int) -> bytes:
    """A varint field; proto3 omits zero."""
    return varint(field << 3) + varint(value) if value else b""


def f_bytes(field: int, value: bytes) -> bytes:
    """A length-delimited field; proto3 omits empty."""
    return varint(field << 3 | 2) + varint(len(value)) + value if value else b""


def f_msg(field: int, value: bytes) -> bytes:
    """An embedded message field (written even when empty, as a set sub-message is)."""
    return varint(field << 3 | 2) + varint(len(value)) + value


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    raise ProtoError(f"expected an integer, got {value!r}")


def _hex(value: Any) -> bytes:
    if not value:
        return b""
    try:
        return bytes.fromhex(str(value))
    except ValueError as exc:
        raise ProtoError(f"expected hex, got {value!r}") from exc


def _addr(value: Any) -> bytes:
    return to_raw(str(value)) if value else b""


def _resource(value: Any) -> int:
    if isinstance(value, int):
        return value
    if value in RESOURCE_CODES:
        return RESOURCE_CODES[str(value)]
    raise ProtoError(f"unknown resource {value!r}")


def _transfer(v: dict[str, Any]) -> bytes:
    return (
        f_bytes(1, _addr(v.get("owner_address")))
        + f_bytes(2, _addr(v.get("to_address")))
        + f_int(3, _int(v.get("amount", 0)))
    )


def _trigger(v: dict[str, Any]) -> bytes:
    return (
        f_bytes(1, _addr(v.get("owner_address")))
        + f_bytes(2, _addr(v.get("contract_address")))
        + f_int(3, _int(v.get("call_value", 0)))
        + f_bytes(4, _hex(v.get("data")))
        + f_int(5, _int(v.get("call_token_value", 0)))
        + f_int(6, _int(v.get("token_id", 0)))
    )


def _freeze_v2(v: dict[str, Any]) -> bytes:
    return (
        f_bytes(1, _addr(v.get("owner_address")))
        + f_int(2, _int(v.get("frozen_balance", 0)))
        + f_int(3, _resource(v.get("resource", 0)))
    )


def _unfreeze_v2(v: dict[str, Any]) -> bytes:
    return (
        f_bytes(1, _addr(v.get("owner_address")))
        + f_int(2, _int(v.get("unfreeze_balance", 0)))
        + f_int(3, _resource(v.get("resource", 0)))
    )


def _delegate(v: dict[str, Any]) -> bytes:
    return (
        f_bytes(1, _addr(v.get("owner_address")))
        + f_int(2, _resource(v.get("resource", 0)))
        + f_int(3, _int(v.get("balance", 0)))
        + f_bytes(4, _addr(v.get("receiver_address")))
        + f_int(5, _int(v.get("lock", False)))
        + f_int(6, _int(v.get("lock_period", 0)))
    )


def _owner_only(v: dict[str, Any]) -> bytes:
    return f_bytes(1, _addr(v.get("owner_address")))


_ENCODERS: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "TransferContract": _transfer,
    "TriggerSmartContract": _trigger,
    "FreezeBalanceV2Contract": _freeze_v2,
    "UnfreezeBalanceV2Contract": _unfreeze_v2,
    "DelegateResourceContract": _delegate,
    "UnDelegateResourceContract": _delegate,
    "WithdrawExpireUnfreezeContract": _owner_only,
}


def encode_contract(contract: dict[str, Any]) -> bytes:
    """Transaction.Contract{type=1, parameter(Any)=2, Permission_id=5}."""
    ctype = contract.get("type")
    if not isinstance(ctype, str) or ctype not in _ENCODERS:
        raise ProtoError(f"contract type {ctype!r} is not supported by the devnode")
    param = contract.get("parameter") or {}
    value = param.get("value") or {}
    if not isinstance(value, dict):
        raise ProtoError("parameter.value must be an object")
    type_url = str(param.get("type_url") or f"type.googleapis.com/protocol.{ctype}")
    any_msg = f_bytes(1, type_url.encode()) + f_bytes(2, _ENCODERS[ctype](value))
    return (
        f_int(1, CONTRACT_TYPES[ctype]) + f_msg(2, any_msg) + f_int(5, _int(contract.get("Permission_id", 0)))
    )


def encode_raw(raw: dict[str, Any]) -> bytes:
    """Transaction.raw in field-number order: 1, 3, 4, 8, 10, 11, 14, 18."""
    contracts = raw.get("contract")
    if not isinstance(contracts, list) or not contracts:
        raise ProtoError("raw_data.contract must be a non-empty list")
    out = (
        f_bytes(1, _hex(raw.get("ref_block_bytes")))
        + f_int(3, _int(raw.get("ref_block_num", 0)))
        + f_bytes(4, _hex(raw.get("ref_block_hash")))
        + f_int(8, _int(raw.get("expiration", 0)))
        + f_bytes(10, _hex(raw.get("data")))
    )
    for contract in contracts:
        if not isinstance(contract, dict):
            raise ProtoError("each contract must be an object")
        out += f_msg(11, encode_contract(contract))
    return out + f_int(14, _int(raw.get("timestamp", 0))) + f_int(18, _int(raw.get("fee_limit", 0)))


def txid_of(raw_bytes: bytes) -> str:
    """txID = sha256 of the serialized raw_data (tron.md §1, calculate_txid_from_raw_data)."""
    return hashlib.sha256(raw_bytes).hexdigest()


def transaction_size(raw_bytes: bytes, signatures: list[bytes]) -> int:
    """Serialized Transaction size with ret cleared (what BandwidthProcessor charges, before +64)."""
    return len(f_msg(1, raw_bytes)) + sum(len(f_bytes(2, sig)) for sig in signatures)


def block_header_raw(
    number: int, timestamp: int, tx_trie_root: bytes, parent_hash: bytes, witness: bytes, version: int
) -> bytes:
    """BlockHeader.raw{timestamp=1, txTrieRoot=2, parentHash=3, number=7, witness_address=9, version=10}."""
    return (
        f_int(1, timestamp)
        + f_bytes(2, tx_trie_root)
        + f_bytes(3, parent_hash)
        + f_int(7, number)
        + f_bytes(9, witness)
        + f_int(10, version)
    )


def block_id(number: int, header_raw: bytes) -> bytes:
    """BlockId: 8-byte big-endian number followed by the tail of sha256(header raw)."""
    return number.to_bytes(8, "big") + hashlib.sha256(header_raw).digest()[8:]


def merkle_root(leaves: list[bytes]) -> bytes:
    """Pairwise sha256 tree, an odd node carried up (java-tron MerkleTree); 32 zero bytes if empty."""
    if not leaves:
        return bytes(32)
    level = leaves
    while len(level) > 1:
        nxt = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]
