"""The devnode aiohttp app, its block producer, and the `Devnode` handle for in-process use."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

from daemon.devnode.accounts import Account, AccountSpec, demo_accounts, load_accounts, spec_from_mapping
from daemon.devnode.chain import DevnodeChain
from daemon.devnode.faults import Fault, Faults, fault_middleware
from daemon.devnode.keys import CHAIN, FAULTS, TRAFFIC
from daemon.devnode.proto import encode_raw, txid_of
from daemon.devnode.resources import ChainParams
from daemon.devnode.routes_control import routes as control_routes
from daemon.devnode.routes_wallet import add_routes
from daemon.devnode.traffic import Traffic
from daemon.devnode.transactions import broadcast
from daemon.tron.addresses import sign_hash

log = logging.getLogger(__name__)

POLL_S = 0.5  # the producer re-reads the clock at least this often, so speed changes apply promptly


async def _produce_blocks(chain: DevnodeChain) -> None:
    """Seal blocks as their slot times arrive; runs until cancelled."""
    while True:
        delay = chain.next_block_delay()
        await asyncio.sleep(POLL_S if math.isinf(delay) else min(delay, POLL_S))
        chain.catch_up()


async def _block_producer(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(_produce_blocks(app[CHAIN]), name="devnode-block-producer")
    yield
    task.cancel()
    # wait() does not re-raise the task's CancelledError, while our own cancellation still propagates.
    await asyncio.wait({task})
    if not task.cancelled() and task.exception() is not None:
        log.error("event=block_producer_failed error=%r", task.exception())


def create_devnode_app(state: DevnodeChain, *, split_solidity: bool = False) -> web.Application:
    """Wire the node API, the control API, faults and the block producer around one chain.

    `split_solidity`: this app serves `/wallet/*` only, like java-tron's full-node port 8090;
    `create_solidity_app` then serves `/walletsolidity/*` on a second port.
    """
    faults = Faults()
    app = web.Application(middlewares=[fault_middleware(faults)], client_max_size=4 * 1024 * 1024)
    app[CHAIN] = state
    app[FAULTS] = faults
    app[TRAFFIC] = Traffic(state)
    add_routes(app, "wallet" if split_solidity else "both")
    app.router.add_routes(control_routes)
    app.cleanup_ctx.append(_block_producer)
    return app


def create_solidity_app(node_app: web.Application) -> web.Application:
    """java-tron's solidity port (8091) for the same chain and faults: `/walletsolidity/*` only."""
    app = web.Application(middlewares=[fault_middleware(node_app[FAULTS])], client_max_size=4 * 1024 * 1024)
    app[CHAIN] = node_app[CHAIN]
    app[FAULTS] = node_app[FAULTS]
    add_routes(app, "walletsolidity")
    return app


