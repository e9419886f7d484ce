"""Broadcast and getsignweight: decode, verify like Manager.pushTransaction, then execute."""

from __future__ import annotations

import logging
import time
from typing import Any

from daemon.devnode import delegation, unstake
from daemon.devnode.actuators import ACTUATORS, ParsedTx, Refusal, invalid
from daemon.devnode.chain import DAY_MS, DevnodeChain
from daemon.devnode.proto import ProtoError, encode_raw, transaction_size, txid_of
from daemon.tron.addresses import AddressError, b58, recover_address, show, to_raw
from daemon.tron.energy import SLOT_MS

log = logging.getLogger(__name__)
STAKE_ACTUATORS = {**delegation.ACTUATORS, **unstake.ACTUATORS}

ADDRESS_FIELDS = ("owner_address", "to_address", "contract_address", "receiver_address")
MAX_TX_SIZE = 500 * 1024  # Args maxTransactionSize default


class ParseError(ValueError):
    """The body is not a transaction java-tron could parse (answered as {"Error": ...})."""


def _canonical(raw: Any) -> dict[str, Any]:
    """Copy raw_data with every address field in 41-hex form (visible=true bodies carry base58)."""
    if not isinstance(raw, dict):
        raise ParseError("raw_data must be an object")
    out = dict(raw)
    contracts = []
    for c in raw.get("contract") or []:
        if not isinstance(c, dict) or not isinstance(c.get("parameter"), dict):
            raise ParseError("each contract needs a parameter object")
        value = dict(c["parameter"].get("value") or {})
        for key in ADDRESS_FIELDS:
            if value.get(key):
                value[key] = to_raw(str(value[key])).hex()
        contracts.append({**c, "parameter": {**c["parameter"], "value": value}})
    out["contract"] = contracts
    return out


