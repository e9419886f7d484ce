"""A client that never reads is dropped (and counted) while 50 others get every message."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
from typing import Any

from aiohttp.test_utils import TestClient

from daemon.monitoring.snapshot import message
from tests.conftest import Keys, bearer
from tests.monitoring.conftest import WS, AppFactory, next_of, state_of

READERS = 50
MESSAGES = 120
PADDING = "x" * 16_000


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
    client = await mon_app(collect_interval=60, ws_queue_size=8)
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

    async def read_all(ws: Any) -> list[int]:
        seen = []
        while len(seen) < MESSAGES:
            body = await next_of(ws, "test", timeout=30)
            seen.append(body["data"]["n"])
        return seen

    receiving = [asyncio.create_task(read_all(ws)) for ws in readers]
    for n in range(MESSAGES):  # a producer that never waits for any socket
        hub.broadcast(message("test", {"n": n, "padding": PADDING}))
        await asyncio.sleep(0.005)
    got = await asyncio.gather(*receiving)
    assert all(seen == list(range(MESSAGES)) for seen in got)  # every reader got everything, in order
    assert _dropped(client) > 0
    assert len(hub.clients) == READERS  # the slow one is gone, the readers are all still connected
    after = message("test", {"n": MESSAGES, "padding": ""})
    hub.broadcast(after)
    for ws in readers:
        assert json.loads((await ws.receive()).data)["data"]["n"] == MESSAGES
    slow.close()
    for ws in readers:
        await ws.close()