async def _serve(app: web.Application, host: str, port: int, stack: AsyncExitStack) -> str:
    """Start `app` on host:port (0: a free one) until `stack` closes; returns its URL with a slash."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    await web.TCPSite(runner, host, port).start()
    return f"http://{host}:{runner.addresses[0][1]}/"


def _specs(accounts: Iterable[AccountSpec] | Path | str | None) -> list[AccountSpec]:
    if accounts is None:
        return demo_accounts()
    if isinstance(accounts, str | Path):
        return load_accounts(Path(accounts))
    return list(accounts)


class Devnode:
    """A running devnode: its URLs (with trailing slash), chain, and Python-side controls.

    `solidity_url` serves `/walletsolidity/*`: `url` itself, or a second port when split.
    """

    def __init__(self, app: web.Application, url: str, solidity_url: str | None = None) -> None:
        self.app = app
        self.url = url
        self.solidity_url = solidity_url or url
        self.chain = app[CHAIN]

    @classmethod
    @asynccontextmanager
    async def start(
        cls,
        host: str = "127.0.0.1",
        port: int = 0,
        speed: float = 1.0,
        accounts: Iterable[AccountSpec] | Path | str | None = None,
        params: ChainParams | None = None,
        *,
        split_solidity: bool = False,
        solidity_port: int = 0,
    ) -> AsyncIterator[Devnode]:
        """Serve a new chain on host:port (0 picks a free port); demo accounts when none given.

        `split_solidity`: `/wallet/*` on `port` and `/walletsolidity/*` on `solidity_port`, as a
        java-tron full node does (8090 and 8091); each port answers 404 for the other prefix.
        """
        chain = DevnodeChain(_specs(accounts), speed=speed, params=params)
        app = create_devnode_app(chain, split_solidity=split_solidity)
        async with AsyncExitStack() as stack:
            url = await _serve(app, host, port, stack)
            solid = url
            if split_solidity:
                solid = await _serve(create_solidity_app(app), host, solidity_port, stack)
            log.info(
                "event=devnode_started url=%s solidity_url=%s speed=%s accounts=%d",
                url,
                solid,
                speed,
                len(chain.accounts),
            )
            yield cls(app, url, solid)

    def advance(self, seconds: float) -> int:
        """Move chain time forward, producing the blocks in between."""
        return self.chain.advance(seconds)

    def set_speed(self, speed: float) -> None:
        """Chain seconds per wall second (0 freezes)."""
        self.chain.catch_up()
        self.chain.clock.set_speed(speed)

    def set_energy_fee(self, sun: int) -> None:
        """Change getEnergyFee (sun per energy)."""
        self.chain.params.energy_fee = sun

    def add_account(self, spec: AccountSpec | Mapping[str, Any]) -> Account:
        """Create or top up an account (an AccountSpec or a YAML-style mapping)."""
        if not isinstance(spec, AccountSpec):
            spec = spec_from_mapping(dict(spec))
        self.chain.catch_up()
        return self.chain.add_account(spec)

    def account(self, name: str) -> Account:
        """An account by configured name (KeyError if absent)."""
        acc = self.chain.account_by_name(name)
        if acc is None:
            raise KeyError(name)
        return acc

    def private_key_hex(self, name: str) -> str:
        """The named account's private key, hex (demo/test accounts only)."""
        key = self.account(name).private_key
        if key is None:
            raise KeyError(f"{name} has no private key")
        return key.hex()

    def delegate_energy(self, owner: str, receiver: str, trx: int, lock_blocks: int | None = None) -> str:
        """Broadcast a signed DelegateResourceContract from the named account; its txid or ValueError."""
        acc, to = self.account(owner), self.account(receiver)
        if acc.private_key is None:
            raise KeyError(f"{owner} has no private key")
        self.chain.catch_up()
        head = self.chain.head
        value = {
            "owner_address": acc.address.hex(),
            "receiver_address": to.address.hex(),
            "balance": trx * 1_000_000,
            "resource": "ENERGY",
            "lock": lock_blocks is not None,
            "lock_period": lock_blocks or 0,
        }
        ctype = "DelegateResourceContract"
        raw = {
            "ref_block_bytes": head.block_id[6:8].hex(),
            "ref_block_hash": head.block_id[8:16].hex(),
            "expiration": head.timestamp + 60_000,
            "contract": [
                {
                    "parameter": {"value": value, "type_url": f"type.googleapis.com/protocol.{ctype}"},
                    "type": ctype,
                }
            ],
            "timestamp": head.timestamp,
        }
        txid = txid_of(encode_raw(raw))
        sig = sign_hash(acc.private_key, bytes.fromhex(txid))
        answer = broadcast(self.chain, {"raw_data": raw, "signature": [sig.hex()], "visible": True})
        if answer.get("result") is not True:
            raise ValueError(f"delegation refused: {answer.get('message', answer)}")
        return txid

    def set_fault(self, path: str, **fault: Any) -> None:
        """Inject latency_ms / error_rate / error_status / outage on a path."""
        self.app[FAULTS].set(path, Fault.from_mapping(fault))

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self.app[FAULTS].clear()

    def start_traffic(self, pool: str, per_hour: float, *, new_ratio: float = 0.0) -> None:
        """USDT transfers from the named pool at `per_hour` (chain time)."""
        self.app[TRAFFIC].start(self.account(pool), per_hour, new_ratio=new_ratio)

    def stop_traffic(self, pool: str) -> None:
        """Stop the named pool's traffic."""
        self.app[TRAFFIC].stop(self.account(pool).address)
