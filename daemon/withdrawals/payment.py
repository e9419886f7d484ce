"""A user's TRX fee payment, checked on the solidity node (tron.md §5): type, recipient, amount, time."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from tronpy import keys

from daemon.monitoring.profiler import profiled
from daemon.tron.client import TronClient
from daemon.tron.errors import TronError

log = logging.getLogger(__name__)

SUN_PER_TRX = Decimal(1_000_000)
Outcome = Literal["paid", "pending", "rejected"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """`paid` (with payer), `pending` (not solid yet, or the node is unreachable) or `rejected` (reason)."""

    outcome: Outcome
    reason: str | None = None
    payer: str | None = None


def _trx(sun: int) -> str:
    return f"{Decimal(sun) / SUN_PER_TRX} TRX"


def _b58(value: Any) -> str | None:
    try:
        return str(keys.to_base58check_address(str(value)))
    except (ValueError, TypeError):
        return None


def check(
    tx: dict[str, Any], info: dict[str, Any], *, pay_to: str, fee_sun: int, quote_block: int
) -> Verdict:
    """The checks of §5 on a solidified transaction and its info (visible=true JSON)."""
    ret = (tx.get("ret") or [{}])[0].get("contractRet")
    if ret != "SUCCESS" or info.get("result") == "FAILED":
        return Verdict("rejected", "failed tx: the payment transaction did not succeed on chain")
    contracts = tx.get("raw_data", {}).get("contract") or [{}]
    contract = contracts[0]
    if contract.get("type") != "TransferContract" or len(contracts) != 1:
        # TRX moved by a contract shows only in internal_transactions; we accept plain transfers only.
        return Verdict("rejected", "not a TRX transfer: send TRX with a plain transfer (TransferContract)")
    value = contract.get("parameter", {}).get("value", {})
    to = _b58(value.get("to_address"))
    if to != pay_to:
        return Verdict("rejected", f"wrong recipient: paid to {to}, the fee must go to {pay_to}")
    amount = int(value.get("amount", 0))
    if amount < fee_sun:
        return Verdict("rejected", f"too little: {_trx(amount)} paid, {_trx(fee_sun)} quoted")
    block = int(info.get("blockNumber", 0))
    if block <= quote_block:
        return Verdict("rejected", f"too old: made in block {block}, before the quote (block {quote_block})")
    return Verdict("paid", payer=_b58(value.get("owner_address")))


@profiled("tron.payment_check")
async def verify(
    tron: TronClient | None, tx_hash: str, *, pay_to: str, fee_sun: int, quote_block: int
) -> Verdict:
    """Look the payment up on the solidity endpoint and check it; unknown to the full node is rejected."""
    if tron is None:
        return Verdict("pending")
    try:
        tx = await tron.get_solid_transaction(tx_hash)
        info = await tron.get_solid_transaction_info(tx_hash) if tx is not None else None
        if tx is None or info is None:
            if await tron.get_transaction(tx_hash) is None:  # the full node: in a block, not solid yet?
                return Verdict("rejected", "unknown tx: the node does not know this transaction")
            return Verdict("pending")
    except (TronError, TimeoutError, OSError) as exc:
        # A node that is down, rate-limits, or has no /walletsolidity here (HTTP 404: tron.solidity_url
        # unset or wrong) says nothing about the payment: the watcher retries until it answers.
        log.debug("payment not verified yet, node error=%s", exc)
        return Verdict("pending")
    return check(tx, info, pay_to=pay_to, fee_sun=fee_sun, quote_block=quote_block)
