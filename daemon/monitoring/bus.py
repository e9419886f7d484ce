"""Replicas share the stream through PostgreSQL LISTEN/NOTIFY on one dedicated connection each."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from daemon.db.connect import DatabaseUnavailable, connect
from daemon.monitoring import repo
from daemon.tasks import wait_event

log = logging.getLogger(__name__)
NOTIFY_LIMIT = 7900  # PostgreSQL refuses payloads of 8000 bytes and more
METRICS_REF = '{"type":"metrics_ref"}'  # "the snapshot was too big for NOTIFY: read the table"
OUTBOX_SIZE = 1000
DB_ERRORS = (DatabaseUnavailable, asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)


def fits(text: str) -> bool:
    """Whether a message can travel as a NOTIFY payload."""
    return len(text.encode()) <= NOTIFY_LIMIT


class Listener:
    """LISTEN forever; reconnect after a lost session and catch up through `on_connect`."""

    def __init__(
        self,
        url: str,
        on_message: Callable[[str], None],
        on_connect: Callable[[], Awaitable[None]],
        *,
        check_every: float,
    ) -> None:
        self.url = url
        self.on_message = on_message
        self.on_connect = on_connect
        self.check_every = check_every
        self.connected = asyncio.Event()

    def _notified(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        try:
            self.on_message(payload)
        except Exception:  # one bad message must not end the listener
            log.exception("monitoring message not handled")

    async def run(self) -> None:
        """Until cancelled."""
        while True:
            try:
                conn = await connect(self.url, connect_timeout=self.check_every)
            except DB_ERRORS as exc:
                log.warning("monitoring listener cannot connect error=%s", exc)
                await asyncio.sleep(self.check_every)
                continue
            lost = asyncio.Event()
            conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
            try:
                await conn.add_listener(repo.CHANNEL, self._notified)
                self.connected.set()
                await self.on_connect()
                while not await wait_event(lost, self.check_every):
                    await conn.fetchval("SELECT 1", timeout=self.check_every)
            except DB_ERRORS as exc:
                log.warning("monitoring listener lost its connection error=%s", exc)
            finally:
                self.connected.clear()
                conn.terminate()
            await asyncio.sleep(self.check_every)


class Publisher:
    """Events from synchronous hooks go through a bounded outbox to one task that sends the NOTIFYs."""

    def __init__(self, local: Callable[[str], None]) -> None:
        self.outbox: asyncio.Queue[str] = asyncio.Queue(OUTBOX_SIZE)
        self.local = local  # the replica's own hub, when the database cannot carry a message

    def publish_soon(self, text: str) -> None:
        """Queue a message for every replica; never blocks."""
        try:
            self.outbox.put_nowait(text)
        except asyncio.QueueFull:
            log.warning("monitoring outbox full, event dropped")

    async def run(self, pool: Any) -> None:
        """Send queued messages until cancelled."""
        while True:
            text = await self.outbox.get()
            try:
                async with pool.acquire(timeout=5) as conn:
                    await repo.notify(conn, text)
            except DB_ERRORS as exc:
                log.warning("monitoring event not shared, delivered locally error=%s", exc)
                self.local(text)
