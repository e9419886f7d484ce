"""A client that never reads is dropped (and counted) while 50 others get every message on time."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import socket
from typing import Any

from aiohttp.test_utils import TestClient

from daemon.monitoring.snapshot import message
from tests.conftest import Keys, bearer
from tests.monitoring.conftest import INTERVAL, WS, AppFactory, next_of, state_of

READERS = 50
MESSAGES = 50
PACE = INTERVAL / 5  # between test messages: the slow client stalls (~25 of them) for several intervals
PADDING = "x" * 16_000
# "On time": within two update intervals, plus slack for a loaded 2-CPU CI machine.
ON_TIME = 2 * INTERVAL + 0.5


async def _never_reading(client: TestClient[Any, Any], key: str) -> socket.socket:
    """A raw WebSocket client with a tiny receive buffer that stops reading after the handshake."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    sock.setblocking(False)
    await loop.sock_connect(sock, (client.server.host, client.server.port))
    nonce = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {WS} HTTP/1.1\r\nHost: {client.server.host}:{client.server.port}\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {nonce}\r\n"
        f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {key}\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += await loop.sock_recv(sock, 1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def _dropped(client: TestClient[Any, Any]) -> float:
    value = client.app[_registry_key()].registry.get_sample_value("tronwatch_ws_messages_dropped_total")
    return value or 0.0


def _registry_key() -> Any:
    from daemon import keys

    return keys.metrics


async def test_a_client_that_never_reads_is_dropped_while_others_keep_up(
    mon_app: AppFactory, keys: Keys
) -> None:
    client = await mon_app(ws_queue_size=8)  # metrics_update every INTERVAL, as in production
    admin, _ = await keys.admin()
    hub = state_of(client).hub
    readers = [await client.ws_connect(WS, headers=bearer(admin)) for _ in range(READERS)]
    for ws in readers:
        await next_of(ws, "hello")
    slow = await _never_reading(client, admin)
    while len(hub.clients) < READERS + 1:
        await asyncio.sleep(0.01)
    # Loopback buffers would swallow megabytes first: give the slow client's path a small send buffer.
    ours = slow.getsockname()
    for c in hub.clients:
        if c.transport.get_extra_info("peername") == ours:
            c.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    loop = asyncio.get_running_loop()
    sent: dict[int, float] = {}

    async def read_all(ws: Any) -> tuple[list[int], list[float], list[float]]:
        """Test messages in order, their delays from broadcast, and metrics_update times (then the end)."""
        seen: list[int] = []
        delays: list[float] = []
        updates: list[float] = []
        while len(seen) < MESSAGES:
            msg = await ws.receive(timeout=30)
            body = json.loads(msg.data)
            if body["type"] == "test":
                seen.append(body["data"]["n"])
                delays.append(loop.time() - sent[body["data"]["n"]])
            elif body["type"] == "metrics_update":
                updates.append(loop.time())
        return seen, delays, [*updates, loop.time()]

    receiving = [asyncio.create_task(read_all(ws)) for ws in readers]
    began, stalled_until = loop.time(), None
    for n in range(MESSAGES):  # a producer that never waits for any socket, at a steady pace
        sent[n] = loop.time()
        hub.broadcast(message("test", {"n": n, "padding": PADDING}))
        await asyncio.sleep(PACE)
        if stalled_until is None and len(hub.clients) == READERS:
            stalled_until = loop.time()
    got = await asyncio.gather(*receiving)
    # The slow client stayed connected, not reading, for several update intervals before it was dropped.
    assert stalled_until is not None and stalled_until - began > 2 * INTERVAL
    for seen, delays, updates in got:
        assert seen == list(range(MESSAGES))  # every reader got everything, in order
        assert max(delays) <= ON_TIME, max(delays)  # each message on time, stall or not
        ticks = [began, *updates]
        assert max(b - a for a, b in itertools.pairwise(ticks)) <= ON_TIME, ticks  # an update each interval
    assert _dropped(client) > 0
    assert len(hub.clients) == READERS  # the slow one is gone, the readers are all still connected
    after = message("test", {"n": MESSAGES, "padding": ""})
    hub.broadcast(after)
    for ws in readers:
        assert (await next_of(ws, "test"))["data"]["n"] == MESSAGES
    slow.close()
    for ws in readers:
        await ws.close()
