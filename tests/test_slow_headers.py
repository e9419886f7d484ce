"""A client that sends its request headers slowly is cut off; slow bodies and idle keep-alive are not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from prometheus_client import CollectorRegistry

from daemon.app import create_app
from daemon.http.listener import Runner
from tests.conftest import Keys, make_settings

DEADLINE = 0.5  # seconds; production's default is 15
TRICKLE = 0.1  # seconds between bytes: slow, yet each byte arrives well within the deadline


@pytest.fixture
async def port(database_url: str, tmp_path: Path) -> AsyncIterator[int]:
    """The app served the way `tronwatch run` serves it, with a short header deadline."""
    settings = make_settings(database_url, tmp_path, server={"header_timeout": DEADLINE})
    app = create_app(settings, database_url=database_url, registry=CollectorRegistry())
    runner = Runner(app, header_timeout=settings.server.header_timeout, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield site.port
    await runner.cleanup()


async def _closed(reader: asyncio.StreamReader) -> bool:
    """Whether the server closed the connection without answering (within a generous bound)."""
    try:
        async with asyncio.timeout(30):
            return await reader.read() == b""
    except ConnectionError:
        return True  # closed while we were still writing


async def _read_response(reader: asyncio.StreamReader) -> bytes:
    """Read one whole response (status line, headers, a Content-Length body); its status line."""
    async with asyncio.timeout(30):
        status = await reader.readline()
        length = 0
        while (line := await reader.readline()) != b"\r\n":
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
    return status


async def test_headers_sent_a_byte_at_a_time_are_cut_off(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: tronwatch\r\nX-Slow: ")
    sent = 0
    try:
        # One header value a byte at a time: a minute if nobody stops it, within every size limit
        # (before: the connection stayed open all along).
        for _ in range(600):
            await asyncio.sleep(TRICKLE)
            writer.write(b"x")
            await writer.drain()
            sent += 1
    except ConnectionError:
        pass  # the server has closed the connection
    assert await _closed(reader)
    assert sent < 600
    writer.close()


async def test_a_connection_that_sends_nothing_is_closed(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    assert await _closed(reader)
    writer.close()


async def test_a_slow_body_and_an_idle_keep_alive_connection_are_not_cut(port: int, keys: Keys) -> None:
    partner, _ = await keys.partner()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = b'{"title": "Slow upload", "description": "sent in pieces"}'
    writer.write(
        b"POST /api/v1/support/tickets HTTP/1.1\r\nHost: tronwatch\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {partner}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    )
    for i in range(0, len(body), 4):  # the body takes ~1.5 s, three deadlines: bodies are not limited
        await asyncio.sleep(TRICKLE)
        writer.write(body[i : i + 4])
    status = await _read_response(reader)
    assert status.startswith(b"HTTP/1.1 201"), status
    await asyncio.sleep(DEADLINE * 3)  # idle between requests: the keep-alive timeout's business
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: tronwatch\r\n\r\n")
    async with asyncio.timeout(30):
        assert (await reader.readline()).startswith(b"HTTP/1.1 200")
    writer.close()


async def test_a_keep_alive_request_gets_its_own_deadline(port: int) -> None:
    # The connection's one timer was set by the first request; the second request's headers begin
    # partway through it and end after it fires, yet within their own deadline: they are answered.
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    opened = loop.time()
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: tronwatch\r\n\r\n")
    assert (await _read_response(reader)).startswith(b"HTTP/1.1 200")
    await asyncio.sleep(max(0.0, opened + DEADLINE * 0.6 - loop.time()))
    began = loop.time()
    writer.write(b"GET /healthz HTTP/1.1\r\n")
    while loop.time() < opened + DEADLINE * 1.2:  # past the first timer
        await asyncio.sleep(TRICKLE / 2)
        writer.write(b"X-Slow: x\r\n")
    assert loop.time() < began + DEADLINE, "the client itself was too slow to test this"
    writer.write(b"Host: tronwatch\r\n\r\n")
    async with asyncio.timeout(30):
        assert (await reader.readline()).startswith(b"HTTP/1.1 200")
    writer.close()
