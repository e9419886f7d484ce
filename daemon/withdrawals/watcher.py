"""The payment watcher (leader job): finishes 202-pending payments, expires quotes, returns stale claims."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import asyncpg
from aiohttp import web

from daemon import keys
from daemon.withdrawals import emergency_repo, queue_repo
from daemon.withdrawals.context import withdrawal_state
from daemon.withdrawals.payment import verify

log = logging.getLogger(__name__)
BATCH = 100
DB_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)


async def cycle(app: web.Application) -> None:
    """One pass: verify pending payments, then expiry and stale claims."""
    state, runtime = app[withdrawal_state], app[keys.runtime]
    async with runtime.pool.acquire() as conn:
        pending = await emergency_repo.verifying(conn, BATCH)
    for row in pending:
        verdict = await verify(
            runtime.tron,
            row["trx_tx_hash"],
            pay_to=row["pay_to"],
            fee_sun=row["fee_sun"],
            quote_block=row["quote_block"],
        )
        if verdict.outcome == "pending":
            continue
        async with runtime.pool.acquire() as conn:
            if verdict.outcome == "paid":
                done = await emergency_repo.mark_paid(conn, row["id"], verdict.payer, state.clock())
            else:
                done = await emergency_repo.reject_payment(conn, row["id"], verdict.reason or "rejected")
        if done is not None:
            state.metrics.emergency.labels(done["status"]).inc()
            log.info("emergency payment %s id=%d", verdict.outcome, row["id"])
    now = state.clock()
    claimed_before = now - timedelta(seconds=state.settings.claim_timeout)
    async with runtime.pool.acquire() as conn:
        expired = await emergency_repo.expire(conn, now)
        returned = await queue_repo.return_stale(conn, claimed_before)
        returned_em = await emergency_repo.return_stale(conn, claimed_before)
    if expired:
        state.metrics.emergency.labels("expired").inc(expired)
    if returned or returned_em:
        state.inflight_cache = None
        state.poke()
        log.warning("stale claims returned queue=%d emergency=%d", returned, returned_em)


async def run_forever(app: web.Application) -> None:
    """Every `watcher_interval` seconds while this replica leads."""
    state = app[withdrawal_state]
    while True:
        try:
            await cycle(app)
        except DB_ERRORS as exc:
            log.warning("payment watcher pass failed error=%s", exc)
        await asyncio.sleep(state.settings.watcher_interval)
