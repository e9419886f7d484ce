"""java-tron JSON for blocks, transactions and receipts (Util.printBlockToJSON / printTransactionToJSON)."""

from __future__ import annotations

import hashlib
from typing import Any

from daemon.devnode.actuators import ParsedTx
from daemon.devnode.chain import BLOCK_VERSION, WITNESS, WITNESS_KEY, Block, DevnodeChain, StoredTx
from daemon.devnode.proto import block_header_raw
from daemon.devnode.shapes import nonzero
from daemon.tron.addresses import show, sign_hash, to_raw

_ADDRESS_FIELDS = ("owner_address", "to_address", "contract_address", "receiver_address")
# Field-number order of Transaction.raw, so printed JSON follows JsonFormat's order.
_RAW_ORDER = ("ref_block_bytes", "ref_block_num", "ref_block_hash", "expiration", "data", "contract")
_RAW_TAIL = ("timestamp", "fee_limit")


def _value(value: dict[str, Any], visible: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, v in value.items():
        if key in _ADDRESS_FIELDS and v:
            out[key] = show(to_raw(str(v)), visible)
        elif v not in (0, False, "", None):
            out[key] = v
    return out


def raw_json(raw: dict[str, Any], visible: bool) -> dict[str, Any]:
    """raw_data with zero fields dropped and addresses per `visible`."""
    out: dict[str, Any] = {}
    for key in (*_RAW_ORDER, *_RAW_TAIL):
        v = raw.get(key)
        if key == "contract":
            out[key] = [
                {
                    "parameter": {
                        "value": _value(c["parameter"].get("value") or {}, visible),
                        "type_url": c["parameter"].get(
                            "type_url", f"type.googleapis.com/protocol.{c['type']}"
                        ),
                    },
                    "type": c["type"],
                    **({"Permission_id": c["Permission_id"]} if c.get("Permission_id") else {}),
                }
                for c in v or []
            ]
        elif v not in (0, "", None):
            out[key] = v
    return out


def unsigned_tx(p: ParsedTx, visible: bool) -> dict[str, Any]:
    """A transaction as getsignweight/trigger* print it (no ret yet)."""
    out: dict[str, Any] = {"visible": visible, "txID": p.txid, "raw_data": raw_json(p.raw, visible)}
    if p.signatures:
        out["signature"] = [s.hex() for s in p.signatures]
    out["raw_data_hex"] = p.raw_bytes.hex()
    return out


def transaction(tx: StoredTx, visible: bool) -> dict[str, Any]:
    """gettransactionbyid / block entries: ret, signature, txID, raw_data, raw_data_hex."""
    ret = nonzero(contractRet=tx.contract_ret, fee=tx.fee)
    return {
        "ret": [ret],
        "signature": [s.hex() for s in tx.signatures],
        "txID": tx.txid,
        "raw_data": raw_json(tx.raw, visible),
        "raw_data_hex": tx.raw_bytes.hex(),
    }


def transaction_info(tx: StoredTx, visible: bool) -> dict[str, Any]:
    """gettransactioninfobyid (TransactionInfo + ResourceReceipt), {} while pending."""
    if tx.block_number < 0:
        return {}
    r = tx.receipt
    receipt = nonzero(
        energy_usage=r.energy_usage,
        energy_fee=r.energy_fee,
        origin_energy_usage=r.origin_energy_usage,
        energy_usage_total=r.energy_usage_total,
        net_usage=r.net_usage,
        net_fee=r.net_fee,
        result=r.result,
        energy_penalty_total=r.energy_penalty_total,
    )
    logs = [
        {
            # The servlet prepends 0x41 to log addresses only when printing base58 (tron.md §2).
            "address": show(lg.address, True) if visible else lg.address[1:].hex(),
            "topics": [t.hex() for t in lg.topics],
            "data": lg.data.hex(),
        }
        for lg in tx.logs
    ]
    failed = tx.contract_ret not in ("SUCCESS", "")
    message = tx.res_message if visible else tx.res_message.encode().hex()
    return nonzero(
        id=tx.txid,
        fee=tx.fee,
        blockNumber=tx.block_number,
        blockTimeStamp=tx.block_ts,
        contractResult=[tx.contract_result.hex()],
        contract_address=show(tx.contract_address, visible) if tx.contract_address else "",
        receipt=receipt,
        log=logs,
        result="FAILED" if failed else "",
        resMessage=message,
    )


def _signature(block: Block) -> bytes:
    if not block.signature:
        # The witness signs sha256(BlockHeader.raw); made on demand so advancing a day stays cheap.
        raw = block_header_raw(
            block.number, block.timestamp, block.tx_root, block.parent, WITNESS, BLOCK_VERSION
        )
        block.signature = sign_hash(WITNESS_KEY, hashlib.sha256(raw).digest())
    return block.signature


def block(chain: DevnodeChain, blk: Block, visible: bool) -> dict[str, Any]:
    """A block; `transactions` absent when empty, genesis `number` omitted as zero."""
    header = nonzero(
        timestamp=blk.timestamp,
        txTrieRoot=blk.tx_root.hex(),
        parentHash=blk.parent.hex(),
        number=blk.number,
        witness_address=show(WITNESS, visible),
        version=32,
    )
    out: dict[str, Any] = {
        "blockID": blk.block_id.hex(),
        "block_header": {"raw_data": header, "witness_signature": _signature(blk).hex()},
    }
    if blk.txids:
        out["transactions"] = [transaction(chain.txs[t], visible) for t in blk.txids]
    return out
