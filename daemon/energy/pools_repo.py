"""SQL for energy pools, their scraped state, the chain state and the snapshot history."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from daemon.db.types import Connection, Record
from daemon.observability.profiler import profiled


async def insert_pool(
    conn: Connection, name: str, address: str, target_trx: Decimal, *, source: str = "api"
) -> Record | None:
    """Insert a pool; None when the name or address is taken."""
    return await conn.fetchrow(
        "INSERT INTO energy_pools (name, wallet_address, target_trx, source) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT DO NOTHING "
        "RETURNING id, name, wallet_address, target_trx, enabled, source, created_at, updated_at",
        name,
        address,
        target_trx,
        source,
    )


async def find_clash(conn: Connection, name: str | None, address: str | None) -> Record | None:
    """A pool that already has this name or this address."""
    return await conn.fetchrow(
        "SELECT id, name, wallet_address, target_trx, enabled, source, created_at, updated_at "
        "FROM energy_pools WHERE wallet_address = $1 OR name = $2 LIMIT 1",
        address,
        name,
    )


async def get_pool(conn: Connection, pool_id: int) -> Record | None:
    """One pool by id."""
    return await conn.fetchrow(
        "SELECT id, name, wallet_address, target_trx, enabled, source, created_at, updated_at "
        "FROM energy_pools WHERE id = $1",
        pool_id,
    )


async def list_pools(conn: Connection) -> list[Record]:
    """Every pool in id order."""
    rows: list[Record] = await conn.fetch(
        "SELECT id, name, wallet_address, target_trx, enabled, source, created_at, updated_at "
        "FROM energy_pools ORDER BY id"
    )
    return rows


async def update_pool(
    conn: Connection, pool_id: int, *, name: str | None, target_trx: Decimal | None, enabled: bool | None
) -> Record | None:
    """Change the given fields (None leaves a field as is)."""
    return await conn.fetchrow(
        "UPDATE energy_pools SET name = coalesce($2, name), target_trx = coalesce($3, target_trx), "
        "enabled = coalesce($4, enabled), updated_at = now() WHERE id = $1 "
        "RETURNING id, name, wallet_address, target_trx, enabled, source, created_at, updated_at",
        pool_id,
        name,
        target_trx,
        enabled,
    )


async def delete_pool(conn: Connection, pool_id: int) -> Record | None:
    """Delete a pool with its state and history; None when absent.

    Withdrawals released to it but not yet claimed go back to waiting (their old ids keep their place at
    the head of the queue): their energy reservation dies with the pool. Claimed ones keep going.
    """
    async with conn.transaction():
        # Lock the pool first: a release to it in flight finishes before our UPDATE (which then sees it),
        # and one starting later fails its foreign-key check instead of being orphaned by ON DELETE SET NULL.
        if await conn.fetchval("SELECT 1 FROM energy_pools WHERE id = $1 FOR UPDATE", pool_id) is None:
            return None
        await conn.execute(
            "UPDATE energy_withdrawal_queue SET status = 'waiting', pool_id = NULL, released_at = NULL "
            "WHERE pool_id = $1 AND status = 'released'",
            pool_id,
        )
        return await conn.fetchrow(
            "DELETE FROM energy_pools WHERE id = $1 "
            "RETURNING id, name, wallet_address, target_trx, enabled, source, created_at, updated_at",
            pool_id,
        )


async def upsert_config_pool(
    conn: Connection, name: str, address: str, target_trx: Decimal, enabled: bool
) -> None:
    """Make a config-declared pool exist with the config's values (the config file owns it)."""
    await conn.execute(
        "INSERT INTO energy_pools (name, wallet_address, target_trx, enabled, source) "
        "VALUES ($1, $2, $3, $4, 'config') ON CONFLICT (wallet_address) DO UPDATE SET "
        "name = EXCLUDED.name, target_trx = EXCLUDED.target_trx, enabled = EXCLUDED.enabled, "
        "source = 'config', updated_at = now()",
        name,
        address,
        target_trx,
        enabled,
    )


async def release_undeclared(conn: Connection, declared: list[str]) -> list[Record]:
    """Disable config pools whose address is no longer declared and hand them to the API."""
    rows: list[Record] = await conn.fetch(
        "UPDATE energy_pools SET enabled = false, source = 'api', updated_at = now() "
        "WHERE source = 'config' AND wallet_address <> ALL($1::text[]) RETURNING id, name, wallet_address",
        declared,
    )
    return rows


