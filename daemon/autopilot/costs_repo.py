"""SQL of the cost ledger: pick up completions, read pending receipts, record them, daily totals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from daemon.autopilot.costs_model import Cost
from daemon.db.types import Connection, Record


async def new_completions(conn: Connection, limit: int) -> list[Record]:
    """Completed withdrawals with a tx hash that the ledger does not hold yet (queue and emergency).

    Only completions from a day before the newest one recorded on are looked at, so a run does not
    rescan every withdrawal ever made; completions reported later than that are not costed.
    """
    rows: list[Record] = await conn.fetch(
        "SELECT 'queue' AS kind, q.id, q.tx_hash, q.pool_id, q.processed_at AS completed_at, "
        "0::bigint AS fee FROM energy_withdrawal_queue q WHERE q.status = 'completed' "
        "AND q.tx_hash IS NOT NULL AND q.processed_at >= (SELECT coalesce(max(completed_at), "
        "'-infinity') - interval '1 day' FROM withdrawal_costs WHERE kind = 'queue') "
        "AND NOT EXISTS (SELECT 1 FROM withdrawal_costs c WHERE c.kind = 'queue' "
        "AND c.withdrawal_ref = q.id) "
        "UNION ALL "
        "SELECT 'emergency', e.id, e.tx_hash, NULL, e.completed_at, e.fee_sun "
        "FROM emergency_withdrawals e WHERE e.status = 'completed' AND e.tx_hash IS NOT NULL "
        "AND e.completed_at >= (SELECT coalesce(max(completed_at), '-infinity') - interval '1 day' "
        "FROM withdrawal_costs WHERE kind = 'emergency') "
        "AND NOT EXISTS (SELECT 1 FROM withdrawal_costs c WHERE c.kind = 'emergency' "
        "AND c.withdrawal_ref = e.id) LIMIT $1",
        limit,
    )
    return rows


async def add_pending(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    """(kind, ref, tx_hash, pool_id, completed_at, energy_fee_sun, own_ratio, user_fee_sun, now)."""
    await conn.executemany(
        "INSERT INTO withdrawal_costs (kind, withdrawal_ref, tx_hash, pool_id, completed_at, energy_fee_sun, "
        "own_ratio, user_fee_sun, next_try_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
        "ON CONFLICT DO NOTHING",
        rows,
    )


async def due(conn: Connection, now: datetime, limit: int) -> list[Record]:
    """Pending rows whose receipt is due for a read."""
    rows: list[Record] = await conn.fetch(
        "SELECT id, kind, tx_hash, energy_fee_sun, own_ratio, attempts FROM withdrawal_costs "
        "WHERE status = 'pending' AND next_try_at <= $1 ORDER BY next_try_at LIMIT $2",
        now,
        limit,
    )
    return rows


async def retry_later(conn: Connection, row_id: int, at: datetime, error: str | None) -> None:
    """Not solid yet (or the node failed): read again at `at`."""
    await conn.execute(
        "UPDATE withdrawal_costs SET attempts = attempts + 1, next_try_at = $2, last_error = $3 "
        "WHERE id = $1 AND status = 'pending'",
        row_id,
        at,
        error,
    )


async def record(
    conn: Connection, row_id: int, cost: Cost, block_time: datetime | None, now: datetime
) -> bool:
    """Store the split once; False when another run already did."""
    done = await conn.fetchval(
        "UPDATE withdrawal_costs SET status = 'recorded', block_time = $2, energy_total = $3, "
        "energy_usage = $4, origin_energy_usage = $5, burned_sun = $6, staked_energy = $7, "
        "delegated_energy = $8, burned_energy = $9, cost_sun = $10, burn_all_sun = $11, recorded_at = $12, "
        "last_error = NULL WHERE id = $1 AND status = 'pending' RETURNING id",
        row_id,
        block_time,
        cost.energy_total,
        cost.energy_usage,
        cost.origin_energy_usage,
        cost.burned_sun,
        cost.staked_energy,
        cost.delegated_energy,
        cost.burned_energy,
        cost.cost_sun,
        cost.burn_all_sun,
        now,
    )
    return done is not None


async def daily(conn: Connection, since: datetime, step_s: int, limit: int) -> list[Record]:
    """Recorded costs summed per `step_s` bucket of completion time since `since`."""
    rows: list[Record] = await conn.fetch(
        "SELECT date_bin(make_interval(secs => $2), completed_at, 'epoch'::timestamptz) AS bucket, "
        "count(*) AS payouts, "
        "count(*) FILTER (WHERE kind = 'emergency') AS emergency_payouts, "
        "sum(energy_usage + burned_energy) AS energy, sum(staked_energy) AS staked_energy, "
        "sum(delegated_energy) AS delegated_energy, sum(burned_energy) AS burned_energy, "
        "sum(burned_sun) FILTER (WHERE kind = 'queue') AS burned_sun, "
        "sum(user_fee_sun) AS user_fee_sun, sum(cost_sun) AS cost_sun, sum(burn_all_sun) AS burn_all_sun "
        "FROM withdrawal_costs WHERE status = 'recorded' AND completed_at >= $1 "
        "GROUP BY bucket ORDER BY bucket LIMIT $3",
        since,
        step_s,
        limit,
    )
    return rows


async def pending_count(conn: Connection) -> int:
    """Completions whose receipt is not recorded yet."""
    return int(await conn.fetchval("SELECT count(*) FROM withdrawal_costs WHERE status = 'pending'"))
