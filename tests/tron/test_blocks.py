"""Reading TRX transfers out of java-tron block JSON (shape as a node prints it; docs/payments.md)."""

from __future__ import annotations

from typing import Any

from tronpy import keys

from daemon.tron.blocks import block_number, hex_address, transfers_to

PAY_TO = "TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy"
PAYER = "TX6J3Aiehjzo98K4oB1ukcANCmMt1Gx9y5"
OTHER = "TKKwBf2YL9sH2GppotCWkXy6jmKFRM4ncZ"


def _tx(txid: str, kind: str, value: dict[str, Any], ret: str | None = "SUCCESS") -> dict[str, Any]:
    return {
        "ret": [{"contractRet": ret}] if ret else [{}],
        "signature": ["ab" * 65],
        "txID": txid,
        "raw_data": {
            "contract": [
                {
                    "parameter": {"value": value, "type_url": f"type.googleapis.com/protocol.{kind}"},
                    "type": kind,
                }
            ],
            "ref_block_bytes": "c43c",
            "ref_block_hash": "65ec28d5" * 2,
            "expiration": 1782104310000,
            "timestamp": 1782104252000,
        },
        "raw_data_hex": "0a02c43c",
    }


def _block(number: int, txs: list[dict[str, Any]]) -> dict[str, Any]:
    header = {
        "raw_data": {"number": number, "timestamp": 1782104253000, "version": 36},
        "witness_signature": "00",
    }
    return {"blockID": f"{number:016x}" + "0" * 48, "block_header": header, "transactions": txs}


def test_only_successful_plain_transfers_to_the_address_count() -> None:
    to, payer, other = (keys.to_hex_address(a) for a in (PAY_TO, PAYER, OTHER))
    block = _block(
        68535375,
        [
            _tx(
                "A1" * 32,
                "TransferContract",
                {"amount": 13_380_001, "owner_address": payer, "to_address": to},
            ),
            _tx("a2" * 32, "TransferContract", {"amount": 5, "owner_address": payer, "to_address": other}),
            _tx(
                "a3" * 32,
                "TriggerSmartContract",
                {"owner_address": payer, "contract_address": to, "data": "a9"},
            ),
            _tx(
                "a4" * 32,
                "TransferContract",
                {"amount": 7, "owner_address": payer, "to_address": to},
                "REVERT",
            ),
            # visible=true prints base58: the same transfer is read the same way.
            _tx("a5" * 32, "TransferContract", {"amount": 9, "owner_address": PAYER, "to_address": PAY_TO}),
        ],
    )
    found = transfers_to(block, {hex_address(PAY_TO)})
    assert [(t.txid, t.owner, t.amount, t.block) for t in found] == [
        ("a1" * 32, payer, 13_380_001, 68535375),
        ("a5" * 32, payer, 9, 68535375),
    ]


def test_empty_blocks_and_genesis() -> None:
    empty = {"blockID": "00" * 32, "block_header": {"raw_data": {"timestamp": 0}}}  # no number, no txs
    assert block_number(empty) == 0 and transfers_to(empty, {hex_address(PAY_TO)}) == []
