"""Emergency withdrawals: quote the live TRX fee, take the payment, hand the transfer to the executor."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from daemon.db.types import Connection, Record
from daemon.energy.quote import quote_usdt_transfer
from daemon.errors import Conflict, NotFound, ProblemError, ValidationFailed
from daemon.tron.errors import TronError
from daemon.withdrawals import emergency_repo, payments_repo, queue_repo
from daemon.withdrawals.binding import Quote, pick_amount, search_range
from daemon.withdrawals.deps import WithdrawalDeps
from daemon.withdrawals.models import Emergency, EmergencyRequest, FeeBreakdown, RecordedPayment
from daemon.withdrawals.payment import payment_row, verify
from daemon.withdrawals.scanner import own_addresses

SUN_PER_TRX = Decimal(1_000_000)
QUOTE_TIMEOUT = 10.0
AMOUNT_TRIES = 5
AMOUNT_INDEX = "emergency_withdrawals_pay_amount"


class ServiceUnavailable(ProblemError):
    """The TRON node is needed and cannot be reached now."""

    status = 503
    title = "Service Unavailable"


def message(row: Record, lang: str) -> str:
    """What the user should do next, in Korean or English."""
    status = row["status"]
    sun = row["pay_amount_sun"] or row["fee_sun"]
    fee = Decimal(sun) / SUN_PER_TRX
    if lang == "ko":
        return {
            "pending_trx_payment": f"정확히 {fee} TRX를 {row['pay_to']} 주소로 보내세요. 결제는 자동으로 "
            "확인되며, 거래 해시를 제출하면 더 빨리 확인됩니다.",
            "verifying": "결제를 확인하는 중입니다 (약 1분).",
            "paid": "결제가 확인되었습니다. 곧 출금됩니다.",
            "processing": "출금을 전송하는 중입니다.",
            "completed": "출금이 완료되었습니다.",
            "expired": "견적이 만료되었습니다. 다시 요청하세요.",
        }[status]
    return {
        "pending_trx_payment": f"Send exactly {fee} TRX to {row['pay_to']}. The payment is found on its "
        "own; submitting the transaction hash makes it faster.",
        "verifying": "Checking your payment on chain (about a minute).",
        "paid": "Payment confirmed; the withdrawal is sent shortly.",
        "processing": "The withdrawal is being sent.",
        "completed": "The withdrawal has been sent.",
        "expired": "This quote expired; ask for a new one.",
    }[status]


def view(row: Record, lang: str, payments: Sequence[Record] = ()) -> Emergency:
    """The API view of a row (with the payments recorded against it, when given)."""
    data = dict(row)
    breakdown = FeeBreakdown(
        energy=data["energy_estimate"],
        energy_fee_sun=data["energy_fee_sun"],
        energy_sun=data["energy_estimate"] * data["energy_fee_sun"],
        bandwidth_bytes=data["bandwidth_bytes"],
        bandwidth_sun=data["bandwidth_sun"],
        total_sun=data["fee_sun"],
    )
    fields = {k: v for k, v in data.items() if k in Emergency.model_fields}
    return Emergency(
        **fields,
        message=message(row, lang),
        estimated_trx_fee=data["trx_fee_amount"],
        fee_breakdown=breakdown,
        expires_at=data["quote_expires_at"],
        pay_amount_trx=None
        if data["pay_amount_sun"] is None
        else Decimal(data["pay_amount_sun"]) / SUN_PER_TRX,
        payments=[payment_view(p) for p in payments],
    )


def payment_view(row: Record) -> RecordedPayment:
    """A recorded payment as the partner and the admin see it."""
    fields = {k: v for k, v in dict(row).items() if k in RecordedPayment.model_fields}
    return RecordedPayment(**fields, amount_trx=Decimal(row["amount_sun"]) / SUN_PER_TRX)


def _same(row: Record, body: EmergencyRequest) -> bool:
    return bool(
        row["to_address"] == body.to_address
        and row["amount"] == body.amount
        and row["user_id"] == body.user_id
        and row["payer_address"] == body.payer_address
    )


async def create(deps: WithdrawalDeps, partner_id: int, body: EmergencyRequest, conn_work: Any) -> Any:
    """Quote now (chain), then `conn_work(conn)` records it; returns the work's result."""
    state, tron = deps.state, deps.tron
    if tron is None or state.pay_to is None:
        raise ServiceUnavailable("emergency withdrawals need a TRON node and a pay_to address")
    try:
        async with asyncio.timeout(QUOTE_TIMEOUT):
            # The live quote (energy issue): this very transfer's energy × getEnergyFee + bandwidth.
            quote = await quote_usdt_transfer(tron, owner=state.pay_to, to=body.to_address)
            block = await tron.get_now_block_number()
    except (TronError, TimeoutError, OSError) as exc:
        raise ServiceUnavailable(f"cannot quote the network fee now: {exc}") from exc
    now = state.clock()
    values = {
        "partner_id": partner_id,
        "user_id": body.user_id,
        "withdrawal_id": body.withdrawal_id,
        "to_address": body.to_address,
        "amount": body.amount,
        "currency": body.currency,
        "energy_estimate": quote.energy,
        "energy_fee_sun": quote.energy_fee_sun,
        "bandwidth_bytes": quote.bandwidth_bytes,
        "bandwidth_sun": quote.bandwidth_sun,
        "fee_sun": quote.total_sun,
        "trx_fee_amount": Decimal(quote.total_sun) / SUN_PER_TRX,
        "pay_to": state.pay_to,
        "payer_address": body.payer_address,
        "quote_block": block,
        "quote_expires_at": now + timedelta(seconds=state.settings.quote_ttl),
        "created_at": now,
    }
    return await conn_work(values)


