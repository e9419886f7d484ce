"""SQL for Idempotency-Key records."""

from __future__ import annotations

from daemon.db.types import Connection, Record


async def claim(conn: Connection, scope: str, key: str, request_hash: bytes) -> bool:
    """Insert an in-flight record; False when the key is already known."""
    row = await conn.fetchval(
        "INSERT INTO idempotency_records (scope, key, request_hash, state) VALUES ($1, $2, $3, 'in_flight') "
        "ON CONFLICT (scope, key) DO NOTHING RETURNING 1",
        scope,
        key,
        request_hash,
    )
    return row is not None


async def take_over_stale(
    conn: Connection, scope: str, key: str, request_hash: bytes, stale_seconds: float
) -> bool:
    """Adopt an in-flight record whose owner died (older than `stale_seconds`)."""
    row = await conn.fetchval(
        "UPDATE idempotency_records SET created_at = now() WHERE scope = $1 AND key = $2 "
        "AND request_hash = $3 AND state = 'in_flight' "
        "AND created_at < now() - make_interval(secs => $4) RETURNING 1",
        scope,
        key,
        request_hash,
        stale_seconds,
    )
    return row is not None


async def get(conn: Connection, scope: str, key: str) -> Record | None:
    """The record for a key, or None."""
    return await conn.fetchrow(
        "SELECT request_hash, state, response_status, response_body, response_content_type "
        "FROM idempotency_records WHERE scope = $1 AND key = $2",
        scope,
        key,
    )


async def complete(
    conn: Connection, scope: str, key: str, status: int, body: bytes, content_type: str
) -> None:
    """Store the response the first request produced."""
    await conn.execute(
        "UPDATE idempotency_records SET state = 'done', response_status = $3, response_body = $4, "
        "response_content_type = $5 WHERE scope = $1 AND key = $2",
        scope,
        key,
        status,
        body,
        content_type,
    )


async def release(conn: Connection, scope: str, key: str) -> None:
    """Forget an in-flight record whose request failed, so the client may retry."""
    await conn.execute(
        "DELETE FROM idempotency_records WHERE scope = $1 AND key = $2 AND state = 'in_flight'", scope, key
    )


async def purge_older_than(conn: Connection, hours: float) -> int:
    """Delete records past their retention; returns how many."""
    result: str = await conn.execute(
        "DELETE FROM idempotency_records WHERE created_at < now() - make_interval(secs => $1)", hours * 3600
    )
    return int(result.split()[-1])
