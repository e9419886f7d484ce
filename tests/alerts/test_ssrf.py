"""Outgoing URLs cannot reach private addresses: not by Unicode or legacy IPv4 spellings, not by IP
literals the resolver never sees, not by a name that resolves (or rebinds) to loopback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from daemon.alerts.channels.base import Sessions, post
from daemon.alerts.checks import receiver_problems
from daemon.alerts.ssrf import BlockedURL, guarded_connector, guarded_socket
from daemon.config import ConfigError, load_settings

# Spellings of 127.0.0.1 (and friends) a URL parser or the C resolver turns into loopback.
DISGUISED = [
    "１２７.０.０.１",
    "127。0。0。1",
    "[::ffff:127.0.0.1]",
    "[::127.0.0.1]",
    "[64:ff9b::7f00:1]",
    "ⓛocalhost",
]
NON_CANONICAL = ["2130706433", "0177.0.0.1", "127.1", "127.0.0.1.", "0x7f.0.0.1", "0"]


class Listener:
    """A TCP port on 127.0.0.1 that counts the connections it accepts (and answers nothing)."""

    def __init__(self) -> None:
        self.accepted = 0
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        writer.close()


@pytest.fixture
async def listener() -> AsyncIterator[Listener]:
    """A counting listener on loopback."""
    lst = Listener()
    server = await asyncio.start_server(lst.handle, "127.0.0.1", 0)
    lst.port = server.sockets[0].getsockname()[1]
    yield lst
    server.close()
    await server.wait_closed()


def _load(receiver: dict[str, Any]) -> list[str]:
    """What `config check` and `run` report for a config with this one receiver."""
    try:
        settings = load_settings(
            None, environ={}, overrides={"alerts": {"receivers": [receiver], "default_receivers": []}}
        )
    except ConfigError as exc:
        return exc.problems
    return receiver_problems(settings.alerts)


@pytest.mark.parametrize("kind", ["slack", "webhook", "alertmanager"])
def test_receiver_urls_the_sender_would_refuse_are_config_errors(kind: str) -> None:
    for host in [*DISGUISED, "127.0.0.1", "10.0.0.7", "169.254.169.254", "localhost"]:
        problems = _load({"type": kind, "name": "r", "url": f"https://{host}:8443/hook"})
        assert problems == ["alerts.receivers.r: url: receiver URL points at a non-public address"], host
    for host in NON_CANONICAL:  # never reachable, so refused even for allow_private receivers
        problems = _load({"type": kind, "name": "r", "url": f"https://{host}:8443/x", "allow_private": True})
        assert len(problems) == 1 and "not a canonical IPv4 address" in problems[0], host
    plain = _load({"type": kind, "name": "r", "url": "http://hooks.example.com/x"})
    assert plain and "must use https" in plain[0]
    assert "secret-token" not in " ".join(
        _load({"type": kind, "name": "r", "url": "https://10.1.1.1/secret-token"})
    )
    assert _load({"type": kind, "name": "r", "url": "https://hooks.example.com/x"}) == []
    assert _load({"type": kind, "name": "r", "url": "http://127.0.0.1:9/x", "allow_private": True}) == []


async def test_the_sender_never_connects_to_a_disguised_loopback(listener: Listener) -> None:
    guarded = aiohttp.ClientSession(connector=guarded_connector(), trust_env=False)
    sessions = Sessions(guarded, guarded)
    try:
        for host in DISGUISED:
            url = f"https://{host}:{listener.port}/hook"
            out = await post(sessions, url, allow_private=False, seconds=5, body=b"{}", headers={})
            assert out.kind == "permanent" and "non-public" in out.error, (host, out)
        for host in NON_CANONICAL:  # before: retried as transient until max_attempts
            url = f"https://{host}:{listener.port}/hook"
            out = await post(sessions, url, allow_private=True, seconds=5, body=b"{}", headers={})
            assert out.kind == "permanent" and "canonical" in out.error, (host, out)
    finally:
        await guarded.close()
    assert listener.accepted == 0


class LyingResolver(AbstractResolver):
    """A resolver that answers loopback for every name (DNS rebinding, or a hostile resolver)."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": 0,
            }
        ]

    async def close(self) -> None:
        return None


async def test_the_connect_time_check_stops_literals_and_rebound_names(listener: Listener) -> None:
    # The URL check and the resolver are skipped here on purpose: the socket check alone must hold.
    rebinding = aiohttp.TCPConnector(resolver=LyingResolver(), socket_factory=guarded_socket)
    async with aiohttp.ClientSession(connector=rebinding) as s:
        with pytest.raises(BlockedURL):
            await s.get(f"http://hooks.example.com:{listener.port}/")
    async with aiohttp.ClientSession(connector=guarded_connector()) as s:
        for host in ("127.0.0.1", "[::ffff:127.0.0.1]", "１２７.０.０.１"):
            with pytest.raises(BlockedURL):
                await s.get(f"http://{host}:{listener.port}/")
    assert listener.accepted == 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=LyingResolver())) as s:
        with pytest.raises(aiohttp.ClientError):  # the unguarded control does connect
            await s.get(f"http://hooks.example.com:{listener.port}/")
    assert listener.accepted >= 1