async def record(
    conn: Connection, partner_id: int, body: EmergencyRequest, values: dict[str, Any] | None
) -> tuple[int, Any]:
    """In one transaction: refuse or replay a live one, cancel the waiting queue entry, insert.

    `values` (the quote) is None when a live one was seen before quoting: then only a replay is possible.
    """
    live = await emergency_repo.live_for(conn, partner_id, body.withdrawal_id)
    if live is not None:
        if not _same(live, body):
            raise Conflict(
                "this withdrawal_id has an emergency withdrawal with other details", field="withdrawal_id"
            )
        return 200, live
    if values is None:  # it expired between the look and this transaction
        raise Conflict(
            "this withdrawal's emergency just expired; retry for a new quote", field="withdrawal_id"
        )
    # Taking the queue row (inserted or updated) in this transaction excludes a racing enqueue.
    queued = await queue_repo.take_for_emergency(conn, values)
    if queued["status"] != "cancelled":  # released, processing or completed: rolled back with us
        raise Conflict(f"this withdrawal is already {queued['status']} in the queue", field="withdrawal_id")
    row = await _insert_with_amount(conn, values)
    if row is None:
        raise ServiceUnavailable("too many open quotes to this pay_to address; retry in a few minutes")
    return 201, row


async def _insert_with_amount(conn: Connection, values: dict[str, Any]) -> Record | None:
    """Insert with a pay amount no other held quote to this pay_to has; PostgreSQL's unique index decides."""
    low, high = search_range(values["fee_sun"])
    for _ in range(AMOUNT_TRIES):
        held = await payments_repo.held_amounts(conn, values["pay_to"], low, high)
        amount = pick_amount(values["fee_sun"], held)
        if amount is None:
            return None
        try:
            async with conn.transaction():  # a savepoint: another replica took the amount meanwhile
                return await emergency_repo.insert(conn, {**values, "pay_amount_sun": amount})
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name != AMOUNT_INDEX:
                raise
    return None


async def submit_payment(
    deps: WithdrawalDeps, partner_id: int, emergency_id: int, tx_hash: str
) -> tuple[int, Any]:
    """200 paid, 202 accepted (not solid yet / node down), 4xx with the reason otherwise."""
    state = deps.state
    async with deps.pool.acquire() as conn:
        row = await emergency_repo.get(conn, partner_id, emergency_id)
        used = await emergency_repo.hash_used(conn, tx_hash)
        own = await own_addresses(conn, state)
    if row is None:
        raise NotFound(f"no emergency withdrawal {emergency_id}")
    if row["trx_tx_hash"] == tx_hash:
        return (202 if row["status"] == "verifying" else 200), row  # a retry of the same submission
    if used:
        raise Conflict("already used: this payment was submitted for another withdrawal", field="tx_hash")
    _check_payable(row, state.clock())
    verdict = await verify(deps.tron, tx_hash, Quote.of(row), own)
    if verdict.outcome == "rejected":
        raise ValidationFailed(verdict.reason or "payment rejected", field="tx_hash")
    async with deps.pool.acquire() as conn, conn.transaction():
        row = await emergency_repo.lock(conn, partner_id, emergency_id)
        assert row is not None  # rows are never deleted while their partner exists
        _check_payable(row, state.clock())
        try:
            async with conn.transaction():  # a savepoint: the unique violation must not end the outer one
                row = await emergency_repo.submit_payment(conn, emergency_id, tx_hash, state.clock())
        except asyncpg.UniqueViolationError as exc:
            raise Conflict(
                "already used: this payment was submitted for another withdrawal", field="tx_hash"
            ) from exc
        if verdict.outcome == "paid":
            row = await emergency_repo.mark_paid(conn, emergency_id, verdict.payer, state.clock())
            await payments_repo.record(conn, [payment_row(row, verdict)], state.clock())
    assert row is not None  # locked and checked above in this transaction
    state.metrics.emergency.labels(row["status"]).inc()
    return (200 if row["status"] == "paid" else 202), row


def _check_payable(row: Record, now: Any) -> None:
    if row["status"] == "expired" or (
        row["status"] == "pending_trx_payment" and row["quote_expires_at"] < now
    ):
        raise Conflict("the quote has expired; ask for a new emergency withdrawal", field="tx_hash")
    if row["status"] != "pending_trx_payment":
        raise Conflict(f"the withdrawal is {row['status']}; a payment is already recorded", field="tx_hash")


async def complete(
    conn: Connection, partner_id: int, emergency_id: int, tx_hash: str, now: Any
) -> tuple[Any, bool]:
    """Record the executor's transfer -> (row, newly completed); the same hash again is fine, another 409."""
    row = await emergency_repo.lock(conn, partner_id, emergency_id)
    if row is None:
        raise NotFound(f"no emergency withdrawal {emergency_id}")
    if row["status"] == "completed":
        if row["tx_hash"] != tx_hash:
            raise Conflict("the withdrawal was completed with another transaction", field="tx_hash")
        return row, False
    # A late completion of a claim that timed out (back to `paid`) still wins: never send twice.
    if row["status"] not in ("processing", "paid") or row["claim_count"] == 0:
        raise Conflict(f"the withdrawal is {row['status']} and was never claimed", field="tx_hash")
    return await emergency_repo.complete(conn, emergency_id, tx_hash, now), True
