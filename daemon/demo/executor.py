"""The demo executor (devnode only): claim -> broadcast the USDT transfer with tronpy -> complete it
once its block shows it succeeded.

A real gateway runs its own executor against the HTTP API (README, "Executor protocol"); this one
calls the same services in-process and signs with the devnode's demo keys.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING

from tronpy import AsyncTron
from tronpy.exceptions import TransactionNotFound
from tronpy.keys import PrivateKey

from daemon.jobs import Job
from daemon.tron.addresses import b58
from daemon.withdrawals import claims, queue_repo
from daemon.withdrawals.deps import WithdrawalDeps

if TYPE_CHECKING:
    from daemon.devnode.app import Devnode  # loaded only when demo mode starts one

log = logging.getLogger(__name__)
USDT_UNIT = Decimal(1_000_000)


async def send_usdt(
    tron: AsyncTron, usdt: str, key: PrivateKey, to: str, amount: Decimal, limit_sun: int
) -> str:
    """Sign and broadcast `amount` USDT from the key's address, returns the txid (docs/tron.md#tronpy)."""
    contract = await tron.get_contract(usdt)
    builder = await contract.functions.transfer(to, int(amount * USDT_UNIT))
    txn = await builder.with_owner(key.public_key.to_base58check_address()).fee_limit(limit_sun).build()
    ret = await txn.sign(key).broadcast()
    return str(ret["txid"])


def _keys_by_address(node: Devnode) -> dict[str, PrivateKey]:
    return {
        b58(acc.address): PrivateKey(acc.private_key)
        for acc in node.chain.accounts.values()
        if acc.private_key is not None
    }


async def settle(deps: WithdrawalDeps) -> int:
    """Complete the broadcast transfers whose block shows success; returns how many were completed.

    A failed one is not reported: its claim runs out and the withdrawal goes back to the queue's head.
    """
    state, tron = deps.state, deps.tron
    assert tron is not None
    done = 0
    for txid, (partner_id, item) in list(state.broadcasts.items()):
        try:
            info = await tron.raw.get_transaction_info(txid)
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
            await claims.complete_emergency(deps, partner_id, item.id, txid)
        else:
            await claims.complete_queued(deps, partner_id, item.id, txid)
        done += 1
    return done


async def cycle(deps: WithdrawalDeps, node: Devnode) -> int:
    """Complete what earlier passes sent, then claim everything claimable and send it; returns completions."""
    state, tron = deps.state, deps.tron
    assert tron is not None
    wallet_keys, done = _keys_by_address(node), await settle(deps)
    async with deps.pool.acquire() as conn:
        partners = await queue_repo.partners_with_work(conn)
    for partner_id in partners:
        # The HTTP executor's own steps (claims.py): same fee_limit, same metrics, same checks.
        for item in await claims.claim(deps, partner_id, state.settings.claim_limit):
            key = wallet_keys.get(item.from_address)
            if key is None:
                log.warning("demo executor has no key for %s; the claim will time out", item.from_address)
                continue
            try:
                txid = await send_usdt(
                    tron.raw,
                    tron.options.usdt,
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


def job(deps: WithdrawalDeps, node: Devnode) -> Job:
    """`demo-executor` (this replica, while the devnode runs): a pass every `executor_interval` seconds."""
    state = deps.state

    async def once() -> None:
        await cycle(deps, node)

    return Job("demo-executor", once, interval=lambda: state.settings.executor_interval)
