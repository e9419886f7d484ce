"""SQL for the system collector: shared counts, per-replica figures, the stored snapshot, NOTIFY."""

from __future__ import annotations

from datetime import datetime

from daemon.db.types import Connection, Record, one

CHANNEL = "tronwatch_monitoring"


async def active_partners(conn: Connection) -> tuple[int, int]:
    """(partners, partner keys) with a key used in the last 24 hours."""
    row = await conn.fetchrow(
        "SELECT count(DISTINCT partner_id) AS partners, count(*) AS keys FROM api_keys "
        "WHERE role = 'partner' AND last_used_at > now() - interval '24 hours'"
    )
    row = one(row)
    return int(row["partners"]), int(row["keys"])


async def transaction_counts(conn: Connection) -> Record:
    """Queue entries and emergency withdrawals created in the last hour, and what is open now."""
    row = await conn.fetchrow(
        "SELECT "
        "(SELECT count(*) FROM energy_withdrawal_queue WHERE created_at > now() - interval '1 hour') "
        "AS queued, "
        "(SELECT count(*) FROM emergency_withdrawals WHERE created_at > now() - interval '1 hour') "
        "AS emergency,"
        "(SELECT count(*) FROM energy_withdrawal_queue WHERE status = 'waiting') AS waiting,"
        "(SELECT count(*) FROM emergency_withdrawals WHERE status IN "
        "('pending_trx_payment', 'verifying', 'paid', 'processing')) AS emergency_open"
    )
    return one(row)


async def save_replica(conn: Connection, replica: str, figures: str, partner_api: str = "[]") -> None:
    """This replica's latest figures (JSON), with its per-partner request buckets under `partner_api`."""
    await conn.execute(
        "INSERT INTO monitoring_replicas (replica, figures, updated_at) "
        "VALUES ($1, $2::jsonb || jsonb_build_object('partner_api', $3::jsonb), now()) "
        "ON CONFLICT (replica) DO UPDATE SET figures = EXCLUDED.figures, updated_at = now()",
        replica,
        figures,
        partner_api,
    )


async def live_replicas(conn: Connection, within_s: float) -> list[Record]:
    """Figures of replicas that reported within `within_s` seconds (others are gone or stuck)."""
    rows: list[Record] = await conn.fetch(
        "SELECT replica, figures::text AS figures FROM monitoring_replicas "
        "WHERE updated_at > now() - make_interval(secs => $1) ORDER BY replica",
        within_s,
    )
    return rows


async def prune_replicas(conn: Connection, older_than_s: float) -> None:
    """Forget replicas silent for a long time."""
    await conn.execute(
        "DELETE FROM monitoring_replicas WHERE updated_at < now() - make_interval(secs => $1)", older_than_s
    )


async def save_snapshot(conn: Connection, text: str, collected_at: datetime) -> None:
    """Store the latest metrics_update message."""
    await conn.execute(
        "INSERT INTO monitoring_snapshot (id, message, collected_at) VALUES (1, $1, $2) "
        "ON CONFLICT (id) DO UPDATE SET message = EXCLUDED.message, collected_at = EXCLUDED.collected_at",
        text,
        collected_at,
    )


async def load_snapshot(conn: Connection) -> str | None:
    """The latest stored metrics_update message."""
    text: str | None = await conn.fetchval("SELECT message FROM monitoring_snapshot WHERE id = 1")
    return text


async def live_keys(conn: Connection, hashes: list[bytes]) -> set[bytes]:
    """Which of these key hashes still belong to unrevoked keys."""
    rows = await conn.fetch(
        "SELECT key_hash FROM api_keys WHERE key_hash = ANY($1::bytea[]) AND revoked_at IS NULL", hashes
    )
    return {bytes(r["key_hash"]) for r in rows}


async def notify(conn: Connection, payload: str) -> None:
    """Tell every replica (delivered at commit when inside a transaction)."""
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
