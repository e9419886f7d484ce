"""tronpy helpers for tests: a user pays TRX, or sends USDT, on the in-process devnode."""

from __future__ import annotations

from typing import Any

from tronpy import AsyncTron
from tronpy.keys import PrivateKey
from tronpy.providers.async_http import AsyncHTTPProvider

from daemon import keys as app_keys


def node_of(client: Any) -> Any:
    """The app's devnode."""
    return client.app[app_keys.runtime].devnode


def wallet(node: Any) -> AsyncTron:
    """A plain tronpy client on the devnode (as a user's wallet would be)."""
    return AsyncTron(provider=AsyncHTTPProvider(node.url))


def key_of(node: Any, name: str) -> PrivateKey:
    """A demo account's key."""
    return PrivateKey(bytes.fromhex(node.private_key_hex(name)))


async def pay_trx(node: Any, payer: str, to: str, sun: int) -> str:
    """Send TRX and mine it into a block (not yet solid); returns the txid."""
    async with wallet(node) as tron:
        key = key_of(node, payer)
        txn = await tron.trx.transfer(key.public_key.to_base58check_address(), to, sun).build()
        ret = await txn.sign(key).broadcast()
    node.advance(3)
    return str(ret["txid"])


async def send_usdt(node: Any, sender: str, to: str, units: int, fee_limit: int = 50_000_000) -> str:
    """A USDT transfer (a TriggerSmartContract: reverts when the sender has too little)."""
    async with wallet(node) as tron:
        key = key_of(node, sender)
        contract = await tron.get_contract("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
        builder = await contract.functions.transfer(to, units)
        txn = await builder.with_owner(key.public_key.to_base58check_address()).fee_limit(fee_limit).build()
        ret = await txn.sign(key).broadcast()
    node.advance(3)
    return str(ret["txid"])


def solidify(node: Any) -> None:
    """19 more blocks: everything mined so far is solid (docs/tron.md#finality)."""
    node.advance(60)
