"""SQL for the withdrawal queue (energy_withdrawal_queue)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from daemon.db.types import Connection, Record, one
from daemon.observability.profiler import profiled
from daemon.withdrawals.waiting import WaitingBase


@profiled("db.queue_insert")
async def insert(
    conn: Connection,
    partner_id: int,
    user_id: str,
    withdrawal_id: str,
    to_address: str,
    amount: Decimal,
    required_energy: int,
    now: datetime,
    base: WaitingBase,
) -> Record | None:
    """Insert a waiting entry with the count and energy of waiting entries ahead of it.

    None when the withdrawal is queued already or has a live emergency withdrawal. Entries ahead are
    `base` plus the waiting ones queued after it (a short index range, not the whole queue). One
    statement: the checks, the insert and the count share a snapshot and a round trip, and need no BEGIN.
    """
    # Every row this snapshot sees got its id before this INSERT's: all of them are ahead.
    # `(SELECT $8)` hides the bound from the planner, so custom plans cost no less than the generic one
    # and the prepared statement keeps its generic plan (an index-only scan of withdrawal_queue_waiting)
    # instead of being planned again on every call (which cost more than the insert itself).
    return await conn.fetchrow(
        "WITH d AS (SELECT $9::bigint + count(*) AS n, $10::bigint + coalesce(sum(required_energy), 0) AS e "
        "FROM energy_withdrawal_queue WHERE status = 'waiting' AND id > (SELECT $8::bigint)), "
        "ins AS (INSERT INTO energy_withdrawal_queue (partner_id, user_id, withdrawal_id, to_address, "
        "amount, currency, required_energy, created_at, queue_position) "
        "SELECT $1, $2, $3, $4, $5, 'USDT', $6, $7, d.n + 1 FROM d WHERE NOT EXISTS (SELECT 1 FROM "
        "emergency_withdrawals e WHERE e.partner_id = $1 AND e.withdrawal_id = $3 AND e.status <> 'expired') "
        "ON CONFLICT (partner_id, withdrawal_id) DO NOTHING RETURNING *) "
        "SELECT ins.*, d.n AS ahead, d.e::bigint AS energy_ahead FROM ins, d",
        partner_id,
        user_id,
        withdrawal_id,
        to_address,
        amount,
        required_energy,
        now,
        base.max_id,
        base.count,
        base.energy,
    )


async def get(conn: Connection, partner_id: int, entry_id: int) -> Record | None:
    """One entry of this partner, with the count and energy of waiting entries ahead of it."""
    return await conn.fetchrow(
        "SELECT q.*, p.wallet_address AS from_address, p.name AS pool_name, a.n AS ahead, "
        "a.e AS energy_ahead FROM energy_withdrawal_queue q LEFT JOIN energy_pools p ON p.id = q.pool_id, "
        "LATERAL ("
        "SELECT count(*) AS n, coalesce(sum(required_energy), 0)::bigint AS e FROM energy_withdrawal_queue "
        "WHERE status = 'waiting' AND id < q.id AND q.status = 'waiting') a "
        "WHERE q.partner_id = $1 AND q.id = $2",
        partner_id,
        entry_id,
    )


async def get_by_withdrawal(conn: Connection, partner_id: int, withdrawal_id: str) -> Record | None:
    """The entry for a partner's withdrawal id, locked for update."""
    # Locking outside a transaction is harmless; inside one (emergency creation) it is what we need.
    return await conn.fetchrow(
        "SELECT id, partner_id, user_id, withdrawal_id, to_address, amount, currency, required_energy, "
        "status, "
        "queue_position, estimated_wait_time, pool_id, created_at, released_at, claimed_at, claim_count, "
        "processed_at, tx_hash FROM energy_withdrawal_queue WHERE partner_id = $1 AND withdrawal_id = $2 "
        "FOR UPDATE",
        partner_id,
        withdrawal_id,
    )


async def take_for_emergency(conn: Connection, values: dict[str, Any]) -> Record:
    """Claim (partner, withdrawal_id) in the queue's unique index for an emergency; cancel it if waiting.

    Returns the queue row (`status` after the update). An enqueue of the same withdrawal running now
    meets this row in the unique index and waits for our transaction: it then sees the emergency and
    answers 409, or, when we rolled back, queues. Never both. A withdrawal that was not queued keeps a
    `cancelled` queue row (the claim); if the emergency expires unpaid, an enqueue `requeue`s it.
    """
    row = await conn.fetchrow(
        "INSERT INTO energy_withdrawal_queue AS q (partner_id, user_id, withdrawal_id, to_address, amount, "
        "currency, required_energy, created_at, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'cancelled') "
        "ON CONFLICT (partner_id, withdrawal_id) DO UPDATE SET status = CASE WHEN q.status = 'waiting' "
        "THEN 'cancelled' ELSE q.status END RETURNING q.id, q.status",
        values["partner_id"],
        values["user_id"],
        values["withdrawal_id"],
        values["to_address"],
        values["amount"],
        values["currency"],
        values["energy_estimate"],
        values["created_at"],
    )
    return one(row)


