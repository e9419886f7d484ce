"""Fixtures: an in-process devnode with a frozen clock (tests advance it) and a tronpy client on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from tronpy import AsyncTron
from tronpy.keys import PrivateKey
from tronpy.providers.async_http import AsyncHTTPProvider

from daemon.devnode import Devnode

USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


@pytest.fixture
async def node() -> AsyncIterator[Devnode]:
    # speed=0: blocks only when a test advances the clock, so energy figures are exact.
    async with Devnode.start(speed=0) as n:
        yield n


@pytest.fixture
async def tron(node: Devnode) -> AsyncIterator[AsyncTron]:
    async with AsyncTron(provider=AsyncHTTPProvider(node.url)) as client:
        yield client


class Wallet:
    """A demo account: base58 address and tronpy key."""

    def __init__(self, node: Devnode, name: str) -> None:
        self.key = PrivateKey(bytes.fromhex(node.private_key_hex(name)))
        self.address: str = self.key.public_key.to_base58check_address()


@pytest.fixture
def wallets(node: Devnode) -> dict[str, Any]:
    names = ["pool-alpha", "pool-beta", "pool-gamma", "user-alice", "user-bob", "user-carol"]
    return {n: Wallet(node, n) for n in names}
