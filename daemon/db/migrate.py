"""Alembic migrations: upgrade to head, and tell whether a database is at head."""

from __future__ import annotations

import asyncio
import logging
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

import migrations
from daemon.db.types import Connection

log = logging.getLogger(__name__)


def _alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    if url is not None:
        cfg.attributes["sqlalchemy_url"] = url.replace("postgresql://", "postgresql+asyncpg://", 1).replace(
            "postgres://", "postgresql+asyncpg://", 1
        )
    return cfg


@cache
def head_revision() -> str:
    """The newest revision shipped with this build."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def upgrade_sync(url: str) -> None:
    """Upgrade the database at `url` to head (blocking; takes a cluster-wide advisory lock)."""
    command.upgrade(_alembic_config(url), "head")


async def upgrade(url: str) -> None:
    """Upgrade to head without blocking the event loop."""
    log.info("migrations upgrading to=%s", head_revision())
    await asyncio.to_thread(upgrade_sync, url)


async def current_revision(conn: Connection) -> str | None:
    """The revision the database is at, or None before the first migration."""
    exists = await conn.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL")
    if not exists:
        return None
    rev: str | None = await conn.fetchval("SELECT version_num FROM alembic_version")
    return rev


async def at_head(conn: Connection) -> bool:
    """True when the database schema matches this build."""
    return await current_revision(conn) == head_revision()