async def requeue(conn: Connection, partner_id: int, withdrawal_id: str, now: datetime) -> int | None:
    """Put a withdrawal cancelled for an emergency that expired unpaid back at the end of the queue.

    Returns its new id (a new id is what puts it at the back), or None when it is not in that state.
    Call inside a transaction: the row lock comes first, so the emergency check after it sees any
    emergency created meanwhile (creation takes this row's lock before inserting the emergency).
    """
    await conn.execute(
        "SELECT 1 FROM energy_withdrawal_queue WHERE partner_id = $1 AND withdrawal_id = $2 FOR UPDATE",
        partner_id,
        withdrawal_id,
    )
    new_id: int | None = await conn.fetchval(
        "UPDATE energy_withdrawal_queue SET id = DEFAULT, status = 'waiting', created_at = $3, "
        "queue_position = (SELECT count(*) + 1 FROM energy_withdrawal_queue WHERE status = 'waiting') "
        "WHERE partner_id = $1 AND withdrawal_id = $2 AND status = 'cancelled' "
        "AND EXISTS (SELECT 1 FROM emergency_withdrawals e WHERE e.partner_id = $1 AND e.withdrawal_id = $2) "
        "AND NOT EXISTS (SELECT 1 FROM emergency_withdrawals e WHERE e.partner_id = $1 "
        "AND e.withdrawal_id = $2 AND e.status <> 'expired') RETURNING id",
        partner_id,
        withdrawal_id,
        now,
    )
    return new_id


async def user_waiting(conn: Connection, partner_id: int, user_id: str) -> Record | None:
    """The user's oldest waiting entry with the count and energy of waiting entries ahead."""
    return await conn.fetchrow(
        "SELECT q.id, q.required_energy, a.n AS ahead, a.e AS energy_ahead FROM energy_withdrawal_queue q, "
        "LATERAL ("
        "SELECT count(*) AS n, coalesce(sum(required_energy), 0)::bigint AS e FROM energy_withdrawal_queue "
        "WHERE status = 'waiting' AND id < q.id) a "
        "WHERE q.partner_id = $1 AND q.user_id = $2 AND q.status = 'waiting' ORDER BY q.id LIMIT 1",
        partner_id,
        user_id,
    )


async def set_status(conn: Connection, entry_id: int, status: str, *, only_from: str) -> bool:
    """Move one entry between statuses; False when it was not in `only_from`."""
    done: str = await conn.execute(
        "UPDATE energy_withdrawal_queue SET status = $2 WHERE id = $1 AND status = $3",
        entry_id,
        status,
        only_from,
    )
    return done != "UPDATE 0"


async def waiting_batch(conn: Connection, limit: int) -> list[Record]:
    """The oldest waiting entries, locked (skipping any another transaction holds)."""
    rows: list[Record] = await conn.fetch(
        "SELECT id, required_energy FROM energy_withdrawal_queue WHERE status = 'waiting' ORDER BY id "
        "LIMIT $1 "
        "FOR UPDATE SKIP LOCKED",
        limit,
    )
    return rows


@profiled("db.queue_release")
async def release(conn: Connection, ids: list[int], pool_ids: list[int], now: datetime) -> int:
    """Release waiting entries to their pools; returns how many moved.

    A pool deleted since the plan's snapshot is skipped (its entries stay waiting), not a foreign-key
    error that would undo the whole batch; KEY SHARE keeps the others from being deleted meanwhile.
    """
    done: str = await conn.execute(
        "WITH live AS (SELECT id FROM energy_pools WHERE id = ANY($2::bigint[]) FOR KEY SHARE) "
        "UPDATE energy_withdrawal_queue q SET status = 'released', pool_id = r.pool_id, released_at = $3 "
        "FROM unnest($1::bigint[], $2::bigint[]) AS r(id, pool_id) JOIN live ON live.id = r.pool_id "
        "WHERE q.id = r.id AND q.status = 'waiting'",
        ids,
        pool_ids,
        now,
    )
    return int(done.split()[-1])


