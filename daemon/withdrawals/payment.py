"""A submitted TRX fee payment, checked on the solidity node: type, recipient, binding, time, success."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from daemon.observability.profiler import profiled
from daemon.tron.blocks import hex_address
from daemon.tron.client import TronClient
from daemon.tron.errors import TronError
from daemon.withdrawals.binding import Quote, b58, refusal, trx

log = logging.getLogger(__name__)

Outcome = Literal["paid", "pending", "rejected"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """`paid` (with payer), `pending` (not solid yet, or the node is unreachable) or `rejected` (reason)."""

    outcome: Outcome
    reason: str | None = None
    payer: str | None = None
    amount: int = 0
    block: int = 0


def _transfer(tx: dict[str, Any], quote: Quote, own: frozenset[str], block: int | None = None) -> Verdict:
    """Type, recipient, time (when the block is known), payer and amount: the binding."""
    contracts = tx.get("raw_data", {}).get("contract") or [{}]
    contract = contracts[0]
    if contract.get("type") != "TransferContract" or len(contracts) != 1:
        # TRX moved by a contract shows only in internal_transactions; we accept plain transfers only.
        return Verdict("rejected", "not a TRX transfer: send TRX with a plain transfer (TransferContract)")
    value = contract.get("parameter", {}).get("value", {})
    owner = hex_address(value.get("owner_address"))
    amount = int(value.get("amount", 0))
    reason = refusal(quote, owner, hex_address(value.get("to_address")), amount, own, block)
    if reason is not None:
        return Verdict("rejected", reason)
    return Verdict("paid", payer=b58(owner), amount=amount, block=block or 0)


def check(tx: dict[str, Any], info: dict[str, Any], quote: Quote, own: frozenset[str]) -> Verdict:
    """The checks of docs/payments.md on a solidified transaction and its info (visible=true JSON)."""
    ret = (tx.get("ret") or [{}])[0].get("contractRet")
    if ret != "SUCCESS" or info.get("result") == "FAILED":
        return Verdict("rejected", "failed tx: the payment transaction did not succeed on chain")
    return _transfer(tx, quote, own, int(info.get("blockNumber", 0)))


def payment_row(row: Any, verdict: Verdict) -> tuple[Any, ...]:
    """The payment record (payments_repo.PAYMENT_COLUMNS) of a quote paid by its submitted hash."""
    detail = f"paid {trx(verdict.amount)}, submitted by hash"
    return (
        row["trx_tx_hash"],
        row["pay_to"],
        verdict.payer or "",
        verdict.amount,
        verdict.block,
        row["id"],
        "settled",
        detail,
        "hash",
    )


@profiled("tron.payment_check")
async def verify(tron: TronClient | None, tx_hash: str, quote: Quote, own: frozenset[str]) -> Verdict:
    """Look the payment up on the solidity node and check it; unknown to the node at all is rejected."""
    if tron is None:
        return Verdict("pending")
    try:
        tx = await tron.get_solid_transaction(tx_hash)
        info = await tron.get_solid_transaction_info(tx_hash) if tx is not None else None
        if tx is None or info is None:
            # On the full node: in a block, not solid yet. Its binding is known already, so a
            # hash that cannot pay this quote is refused now and never holds the quote.
            unconfirmed = await tron.get_transaction(tx_hash)
            if unconfirmed is None:
                return Verdict("rejected", "unknown tx: the node does not know this transaction")
            early = _transfer(unconfirmed, quote, own)
            return early if early.outcome == "rejected" else Verdict("pending")
    except (TronError, TimeoutError, OSError) as exc:
        # A node that is down, rate-limits, or has no /walletsolidity here (HTTP 404: tron.solidity_url
        # unset or wrong) says nothing about the payment: the watcher retries until it answers.
        log.debug("payment not verified yet, node error=%s", exc)
        return Verdict("pending")
    return check(tx, info, quote, own)
