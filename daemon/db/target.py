"""Which database a command talks to: the configured URL, or the embedded server in demo mode."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from daemon.config import Settings, mask_url
from daemon.db.connect import ensure_database
from daemon.db.embedded import DATABASE_NAME, EmbeddedPostgres


@dataclass(frozen=True)
class DatabaseTarget:
    """A database URL and how to describe it to a person."""

    url: str
    description: str
    embedded: bool
    server: EmbeddedPostgres | None = None  # the embedded server this process holds, to keep it running


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[DatabaseTarget]:
    """Yield the target; in demo mode start (or attach to) the embedded server and release it after."""
    if settings.database.url is not None:
        yield DatabaseTarget(settings.database.url, mask_url(settings.database.url), embedded=False)
        return
    server = EmbeddedPostgres(settings.data_dir)
    with warnings.catch_warnings():
        # platformdirs warns about a missing XDG_RUNTIME_DIR on servers; harmless here.
        warnings.simplefilter("ignore")
        server_url = await asyncio.to_thread(server.start)
    try:
        await ensure_database(server_url, DATABASE_NAME)
        url = server.url()
        description = f"embedded PostgreSQL in {server.pgdata} ({url})"
        yield DatabaseTarget(url, description, embedded=True, server=server)
    finally:
        await asyncio.to_thread(server.stop)