async def inflight(conn: Connection, pool_ids: list[int], settled_before: list[datetime]) -> dict[int, int]:
    """Energy per pool of released/claimed entries and of completions no scrape has seen yet."""
    rows = await conn.fetch(
        "SELECT q.pool_id, sum(q.required_energy)::bigint AS e FROM energy_withdrawal_queue q "
        "JOIN unnest($1::bigint[], $2::timestamptz[]) AS c(pool_id, cutoff) ON c.pool_id = q.pool_id "
        "WHERE q.status IN ('released', 'processing') "
        "OR (q.status = 'completed' AND q.processed_at > c.cutoff) GROUP BY q.pool_id",
        pool_ids,
        settled_before,
    )
    return {r["pool_id"]: r["e"] for r in rows}


async def claim(conn: Connection, partner_id: int, limit: int, now: datetime) -> list[Record]:
    """Released entries of this partner, oldest first, now claimed (SKIP LOCKED: never twice)."""
    rows: list[Record] = await conn.fetch(
        "WITH c AS (SELECT id FROM energy_withdrawal_queue WHERE partner_id = $1 AND status = 'released' "
        "AND pool_id IS NOT NULL ORDER BY id "
        "LIMIT $2 FOR UPDATE SKIP LOCKED) UPDATE energy_withdrawal_queue q SET status = 'processing', "
        "claimed_at = $3, "
        "claim_count = q.claim_count + 1 FROM c, energy_pools p WHERE q.id = c.id AND p.id = q.pool_id "
        "RETURNING q.id, q.withdrawal_id, q.user_id, q.to_address, q.amount, q.currency, "
        "q.required_energy, q.claimed_at, p.name AS pool_name, p.wallet_address AS from_address",
        partner_id,
        limit,
        now,
    )
    return rows


async def complete(
    conn: Connection, partner_id: int, entry_id: int, tx_hash: str, now: datetime
) -> Record | None:
    """Mark a claimed entry completed with the executor's tx (locked row read first by the caller)."""
    return await conn.fetchrow(
        "UPDATE energy_withdrawal_queue SET status = 'completed', tx_hash = $3, processed_at = $4 "
        "WHERE partner_id = $1 AND id = $2 RETURNING id, partner_id, user_id, withdrawal_id, to_address, "
        "amount, currency, required_energy, status, "
        "queue_position, estimated_wait_time, pool_id, created_at, released_at, claimed_at, claim_count, "
        "processed_at, tx_hash",
        partner_id,
        entry_id,
        tx_hash,
        now,
    )


async def lock(conn: Connection, partner_id: int, entry_id: int) -> Record | None:
    """One entry, locked for update."""
    return await conn.fetchrow(
        "SELECT id, partner_id, user_id, withdrawal_id, to_address, amount, currency, required_energy, "
        "status, "
        "queue_position, estimated_wait_time, pool_id, created_at, released_at, claimed_at, claim_count, "
        "processed_at, tx_hash FROM energy_withdrawal_queue WHERE partner_id = $1 AND id = $2 FOR UPDATE",
        partner_id,
        entry_id,
    )


async def return_stale(conn: Connection, claimed_before: datetime) -> int:
    """Claims older than the timeout, and releases whose pool is gone, go back to waiting at the head."""
    # Deleting a pool returns its releases itself; this also catches any it could not (older versions).
    done: str = await conn.execute(
        "UPDATE energy_withdrawal_queue SET status = 'waiting', pool_id = NULL, released_at = NULL, "
        "claimed_at = NULL "
        "WHERE (status = 'processing' AND claimed_at < $1) OR (status = 'released' AND pool_id IS NULL)",
        claimed_before,
    )
    return int(done.split()[-1])


async def figures(conn: Connection) -> Record:
    """Waiting count and the oldest waiting entry's creation time."""
    row = await conn.fetchrow(
        "SELECT count(*) AS waiting, min(created_at) AS oldest FROM energy_withdrawal_queue WHERE status = "
        "'waiting'"
    )
    return one(row)


async def partners_with_work(conn: Connection) -> list[int]:
    """Partners with released entries or paid emergencies (the demo executor serves them all)."""
    rows = await conn.fetch(
        "SELECT partner_id FROM energy_withdrawal_queue WHERE status = 'released' "
        "UNION SELECT partner_id FROM emergency_withdrawals WHERE status = 'paid'"
    )
    return [r["partner_id"] for r in rows]


async def waiting_energy(conn: Connection) -> int:
    """Energy every waiting entry needs: what a withdrawal joining now queues behind."""
    return int(
        await conn.fetchval(
            "SELECT coalesce(sum(required_energy), 0) FROM energy_withdrawal_queue WHERE status = 'waiting'"
        )
    )
