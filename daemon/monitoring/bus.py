"""Replicas share the stream through PostgreSQL LISTEN/NOTIFY on one dedicated connection each."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial

from daemon.db.connect import connect
from daemon.db.errors import DB_ERRORS
from daemon.db.types import Connection, Pool
from daemon.jobs import Job
from daemon.monitoring import repo
from daemon.tasks import wait_event

log = logging.getLogger(__name__)
NOTIFY_LIMIT = 7900  # PostgreSQL refuses payloads of 8000 bytes and more
METRICS_REF = '{"type":"metrics_ref"}'  # "the snapshot was too big for NOTIFY: read the table"
OUTBOX_SIZE = 1000


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

    def _notified(self, conn: Connection, pid: int, channel: str, payload: str) -> None:
        try:
            self.on_message(payload)
        except Exception:  # one bad message must not end the listener
            log.exception("monitoring message not handled")

    def job(self) -> Job:
        """`monitoring-listen`, a service job: a lost session is opened again after `check_every`."""
        return Job("monitoring-listen", self.session, interval=self.check_every, service=True)

    async def session(self) -> None:
        """LISTEN on one connection, catching up first, until the connection is lost (then raise)."""
        conn = await connect(self.url, connect_timeout=self.check_every)
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        try:
            await conn.add_listener(repo.CHANNEL, self._notified)
            self.connected.set()
            await self.on_connect()
            while not await wait_event(lost, self.check_every):
                await conn.fetchval("SELECT 1", timeout=self.check_every)
            raise ConnectionResetError("the monitoring listener's connection was closed")
        finally:
            self.connected.clear()
            conn.terminate()


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

    def job(self, pool: Pool) -> Job:
        """`monitoring-publish` (every replica): each pass waits for queued messages and sends them."""
        return Job("monitoring-publish", partial(self.send_queued, pool), interval=0.0)

    async def send_queued(self, pool: Pool) -> None:
        """Wait for a message, then send it and whatever else is queued by now."""
        texts = [await self.outbox.get()]
        while not self.outbox.empty():
            texts.append(self.outbox.get_nowait())
        for text in texts:
            try:
                async with pool.acquire(timeout=5) as conn:
                    await repo.notify(conn, text)
            except DB_ERRORS as exc:
                log.warning("monitoring event not shared, delivered locally error=%s", exc)
                self.local(text)
