"""What a lost, refused or timed-out database call raises: one tuple for every `except`."""

from __future__ import annotations

import asyncpg

from daemon.db.connect import DatabaseUnavailable

DB_ERRORS: tuple[type[BaseException], ...] = (
    DatabaseUnavailable,
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # e.g. a query cancelled mid-flight leaves the connection unusable
)