@profiled("db.pool_states_save")
async def save_states(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    """Upsert each pool's latest state (tuples in column order), so other replicas can serve it."""
    await conn.executemany(
        "INSERT INTO energy_pool_state (pool_id, up, last_error, last_scraped_at, chain_time, energy_limit, "
        "energy_used, window_slots, frozen_sun, balance_sun, net_available, daily_consumption, "
        "runway_seconds) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
        "ON CONFLICT (pool_id) DO UPDATE SET up = $2, last_error = $3, last_scraped_at = $4, "
        "chain_time = $5, energy_limit = $6, energy_used = $7, window_slots = $8, frozen_sun = $9, "
        "balance_sun = $10, net_available = $11, daily_consumption = $12, runway_seconds = $13, "
        "updated_at = now()",
        rows,
    )


async def load_states(conn: Connection) -> list[Record]:
    """Every pool with its latest state (state columns null when never scraped)."""
    rows: list[Record] = await conn.fetch(
        "SELECT p.id, p.name, p.wallet_address, p.target_trx, p.enabled, s.up, s.last_error, "
        "s.last_scraped_at, s.chain_time, s.energy_limit, s.energy_used, s.window_slots, s.frozen_sun, "
        "s.balance_sun, s.net_available, s.daily_consumption, s.runway_seconds "
        "FROM energy_pools p LEFT JOIN energy_pool_state s ON s.pool_id = p.id ORDER BY p.id"
    )
    return rows


async def save_chain_state(
    conn: Connection, energy_fee_sun: int, transaction_fee_sun: int, quote: dict[str, Any] | None
) -> None:
    """Upsert the chain prices and the current quote."""
    await conn.execute(
        "INSERT INTO energy_chain_state (id, energy_fee_sun, transaction_fee_sun, quote) "
        "VALUES (1, $1, $2, $3::jsonb) ON CONFLICT (id) DO UPDATE SET energy_fee_sun = $1, "
        "transaction_fee_sun = $2, quote = $3::jsonb, refreshed_at = now()",
        energy_fee_sun,
        transaction_fee_sun,
        json.dumps(quote) if quote is not None else None,
    )


async def load_chain_state(conn: Connection) -> Record | None:
    """The chain prices and quote, if the leader stored any."""
    return await conn.fetchrow(
        "SELECT energy_fee_sun, transaction_fee_sun, quote::text AS quote, refreshed_at "
        "FROM energy_chain_state WHERE id = 1"
    )


async def insert_snapshots(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    """Append history rows: (pool_id, taken_at, chain_time, limit, used, available, window, frozen,
    balance, energy_fee_sun, daily_consumption)."""
    await conn.executemany(
        "INSERT INTO energy_pool_snapshots (pool_id, taken_at, chain_time, energy_limit, energy_used, "
        "energy_available, window_slots, frozen_sun, balance_sun, energy_fee_sun, daily_consumption) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
        rows,
    )


async def snapshots_since(conn: Connection, since: datetime) -> list[Record]:
    """History rows newer than `since`, per pool in time order (to rebuild daily consumption)."""
    rows: list[Record] = await conn.fetch(
        "SELECT pool_id, chain_time, energy_used, window_slots FROM energy_pool_snapshots "
        "WHERE taken_at > $1 ORDER BY pool_id, chain_time",
        since,
    )
    return rows


async def history(
    conn: Connection, pool_id: int, since: datetime, step_seconds: int, limit: int
) -> list[Record]:
    """The last snapshot in each `step_seconds` bucket since `since`, oldest first."""
    rows: list[Record] = await conn.fetch(
        "SELECT * FROM (SELECT DISTINCT ON (bucket) "
        "date_bin(make_interval(secs => $3), taken_at, 'epoch'::timestamptz) AS bucket, taken_at, "
        "chain_time, energy_limit, energy_used, energy_available, frozen_sun, balance_sun, "
        "energy_fee_sun, daily_consumption FROM energy_pool_snapshots "
        "WHERE pool_id = $1 AND taken_at >= $2 ORDER BY bucket, taken_at DESC) b ORDER BY bucket LIMIT $4",
        pool_id,
        since,
        step_seconds,
        limit,
    )
    return rows


async def prune_snapshots(
    conn: Connection, *, drop_before: datetime, thin_before: datetime, bucket_s: int
) -> int:
    """Drop history past retention and keep one row per pool and `bucket_s` before `thin_before`."""
    dropped = await conn.execute("DELETE FROM energy_pool_snapshots WHERE taken_at < $1", drop_before)
    thinned = await conn.execute(
        "DELETE FROM energy_pool_snapshots s WHERE s.taken_at < $1 AND EXISTS ("
        "SELECT 1 FROM energy_pool_snapshots t WHERE t.pool_id = s.pool_id AND t.taken_at < s.taken_at "
        "AND date_bin(make_interval(secs => $2), t.taken_at, 'epoch'::timestamptz) = "
        "date_bin(make_interval(secs => $2), s.taken_at, 'epoch'::timestamptz))",
        thin_before,
        bucket_s,
    )
    return int(dropped.split()[-1]) + int(thinned.split()[-1])
