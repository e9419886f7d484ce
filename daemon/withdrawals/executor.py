"""The demo executor (devnode only): claim -> broadcast the USDT transfer with tronpy -> complete.

A real gateway runs its own executor against the HTTP API (README, "Executor protocol"); this one
calls the same services in-process and signs with the devnode's demo keys.
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal

from aiohttp import web
from tronpy import AsyncTron
from tronpy.keys import PrivateKey

from daemon import keys
from daemon.withdrawals import claims, queue_repo
from daemon.withdrawals.context import withdrawal_state

log = logging.getLogger(__name__)
USDT_UNIT = Decimal(1_000_000)


async def send_usdt(
    tron: AsyncTron, usdt: str, key: PrivateKey, to: str, amount: Decimal, limit_sun: int
) -> str:
    """Sign and broadcast `amount` USDT from the key's address; returns the txid (tron.md §1 flow)."""
    contract = await tron.get_contract(usdt)
    builder = await contract.functions.transfer(to, int(amount * USDT_UNIT))
    txn = await builder.with_owner(key.public_key.to_base58check_address()).fee_limit(limit_sun).build()
    ret = await txn.sign(key).broadcast()
    return str(ret["txid"])


def _keys_by_address(app: web.Application) -> dict[str, PrivateKey]:
    from daemon.devnode.addresses import b58  # demo and test runs only

    node = app[keys.runtime].devnode
    assert node is not None
    return {
        b58(acc.address): PrivateKey(acc.private_key)
        for acc in node.chain.accounts.values()
        if acc.private_key is not None
    }


async def cycle(app: web.Application) -> int:
    """Claim everything claimable, send it, report it; returns how many were completed."""
    state, runtime = app[withdrawal_state], app[keys.runtime]
    assert runtime.tron is not None
    wallet_keys, done = _keys_by_address(app), 0
    async with runtime.pool.acquire() as conn:
        partners = await queue_repo.partners_with_work(conn)
    for partner_id in partners:
        # The HTTP executor's own steps (claims.py): same fee_limit, same metrics, same checks.
        for item in await claims.claim(app, partner_id, state.settings.claim_limit):
            key = wallet_keys.get(item.from_address)
            if key is None:
                log.warning("demo executor has no key for %s; the claim will time out", item.from_address)
                continue
            try:
                txid = await send_usdt(
                    runtime.tron.raw,
                    runtime.tron.options.usdt,
                    key,
                    item.to_address,
                    item.amount,
                    item.fee_limit_sun,
                )
            except Exception as exc:
                log.warning("demo executor broadcast failed kind=%s id=%d error=%r", item.kind, item.id, exc)
                continue
            if item.kind == "emergency":
                await claims.complete_emergency(app, partner_id, item.id, txid)
            else:
                await claims.complete_queued(app, partner_id, item.id, txid)
            done += 1
    return done


async def run_forever(app: web.Application) -> None:
    """Poll every `executor_interval` seconds."""
    state = app[withdrawal_state]
    while True:
        try:
            await cycle(app)
        except Exception as exc:
            log.warning("demo executor pass failed error=%r", exc)
        await asyncio.sleep(state.settings.executor_interval)
