"""SQL for payment binding: held amounts, scan settlements, recorded payments, the scan cursor."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from daemon.db.types import Connection, Record
from daemon.observability.profiler import profiled

PAYMENT_COLUMNS = (
    "tx_hash",
    "pay_to",
    "payer",
    "amount_sun",
    "block_number",
    "emergency_id",
    "status",
    "detail",
    "source",
)


async def held_amounts(conn: Connection, pay_to: str, low: int, high: int) -> list[int]:
    """Amounts in [low, high) that quotes to `pay_to` hold now."""
    rows = await conn.fetch(
        "SELECT pay_amount_sun FROM emergency_withdrawals WHERE amount_held AND pay_to = $1 "
        "AND pay_amount_sun >= $2 AND pay_amount_sun < $3",
        pay_to,
        low,
        high,
    )
    return [r[0] for r in rows]


_HELD = (
    "SELECT id, status, pay_to, fee_sun, pay_amount_sun, payer_address, quote_block, quote_expires_at, "
    "trx_tx_hash FROM emergency_withdrawals WHERE amount_held AND pay_to = $1 "
)


async def held_quotes(conn: Connection, pay_to: str, amounts: list[int], payers: list[str]) -> list[Record]:
    """Quotes to `pay_to` holding one of these amounts, or declaring one of these (base58) payers."""
    rows: list[Record] = await conn.fetch(
        _HELD + "AND (pay_amount_sun = ANY($2::bigint[]) OR payer_address = ANY($3::text[]))",
        pay_to,
        amounts,
        payers,
    )
    return rows


async def held_by_tag(conn: Connection, pay_to: str, tags: list[int]) -> list[Record]:
    """Quotes to `pay_to` whose amount ends in one of these tags (binding.STEP is 10,000)."""
    rows: list[Record] = await conn.fetch(
        # The literal, not a parameter, so the expression index emergency_withdrawals_tag serves it.
        _HELD + "AND pay_amount_sun % 10000 = ANY($2::bigint[])",
        pay_to,
        tags,
    )
    return rows


async def oldest_held_block(conn: Connection, pay_to: str) -> int | None:
    """The quote block of the oldest quote to `pay_to` still holding its amount."""
    value = await conn.fetchval(
        "SELECT min(quote_block) FROM emergency_withdrawals WHERE amount_held AND pay_to = $1", pay_to
    )
    return None if value is None else int(value)


async def bound_hashes(conn: Connection, tx_hashes: list[str]) -> set[str]:
    """Which of these hashes a submission already bound to an emergency (the hash path finishes them)."""
    rows = await conn.fetch(
        "SELECT trx_tx_hash FROM emergency_withdrawals WHERE trx_tx_hash = ANY($1::text[])", tx_hashes
    )
    return {r[0] for r in rows}


@profiled("db.payment_settle")
async def settle(conn: Connection, items: list[tuple[int, str, str]], now: datetime) -> set[int]:
    """(emergency id, tx hash, payer) -> paid, for quotes still awaiting payment; returns the ids settled."""
    rows = await conn.fetch(
        "UPDATE emergency_withdrawals e SET status = 'paid', trx_tx_hash = t.tx, payer = t.payer, "
        "paid_at = $4 "
        "FROM unnest($1::bigint[], $2::text[], $3::text[]) AS t(id, tx, payer) "
        "WHERE e.id = t.id AND e.status = 'pending_trx_payment' "
        "AND NOT EXISTS (SELECT 1 FROM emergency_withdrawals o WHERE o.trx_tx_hash = t.tx) RETURNING e.id",
        [i[0] for i in items],
        [i[1] for i in items],
        [i[2] for i in items],
        now,
    )
    return {r[0] for r in rows}


async def record(conn: Connection, rows: list[tuple[Any, ...]], now: datetime) -> int:
    """Insert payments (PAYMENT_COLUMNS order); a hash recorded before is left as it was."""
    if not rows:
        return 0
    columns = list(zip(*rows, strict=True))
    done: str = await conn.execute(
        "INSERT INTO emergency_payments (tx_hash, pay_to, payer, amount_sun, block_number, emergency_id, "
        "status, detail, source, recorded_at) SELECT t.*, $10::timestamptz FROM unnest($1::text[], "
        "$2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::text[], "
        "$9::text[]) AS t ON CONFLICT (tx_hash) DO NOTHING",
        *(list(c) for c in columns),
        now,
    )
    return int(done.split()[-1])


async def cursor(conn: Connection, pay_to: str, *, lock: bool = False) -> int | None:
    """The last solid block scanned for payments to `pay_to`."""
    sql = "SELECT block_number FROM payment_scan_cursor WHERE pay_to = $1"
    value = await conn.fetchval(sql + (" FOR UPDATE" if lock else ""), pay_to)
    return None if value is None else int(value)


async def move_cursor(conn: Connection, pay_to: str, block: int, now: datetime) -> None:
    """The scan has seen every block up to `block` (never moves back)."""
    await conn.execute(
        "INSERT INTO payment_scan_cursor (pay_to, block_number, updated_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (pay_to) DO UPDATE SET block_number = GREATEST(payment_scan_cursor.block_number, "
        "EXCLUDED.block_number), updated_at = EXCLUDED.updated_at",
        pay_to,
        block,
        now,
    )


async def release_amounts(conn: Connection, expired_before: datetime) -> int:
    """Amounts of quotes that expired before `expired_before` (and are not being verified) are free again."""
    done: str = await conn.execute(
        "UPDATE emergency_withdrawals SET amount_held = false WHERE amount_held AND status <> 'verifying' "
        "AND quote_expires_at < $1",
        expired_before,
    )
    return int(done.split()[-1])


async def for_emergency(conn: Connection, emergency_id: int) -> list[Record]:
    """Payments recorded against one emergency, oldest first."""
    rows: list[Record] = await conn.fetch(
        "SELECT * FROM emergency_payments WHERE emergency_id = $1 ORDER BY id", emergency_id
    )
    return rows


async def page(
    conn: Connection, statuses: list[str] | None, before_id: int | None, limit: int
) -> list[Record]:
    """Recorded payments, newest first, with their emergency's partner and withdrawal."""
    rows: list[Record] = await conn.fetch(
        "SELECT p.*, e.partner_id, e.withdrawal_id FROM emergency_payments p "
        "LEFT JOIN emergency_withdrawals e ON e.id = p.emergency_id "
        "WHERE ($1::text[] IS NULL OR p.status = ANY($1::text[])) AND ($2::bigint IS NULL OR p.id < $2) "
        "ORDER BY p.id DESC LIMIT $3",
        statuses,
        before_id,
        limit,
    )
    return rows


async def own_wallets(conn: Connection) -> list[str]:
    """Every pool wallet the gateway registered."""
    rows = await conn.fetch("SELECT wallet_address FROM energy_pools")
    return [r[0] for r in rows]
