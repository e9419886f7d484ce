"""SQL for emergency withdrawals (emergency_withdrawals)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from daemon.db.types import Connection, Record, one
from daemon.observability.profiler import profiled


async def live_for(conn: Connection, partner_id: int, withdrawal_id: str) -> Record | None:
    """The partner's not-expired emergency for this withdrawal id, locked."""
    return await conn.fetchrow(
        "SELECT * FROM emergency_withdrawals WHERE partner_id = $1 AND withdrawal_id = $2 AND status <> "
        "'expired' FOR UPDATE",
        partner_id,
        withdrawal_id,
    )


async def any_for(conn: Connection, partner_id: int, withdrawal_id: str) -> bool:
    """Whether this withdrawal ever had an emergency (expired ones included)."""
    return bool(
        await conn.fetchval(
            "SELECT 1 FROM emergency_withdrawals WHERE partner_id = $1 AND withdrawal_id = $2 LIMIT 1",
            partner_id,
            withdrawal_id,
        )
    )


_INSERT_COLUMNS = (
    "partner_id",
    "user_id",
    "withdrawal_id",
    "to_address",
    "amount",
    "currency",
    "energy_estimate",
    "energy_fee_sun",
    "bandwidth_bytes",
    "bandwidth_sun",
    "fee_sun",
    "trx_fee_amount",
    "pay_to",
    "quote_block",
    "quote_expires_at",
    "created_at",
    "pay_amount_sun",
    "payer_address",
)


@profiled("db.emergency_insert")
async def insert(conn: Connection, values: dict[str, Any]) -> Record:
    """A new emergency awaiting its TRX payment (`values` has exactly _INSERT_COLUMNS)."""
    row = await conn.fetchrow(
        "INSERT INTO emergency_withdrawals (partner_id, user_id, withdrawal_id, to_address, amount, "
        "currency, "
        "energy_estimate, energy_fee_sun, bandwidth_bytes, bandwidth_sun, fee_sun, trx_fee_amount, pay_to, "
        "quote_block, quote_expires_at, created_at, pay_amount_sun, payer_address, amount_held) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, true) "
        "RETURNING *",
        *(values[c] for c in _INSERT_COLUMNS),
    )
    return one(row)


async def get(conn: Connection, partner_id: int, emergency_id: int) -> Record | None:
    """One emergency of this partner."""
    return await conn.fetchrow(
        "SELECT * FROM emergency_withdrawals WHERE partner_id = $1 AND id = $2", partner_id, emergency_id
    )


async def lock(conn: Connection, partner_id: int, emergency_id: int) -> Record | None:
    """One emergency of this partner, locked for update."""
    return await conn.fetchrow(
        "SELECT * FROM emergency_withdrawals WHERE partner_id = $1 AND id = $2 FOR UPDATE",
        partner_id,
        emergency_id,
    )


async def hash_used(conn: Connection, tx_hash: str) -> bool:
    """Whether any emergency holds this payment hash."""
    return bool(await conn.fetchval("SELECT 1 FROM emergency_withdrawals WHERE trx_tx_hash = $1", tx_hash))


async def submit_payment(conn: Connection, emergency_id: int, tx_hash: str, now: datetime) -> Record:
    """Bind the payment hash (unique across all emergencies: one payment funds one withdrawal)."""
    row = await conn.fetchrow(
        "UPDATE emergency_withdrawals SET status = 'verifying', trx_tx_hash = $2, payment_submitted_at = $3, "
        "payment_error = NULL WHERE id = $1 RETURNING *",
        emergency_id,
        tx_hash,
        now,
    )
    return one(row)


async def mark_paid(conn: Connection, emergency_id: int, payer: str | None, now: datetime) -> Record | None:
    """verifying -> paid (None if it was no longer verifying)."""
    return await conn.fetchrow(
        "UPDATE emergency_withdrawals SET status = 'paid', payer = $2, paid_at = $3 WHERE id = $1 AND "
        "status = 'verifying' "
        "RETURNING *",
        emergency_id,
        payer,
        now,
    )


async def reject_payment(conn: Connection, emergency_id: int, reason: str) -> Record | None:
    """verifying -> pending_trx_payment, hash released, reason kept for the user."""
    return await conn.fetchrow(
        "UPDATE emergency_withdrawals SET status = 'pending_trx_payment', trx_tx_hash = NULL, "
        "payment_error = $2 "
        "WHERE id = $1 AND status = 'verifying' RETURNING *",
        emergency_id,
        reason,
    )


async def verifying(conn: Connection, limit: int) -> list[Record]:
    """Payments waiting for solidity, oldest first."""
    rows: list[Record] = await conn.fetch(
        "SELECT * FROM emergency_withdrawals WHERE status = 'verifying' ORDER BY id LIMIT $1", limit
    )
    return rows


async def expire(conn: Connection, now: datetime) -> int:
    """Unpaid quotes past their expiry become `expired` (a submitted payment is still verified)."""
    done: str = await conn.execute(
        "UPDATE emergency_withdrawals SET status = 'expired' WHERE status = 'pending_trx_payment' AND "
        "quote_expires_at < $1",
        now,
    )
    return int(done.split()[-1])


async def claim(conn: Connection, partner_id: int, limit: int, now: datetime) -> list[Record]:
    """Paid emergencies of this partner, oldest first, now processing (SKIP LOCKED: never twice)."""
    rows: list[Record] = await conn.fetch(
        "WITH c AS (SELECT id FROM emergency_withdrawals WHERE partner_id = $1 AND status = 'paid' ORDER "
        "BY id LIMIT $2 "
        "FOR UPDATE SKIP LOCKED) UPDATE emergency_withdrawals e SET status = 'processing', claimed_at = $3, "
        "claim_count = e.claim_count + 1 FROM c WHERE e.id = c.id RETURNING e.*",
        partner_id,
        limit,
        now,
    )
    return rows


async def complete(conn: Connection, emergency_id: int, tx_hash: str, now: datetime) -> Record:
    """Completed with the executor's transfer."""
    row = await conn.fetchrow(
        "UPDATE emergency_withdrawals SET status = 'completed', tx_hash = $2, completed_at = $3 WHERE id = "
        "$1 RETURNING *",
        emergency_id,
        tx_hash,
        now,
    )
    return one(row)


async def return_stale(conn: Connection, claimed_before: datetime) -> int:
    """Claims older than the timeout go back to `paid` for the next claim."""
    done: str = await conn.execute(
        "UPDATE emergency_withdrawals SET status = 'paid', claimed_at = NULL WHERE status = 'processing' "
        "AND claimed_at < $1",
        claimed_before,
    )
    return int(done.split()[-1])
