"""The demo executor (devnode only): claim -> broadcast the USDT transfer with tronpy -> complete it
once its block shows it succeeded.

A real gateway runs its own executor against the HTTP API (README, "Executor protocol"); this one
calls the same services in-process and signs with the devnode's demo keys.
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal

from aiohttp import web
from tronpy import AsyncTron
from tronpy.exceptions import TransactionNotFound
from tronpy.keys import PrivateKey

from daemon import keys
from daemon.tron.addresses import b58
from daemon.withdrawals import claims, queue_repo
from daemon.withdrawals.state import withdrawal_state

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
    node = app[keys.runtime].devnode
    assert node is not None
    return {
        b58(acc.address): PrivateKey(acc.private_key)
        for acc in node.chain.accounts.values()
        if acc.private_key is not None
    }


async def settle(app: web.Application) -> int:
    """Complete the broadcast transfers whose block shows success; returns how many were completed.

    A failed one is not reported: its claim runs out and the withdrawal goes back to the queue's head.
    """
    state, runtime = app[withdrawal_state], app[keys.runtime]
    assert runtime.tron is not None
    done = 0
    for txid, (partner_id, item) in list(state.broadcasts.items()):
        try:
            info = await runtime.tron.raw.get_transaction_info(txid)
        except TransactionNotFound:
            continue  # not in a block yet
        del state.broadcasts[txid]
        outcome = info.get("receipt", {}).get("result", "SUCCESS")
        if info.get("result") == "FAILED" or outcome != "SUCCESS":
            log.warning(
                "demo executor transfer failed kind=%s id=%d txid=%s result=%s",
                item.kind,
                item.id,
                txid,
                outcome,
            )
            continue
        if item.kind == "emergency":
            await claims.complete_emergency(app, partner_id, item.id, txid)
        else:
            await claims.complete_queued(app, partner_id, item.id, txid)
        done += 1
    return done


async def cycle(app: web.Application) -> int:
    """Complete what earlier passes sent, then claim everything claimable and send it; returns completions."""
    state, runtime = app[withdrawal_state], app[keys.runtime]
    assert runtime.tron is not None
    wallet_keys, done = _keys_by_address(app), await settle(app)
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
            state.broadcasts[txid] = (partner_id, item)
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
