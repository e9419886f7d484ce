"""The TRON transport's CPU per request does not grow with the requests queued behind its pool."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from prometheus_client import CollectorRegistry

from daemon.tron.client import TronClient
from daemon.tron.options import TronClientOptions

ADDRESS = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


@pytest.fixture
async def slow_node() -> AsyncIterator[str]:
    """A node answering every call with `{}` after 5 ms, like a remote node's latency."""

    async def answer(_: web.Request) -> web.Response:
        await asyncio.sleep(0.005)
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/"
    await runner.cleanup()


async def _cpu_per_request(tron: TronClient, n: int) -> float:
    """Process CPU seconds per call when `n` calls are started at once."""
    t0 = time.process_time()
    await asyncio.gather(*(tron.get_account_resource(ADDRESS) for _ in range(n)))
    return (time.process_time() - t0) / n


async def test_cpu_per_request_does_not_grow_with_the_queue(slow_node: str) -> None:
    """1,600 calls queued behind 16 connections cost per call what 100 do (no pool scan per event)."""
    options = TronClientOptions(network=slow_node, rps=0, timeout=60, max_connections=16)
    async with TronClient(options, registry=CollectorRegistry()) as tron:
        await _cpu_per_request(tron, 100)  # warm-up: connections, imports
        small = min([await _cpu_per_request(tron, 100) for _ in range(3)])
        large = await _cpu_per_request(tron, 1600)
    # CPU, not wall time: the same work per call whatever the queue. Quadratic queueing was > 5x here.
    detail = f"{large * 1e6:.0f} µs per call with 1,600 queued vs {small * 1e6:.0f} µs with 100"
    assert large <= 2.5 * small, detail
