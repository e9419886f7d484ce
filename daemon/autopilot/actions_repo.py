"""SQL for autopilot actions: each one a row from planned to confirmed or failed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from daemon.autopilot.sources import Proposal
from daemon.db.types import Connection, Record, one

OPEN = ("planned", "approved", "signing", "broadcast")
COLUMNS = (
    "id, source, kind, owner_address, receiver_address, pool_id, amount_sun, energy, lock_blocks, reason, "
    "state, signer, baseline_sun, txid, expires_at, error, created_at, updated_at, finished_at"
)


async def upsert_planned(conn: Connection, p: Proposal, lock_blocks: int, signer: str) -> Record:
    """Record a proposal as planned, or refresh the open planned action for the same pair."""
    row = await conn.fetchrow(
        "INSERT INTO autopilot_actions (source, kind, owner_address, receiver_address, pool_id, amount_sun, "  # noqa: S608 (constant columns)
        "energy, lock_blocks, reason, state, signer) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'planned', $10) "
        "ON CONFLICT (kind, owner_address, coalesce(receiver_address, '')) "
        "WHERE state IN ('planned', 'approved', 'signing', 'broadcast') DO UPDATE SET "
        "amount_sun = EXCLUDED.amount_sun, energy = EXCLUDED.energy, reason = EXCLUDED.reason, "
        "updated_at = now() WHERE autopilot_actions.state = 'planned' "
        f"RETURNING {COLUMNS}",
        p.source,
        p.kind,
        p.owner,
        p.receiver,
        p.pool_id,
        p.amount_sun,
        p.energy,
        lock_blocks,
        p.reason,
        signer,
    )
    return one(row)


async def drop_stale_plans(conn: Connection, keep: list[int]) -> int:
    """Planned actions the latest plan no longer wants are cancelled (never executed later by surprise)."""
    got = await conn.execute(
        "UPDATE autopilot_actions SET state = 'cancelled', error = 'no longer needed', finished_at = now(), "
        "updated_at = now() WHERE state = 'planned' AND NOT (id = ANY($1::bigint[]))",
        keep,
    )
    return int(got.split()[-1])


async def open_actions(conn: Connection) -> list[Record]:
    """Actions not finished yet, oldest first."""
    return list(
        await conn.fetch(
            f"SELECT {COLUMNS} FROM autopilot_actions WHERE state = ANY($1::text[]) ORDER BY id",  # noqa: S608 (constant columns)
            list(OPEN),
        )
    )


async def busy_pools(conn: Connection, since: datetime) -> list[int]:
    """Pools with an open action or an action taken since `since` (the cooldown)."""
    rows = await conn.fetch(
        "SELECT DISTINCT pool_id FROM autopilot_actions WHERE pool_id IS NOT NULL AND ("
        "state IN ('approved', 'signing', 'broadcast') OR (state = 'confirmed' AND finished_at >= $1))",
        since,
    )
    return [r["pool_id"] for r in rows]


async def spent_since(conn: Connection, since: datetime) -> tuple[int, int]:
    """(energy delegated, sun staked) by actions committed since `since`: what today's budget used."""
    row = await conn.fetchrow(
        "SELECT coalesce(sum(energy) FILTER (WHERE kind = 'delegate'), 0)::bigint AS energy, "
        "coalesce(sum(amount_sun) FILTER (WHERE kind = 'stake'), 0)::bigint AS sun FROM autopilot_actions "
        "WHERE state IN ('approved', 'signing', 'broadcast', 'confirmed') AND created_at >= $1",
        since,
    )
    row = one(row)
    return int(row["energy"]), int(row["sun"])


async def failed_since(conn: Connection, since: datetime) -> int:
    """Actions that failed since `since`."""
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM autopilot_actions WHERE state = 'failed' AND finished_at >= $1", since
        )
    )


async def get(conn: Connection, action_id: int) -> Record | None:
    """One action."""
    return await conn.fetchrow(f"SELECT {COLUMNS} FROM autopilot_actions WHERE id = $1", action_id)  # noqa: S608 (constant columns)


async def listing(conn: Connection, state: str | None, limit: int, before: int | None) -> list[Record]:
    """Newest first, optionally one state, keyset-paged by id."""
    return list(
        await conn.fetch(
            f"SELECT {COLUMNS} FROM autopilot_actions WHERE ($1::text IS NULL OR state = $1) "  # noqa: S608 (constant columns)
            "AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
            state,
            before,
            limit,
        )
    )


async def move(
    conn: Connection, action_id: int, frm: tuple[str, ...], to: str, **values: Any
) -> Record | None:
    """Change state (only from one of `frm`) and set the given columns; None when it was not in `frm`."""
    allowed = {"baseline_sun", "txid", "expires_at", "error", "unsigned_tx", "claimed_until"}
    assert set(values) <= allowed
    names = sorted(values)
    sets = "".join(f", {n} = ${i + 4}" for i, n in enumerate(names))
    finished = ", finished_at = now()" if to in ("confirmed", "failed", "cancelled") else ""
    args = [
        json.dumps(values[n]) if n == "unsigned_tx" and values[n] is not None else values[n] for n in names
    ]
    return await conn.fetchrow(
        f"UPDATE autopilot_actions SET state = $2, updated_at = now(){finished}{sets} "  # noqa: S608 (constant columns)
        f"WHERE id = $1 AND state = ANY($3::text[]) RETURNING {COLUMNS}",
        action_id,
        to,
        list(frm),
        *args,
    )


async def claim_unsigned(conn: Connection, now: datetime, until: datetime, limit: int) -> list[Record]:
    """Executor-signed actions waiting for a signature, claimed until `until`."""
    return list(
        await conn.fetch(
            "UPDATE autopilot_actions SET claimed_until = $2, updated_at = now() WHERE id IN ("  # noqa: S608 (constant columns)
            "SELECT id FROM autopilot_actions WHERE state = 'signing' AND signer = 'executor' "
            "AND unsigned_tx IS NOT NULL AND (claimed_until IS NULL OR claimed_until < $1) "
            "ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) "
            f"RETURNING {COLUMNS}, unsigned_tx",
            now,
            until,
            limit,
        )
    )
