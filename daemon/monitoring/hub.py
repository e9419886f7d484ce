"""WebSocket fan-out: each message encoded once, one bounded queue and one writer task per client."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from prometheus_client import CollectorRegistry, Counter, Gauge

log = logging.getLogger(__name__)
CLOSE_GRACE = 2.0


@dataclass(eq=False, slots=True)
class Client:
    """One connected, authenticated socket."""

    ws: web.WebSocketResponse
    transport: Any  # asyncio.Transport, aborted when the client is dropped
    queue: asyncio.Queue[bytes | None]  # None: close politely
    name: str
    key_hash: bytes = b""  # the key it authenticated with: re-checked for revocation
    writer: asyncio.Task[None] | None = field(default=None)
    close_code: int = 1001
    close_reason: bytes = b"server shutting down"


class Pending:
    """Sockets upgraded but not yet authenticated, in total and per client IP."""

    def __init__(self) -> None:
        self.total = 0
        self.by_ip: dict[object, int] = {}

    def add(self, ip: object) -> None:
        """One more socket authenticating."""
        self.total += 1
        self.by_ip[ip] = self.by_ip.get(ip, 0) + 1

    def remove(self, ip: object) -> None:
        """Its auth phase ended (authenticated, refused or gone)."""
        self.total -= 1
        left = self.by_ip[ip] - 1
        if left:
            self.by_ip[ip] = left
        else:
            del self.by_ip[ip]


class Hub:
    """Producers call `broadcast`/`send`, which never await: a full queue drops the client instead."""

    def __init__(self, queue_size: int, registry: CollectorRegistry) -> None:
        self.queue_size = queue_size
        self.clients: set[Client] = set()
        gauge = Gauge("tronwatch_ws_clients", "Connected /ws/monitoring clients", registry=registry)
        gauge.set_function(lambda: len(self.clients))
        self.dropped = Counter(
            "tronwatch_ws_messages_dropped",
            "Messages a slow /ws/monitoring client never got (it was disconnected)",
            registry=registry,
        )
        self.closing = False
        self.pending = Pending()

    def attach(self, ws: web.WebSocketResponse, transport: Any, name: str, key_hash: bytes = b"") -> Client:
        """Start a client's writer task."""
        client = Client(ws, transport, asyncio.Queue(self.queue_size), name, key_hash)
        client.writer = asyncio.create_task(self._write(client), name=f"ws-writer:{name}")
        self.clients.add(client)
        return client

    def detach(self, client: Client) -> None:
        """Forget a client whose socket ended."""
        self.clients.discard(client)
        writer = client.writer
        if writer is not None and writer is not asyncio.current_task() and not writer.done():
            writer.cancel()

    def broadcast(self, text: str) -> None:
        """Queue one message for every client (encoded once)."""
        data = text.encode()
        for client in list(self.clients):
            self.offer(client, data)

    def send(self, client: Client, text: str) -> None:
        """Queue one message for one client (e.g. the answer to get_metrics)."""
        self.offer(client, text.encode())

    def offer(self, client: Client, data: bytes) -> None:
        """put_nowait, or drop the client when its queue is full."""
        if client not in self.clients:
            return
        try:
            client.queue.put_nowait(data)
        except asyncio.QueueFull:
            self._drop(client)

    def close(self, client: Client, code: int, reason: bytes) -> None:
        """Close one client after what is already queued for it."""
        client.close_code, client.close_reason = code, reason
        try:
            client.queue.put_nowait(None)
        except asyncio.QueueFull:
            self._drop(client)

    def _drop(self, client: Client) -> None:
        self.dropped.inc(1 + client.queue.qsize())
        log.warning("ws client too slow, disconnected client=%s queued=%d", client.name, client.queue.qsize())
        self.detach(client)
        # The socket is stuck (its buffers are full): a close frame would never get through.
        if client.transport is not None:
            client.transport.abort()

    async def _write(self, client: Client) -> None:
        ws, queue = client.ws, client.queue
        try:
            while (data := await queue.get()) is not None:  # None: close after what was queued
                await ws.send_frame(data, WSMsgType.TEXT)
            async with asyncio.timeout(CLOSE_GRACE):
                await ws.close(code=client.close_code, message=client.close_reason)
        except (ConnectionError, RuntimeError, TimeoutError) as exc:
            log.debug("ws writer ended client=%s error=%r", client.name, exc)
        finally:
            self.clients.discard(client)

    async def close_all(self) -> None:
        """Graceful shutdown: every client gets a 1001 close frame after what is already queued."""
        self.closing = True
        writers = [c.writer for c in self.clients if c.writer is not None]
        for client in list(self.clients):
            self.close(client, 1001, b"server shutting down")
        if writers:
            _, stuck = await asyncio.wait(writers, timeout=CLOSE_GRACE + 1)
            for task in stuck:
                task.cancel()
        for client in list(self.clients):
            with contextlib.suppress(Exception):
                client.transport.abort()
        self.clients.clear()
