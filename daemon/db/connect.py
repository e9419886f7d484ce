"""Connections and pools to PostgreSQL, with errors that name the (masked) URL."""

from __future__ import annotations

import asyncpg

from daemon.config import mask_url
from daemon.db.types import Connection, Pool


class DatabaseUnavailable(Exception):
    """The database could not be reached."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot reach database {mask_url(url)}: {reason}")


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]


async def connect(url: str, *, connect_timeout: float = 5.0) -> Connection:
    """One connection, or DatabaseUnavailable."""
    try:
        conn: Connection = await asyncpg.connect(url, timeout=connect_timeout)
        return conn
    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise DatabaseUnavailable(url, _reason(exc)) from exc


async def keep_session(conn: Connection) -> None:
    """Pool release hook: asyncpg still rolls back an open transaction; no reset query is sent."""
    # Pooled connections never carry session state (no SET, LISTEN, cursors or session advisory locks:
    # the leader lease holds its lock on its own connection), so asyncpg's default RESET ALL / UNLISTEN /
    # pg_advisory_unlock_all round trip on every release would buy nothing but latency.


async def create_pool(url: str, *, min_size: int, max_size: int, connect_timeout: float = 5.0) -> Pool:
    """A connection pool, or DatabaseUnavailable."""
    try:
        pool: Pool = await asyncpg.create_pool(
            url,
            min_size=min_size,
            max_size=max_size,
            timeout=connect_timeout,
            command_timeout=30,
            reset=keep_session,
        )
    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise DatabaseUnavailable(url, _reason(exc)) from exc
    return pool


async def ensure_database(server_url: str, name: str) -> None:
    """Create database `name` on the server if it does not exist (embedded mode)."""
    conn = await connect(server_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            # Identifiers can't be bound as parameters; `name` is our own constant, quoted anyway.
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