def parse(payload: dict[str, Any]) -> ParsedTx:
    """Decode a broadcast/getsignweight body into a ParsedTx."""
    try:
        raw = _canonical(payload.get("raw_data"))
        raw_bytes = encode_raw(raw)
        sigs = [bytes.fromhex(str(s)) for s in payload.get("signature") or []]
        contract = raw["contract"][0]
        value = contract["parameter"]["value"]
        owner = to_raw(str(value.get("owner_address", "")))
    except (ProtoError, AddressError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise ParseError(str(exc)) from exc
    return ParsedTx(
        txid=txid_of(raw_bytes),
        raw=raw,
        raw_bytes=raw_bytes,
        signatures=sigs,
        contract_type=str(contract["type"]),
        value=value,
        owner=owner,
        size=transaction_size(raw_bytes, sigs),
    )


def _signers(p: ParsedTx) -> list[bytes]:
    digest = bytes.fromhex(p.txid)
    out = []
    for sig in p.signatures:
        try:
            out.append(recover_address(digest, sig))
        except ValueError as exc:
            raise Refusal("SIGERROR", f"Validate signature error: {exc}") from exc
    return out


def verify(chain: DevnodeChain, p: ParsedTx) -> None:
    """Wallet.broadcastTransaction + Manager.processTransaction checks, in java-tron's order."""
    for sig in p.signatures:
        if len(sig) != 65:
            raise Refusal("SIGERROR", f"Validate signature error: Signature size is {len(sig)}")
    if len(p.raw["contract"]) != 1:
        raise Refusal("OTHER_ERROR", "Error: act size should be exactly 1, this is extend feature")
    expiration = p.raw.get("expiration", 0)
    head_ts = chain.head.timestamp
    # java-tron: expired if expiration < next block slot time. tronpy stamps with the client's
    # wall clock, so after a clock advance the devnode never judges a transaction expired
    # before the wall clock says it is (a documented deviation; see daemon/devnode/README).
    reference = min(head_ts + SLOT_MS, time.time_ns() // 1_000_000)
    if not isinstance(expiration, int) or expiration < reference:
        raise Refusal("TRANSACTION_EXPIRATION_ERROR", "Transaction expired")
    if not p.signatures:
        raise Refusal("SIGERROR", "Validate signature error: miss sig or contract")
    for sig, signer in zip(p.signatures, _signers(p), strict=True):
        if signer != p.owner:
            raise Refusal(
                "SIGERROR",
                f"Validate signature error: {sig.hex()} is signed by {b58(signer)} "
                "but it is not contained of permission.",
            )
    if not chain.tapos_ok(bytes.fromhex(str(p.raw.get("ref_block_bytes", ""))), _ref_hash(p)):
        raise Refusal("TAPOS_ERROR", "Tapos check error.")
    if expiration > head_ts + DAY_MS:
        raise Refusal("TRANSACTION_EXPIRATION_ERROR", "Transaction expired")
    if p.size > MAX_TX_SIZE:
        raise Refusal("TOO_BIG_TRANSACTION_ERROR", f"Too big transaction, the size is {p.size} bytes")
    if p.txid in chain.txs:
        raise Refusal("DUP_TRANSACTION_ERROR", "Dup transaction.")


def _ref_hash(p: ParsedTx) -> bytes:
    try:
        return bytes.fromhex(str(p.raw.get("ref_block_hash", "")))
    except ValueError:
        return b""


def broadcast(chain: DevnodeChain, payload: dict[str, Any]) -> dict[str, Any]:
    """wallet/broadcasttransaction: {"result":true,"txid"} or {"code","message"(hex),"txid"}."""
    visible = payload.get("visible") is True
    try:
        p = parse(payload)
    except ParseError as exc:
        return {"Error": f"class org.tron.core.services.http.JsonFormat$ParseException : {exc}"}
    try:
        verify(chain, p)
        actuator = ACTUATORS.get(p.contract_type) or STAKE_ACTUATORS.get(p.contract_type)
        if actuator is None:
            raise invalid(f"{p.contract_type} is not supported by the devnode")
        try:
            tx = actuator(chain, p)
        finally:
            chain.stakes_changed()  # freezes, unstakes and delegations move the network totals
    except Refusal as r:
        log.info("event=broadcast_refused txid=%s code=%s", p.txid, r.code)
        message = r.message if visible else r.message.encode().hex()
        return {"code": r.code, "message": message, "txid": p.txid}
    chain.accept(tx)
    log.debug("event=broadcast_accepted txid=%s type=%s ret=%s", p.txid, p.contract_type, tx.contract_ret)
    return {"result": True, "txid": p.txid}


def sign_weight(chain: DevnodeChain, payload: dict[str, Any], render_tx: Any) -> dict[str, Any]:
    """wallet/getsignweight: the owner permission, approvals so far and the txID the node computes."""
    visible = payload.get("visible") is True
    try:
        p = parse(payload)
    except ParseError as exc:
        return {"Error": f"class org.tron.core.services.http.JsonFormat$ParseException : {exc}"}
    ext = {"result": {"result": True}, "txid": p.txid, "transaction": render_tx(p, visible)}
    if p.owner not in chain.accounts:
        return {
            "result": {"code": "PERMISSION_ERROR", "message": "Account does not exist!"},
            "transaction": ext,
        }
    permission = {
        "permission_name": "owner",
        "threshold": 1,
        "keys": [{"address": show(p.owner, visible), "weight": 1}],
    }
    try:
        signers = _signers(p)
    except Refusal as r:
        return {"permission": permission, "result": {"code": "SIGNATURE_FORMAT_ERROR", "message": r.message}}
    out: dict[str, Any] = {"permission": permission}
    approved = [s for s in signers if s == p.owner]
    if approved:
        out["approved_list"] = [show(a, visible) for a in approved]
        out["current_weight"] = 1
        out["result"] = {}  # ENOUGH_PERMISSION is enum 0, so java-tron prints nothing
    else:
        out["result"] = {"code": "NOT_ENOUGH_PERMISSION"}
    out["transaction"] = ext
    return out
