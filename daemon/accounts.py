"""Partners and API keys: create, look up, revoke. Keys are random, shown once, stored hashed."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, Literal

from daemon.db import accounts_repo as repo
from daemon.db.types import Connection
from daemon.errors import Conflict, NotFound
from daemon.observability.profiler import profiled

Role = Literal["partner", "admin"]
KEY_PREFIX = "tw_"


@dataclass(frozen=True)
class Principal:
    """Who a request acts as."""

    key_id: int
    role: Role
    partner_id: int | None
    admin_id: int | None

    @property
    def scope(self) -> str:
        """A stable name for per-caller records (idempotency keys)."""
        return f"partner:{self.partner_id}" if self.role == "partner" else f"admin:{self.admin_id}"


@dataclass(frozen=True)
class NewKey:
    """A freshly made key: the secret is only ever here."""

    secret: str
    record: dict[str, Any]


def hash_key(secret: str) -> bytes:
    """Keys carry 256 random bits, so a fast hash is enough to make stored hashes useless."""
    return hashlib.sha256(secret.encode()).digest()


def _generate() -> tuple[str, str]:
    prefix = secrets.token_hex(4)
    return prefix, f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"


async def create_partner(conn: Connection, name: str, contact_email: str | None = None) -> dict[str, Any]:
    """A new partner; Conflict if the name is taken."""
    row = await repo.insert_partner(conn, name, contact_email)
    if row is None:
        raise Conflict(f"a partner named {name!r} already exists", field="name")
    return dict(row)


async def partner_by_name(conn: Connection, name: str, *, create: bool) -> dict[str, Any]:
    """The partner with this name (created if asked)."""
    row = await repo.get_partner_by_name(conn, name)
    if row is None:
        if not create:
            raise NotFound(f"no partner named {name!r}")
        row = await repo.insert_partner(conn, name, None) or await repo.get_partner_by_name(conn, name)
    assert row is not None  # inserted, or inserted concurrently by someone else
    return dict(row)


async def create_key(
    conn: Connection,
    *,
    role: Role,
    partner_id: int | None = None,
    admin_name: str | None = None,
    label: str | None = None,
) -> NewKey:
    """Make a key for a partner (must exist) or for an admin (created by name if new)."""
    admin_id = None
    if role == "partner":
        if partner_id is None or await repo.get_partner(conn, partner_id) is None:
            raise NotFound(f"partner {partner_id} does not exist")
    else:
        admin_id = await repo.upsert_admin(conn, admin_name or "admin")
    prefix, secret = _generate()
    row = await repo.insert_key(
        conn,
        prefix=prefix,
        key_hash=hash_key(secret),
        role=role,
        partner_id=partner_id if role == "partner" else None,
        admin_id=admin_id,
        label=label,
    )
    return NewKey(secret=secret, record=dict(row))


@profiled("db.authenticate")
async def authenticate(conn: Connection, secret: str) -> Principal | None:
    """The principal for a live key, or None for unknown and revoked keys."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 128:
        return None
    row = await repo.touch_key(conn, hash_key(secret))
    if row is None or row["revoked_at"] is not None:
        return None
    return Principal(
        key_id=row["id"], role=row["role"], partner_id=row["partner_id"], admin_id=row["admin_id"]
    )


async def revoke_key(conn: Connection, key_id: int) -> dict[str, Any]:
    """Revoke a key; NotFound if there is no such key."""
    row = await repo.revoke_key(conn, key_id)
    if row is None:
        raise NotFound(f"API key {key_id} does not exist")
    return dict(row)
