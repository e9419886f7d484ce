"""SQL for partners, admins and API keys."""

from __future__ import annotations

from daemon.db.types import Connection, Record, one


async def insert_partner(conn: Connection, name: str, contact_email: str | None) -> Record | None:
    """Insert a partner; None when the name is taken."""
    return await conn.fetchrow(
        "INSERT INTO partners (name, contact_email) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING "
        "RETURNING id, name, contact_email, created_at",
        name,
        contact_email,
    )


async def get_partner(conn: Connection, partner_id: int) -> Record | None:
    """One partner by id."""
    return await conn.fetchrow(
        "SELECT id, name, contact_email, created_at FROM partners WHERE id = $1", partner_id
    )


async def get_partner_by_name(conn: Connection, name: str) -> Record | None:
    """One partner by name."""
    return await conn.fetchrow(
        "SELECT id, name, contact_email, created_at FROM partners WHERE name = $1", name
    )


async def list_partners(conn: Connection, *, after_id: int, limit: int) -> list[Record]:
    """Partners in id order, after a cursor."""
    rows: list[Record] = await conn.fetch(
        "SELECT id, name, contact_email, created_at FROM partners WHERE id > $1 ORDER BY id LIMIT $2",
        after_id,
        limit,
    )
    return rows


async def upsert_admin(conn: Connection, name: str) -> int:
    """The id of the admin with this name, created if new."""
    admin_id: int = await conn.fetchval(
        "INSERT INTO admins (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name "
        "RETURNING id",
        name,
    )
    return admin_id


async def insert_key(
    conn: Connection,
    *,
    prefix: str,
    key_hash: bytes,
    role: str,
    partner_id: int | None,
    admin_id: int | None,
    label: str | None,
) -> Record:
    """Store a new key (its hash only)."""
    row = await conn.fetchrow(
        "INSERT INTO api_keys (prefix, key_hash, role, partner_id, admin_id, label) "
        "VALUES ($1, $2, $3, $4, $5, $6) "
        "RETURNING id, prefix, role, partner_id, admin_id, label, created_at, last_used_at, revoked_at",
        prefix,
        key_hash,
        role,
        partner_id,
        admin_id,
        label,
    )
    return one(row)


async def touch_key(conn: Connection, key_hash: bytes) -> Record | None:
    """Look a key up by hash and record that it was used."""
    return await conn.fetchrow(
        "UPDATE api_keys SET last_used_at = now() WHERE key_hash = $1 "
        "RETURNING id, prefix, role, partner_id, admin_id, label, created_at, last_used_at, revoked_at",
        key_hash,
    )


async def list_keys(conn: Connection) -> list[Record]:
    """Every key with its owner's name."""
    rows: list[Record] = await conn.fetch(
        "SELECT k.id, k.prefix, k.role, k.partner_id, k.admin_id, k.label, k.created_at, k.last_used_at, "
        "k.revoked_at, coalesce(p.name, a.name) AS owner FROM api_keys k "
        "LEFT JOIN partners p ON p.id = k.partner_id LEFT JOIN admins a ON a.id = k.admin_id ORDER BY k.id"
    )
    return rows


async def revoke_key(conn: Connection, key_id: int) -> Record | None:
    """Revoke a key (idempotent); None when it does not exist."""
    return await conn.fetchrow(
        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 "
        "RETURNING id, prefix, role, partner_id, admin_id, label, created_at, last_used_at, revoked_at",
        key_id,
    )
