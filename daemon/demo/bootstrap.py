"""Demo mode: a demo partner and an admin, with keys made once and shown once."""

from __future__ import annotations

from daemon import accounts
from daemon.db.types import Connection

DEMO_PARTNER = "demo-partner"
DEMO_ADMIN = "demo-admin"
_BOOTSTRAP_LOCK = 7_418_190_553_002


async def bootstrap(conn: Connection) -> dict[str, str] | None:
    """Create the demo partner and admin keys if the database has no keys yet; None if it had."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _BOOTSTRAP_LOCK)
        if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM api_keys)"):
            return None
        partner = await accounts.partner_by_name(conn, DEMO_PARTNER, create=True)
        partner_key = await accounts.create_key(conn, role="partner", partner_id=partner["id"], label="demo")
        admin_key = await accounts.create_key(conn, role="admin", admin_name=DEMO_ADMIN, label="demo")
    return {"admin": admin_key.secret, "partner": partner_key.secret}
