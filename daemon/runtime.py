"""Mutable per-app state that exists only while the app runs (set in cleanup contexts)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Runtime:
    """The database pool and background tasks of one running app."""

    pool: Any = None  # asyncpg.Pool; asyncpg is untyped
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
