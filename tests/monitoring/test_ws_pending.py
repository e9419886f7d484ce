"""Sockets that never authenticate: one deadline however often they ping, and a cap on how many wait."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.conftest import Keys, bearer
from tests.monitoring.conftest import WS, AppFactory, closed_with, next_of, state_of


async def _pinging(ws: aiohttp.ClientWebSocketResponse, every: float) -> None:
    with contextlib.suppress(ConnectionError, RuntimeError):
        while not ws.closed:
            await ws.ping()
            await asyncio.sleep(every)


async def test_pinging_sockets_are_closed_at_the_auth_deadline(mon_app: AppFactory, keys: Keys) -> None:
    client = await mon_app(ws_auth_timeout=0.5)
    sockets = [await client.ws_connect(WS, autoclose=False, heartbeat=None) for _ in range(8)]
    # Pings far more often than the deadline: each used to restart aiohttp's receive timeout.
    pingers = [asyncio.create_task(_pinging(ws, 0.05)) for ws in sockets]
    try:
        codes = await asyncio.gather(*(closed_with(ws, timeout=10) for ws in sockets))
    finally:
        for task in pingers:
            task.cancel()
        for ws in sockets:
            await ws.close()
    assert codes == [4401] * 8
    hub = state_of(client).hub
    await _settled(client)
    assert not hub.pending.by_ip and not hub.clients
    await asyncio.sleep(0)  # let aiohttp run what the last close frames scheduled
    # Nothing keeps the closed sockets (their requests, transports and buffers) in memory.
    gc.collect()
    assert not [o for o in gc.get_objects() if isinstance(o, web.WebSocketResponse)]


async def _settled(client: Any) -> None:
    """Until the server has finished closing every socket still authenticating."""
    async with asyncio.timeout(10):
        while state_of(client).hub.pending.total:
            await asyncio.sleep(0.01)


async def _refused(client: Any, status: int) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect(WS)
    assert refused.value.status == status
    assert int(refused.value.headers["Retry-After"]) >= 1


@pytest.mark.parametrize(("cap", "status"), [("ws_max_pending_per_ip", 429), ("ws_max_pending", 503)])
async def test_sockets_over_the_pending_cap_are_refused(
    mon_app: AppFactory, keys: Keys, cap: str, status: int
) -> None:
    client = await mon_app(ws_auth_timeout=1.0, **{cap: 3})
    admin, _ = await keys.admin()
    waiting = [await client.ws_connect(WS, heartbeat=None) for _ in range(3)]
    assert state_of(client).hub.pending.total == 3
    await _refused(client, status)
    # An admin's header-authenticated socket is refused too while the slots are taken ...
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await client.ws_connect(WS, headers=bearer(admin))
    assert [await closed_with(ws) for ws in waiting] == [4401] * 3
    for ws in waiting:
        await ws.close()
    await _settled(client)
    # ... and let in once the deadline has closed the waiting ones.
    async with client.ws_connect(WS, headers=bearer(admin)) as ws:
        assert (await next_of(ws, "hello"))["data"]["replica"]
    assert state_of(client).hub.pending.total == 0
